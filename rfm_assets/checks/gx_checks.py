"""Great-expectations suites run as partitioned Dagster asset checks, one check per asset."""

from datetime import date

import dagster as dg
import great_expectations.expectations as gxe

from rfm_assets.core.warehouse import is_built_empty
from rfm_assets.partitions import MONTHLY, SETTINGS, partition_month
from rfm_assets.quality.runner import Report
from rfm_assets.quality.sql_engine import validate_partition
from rfm_assets.quality.suites import Suite, build_suites
from rfm_assets.resources import WarehouseResource


def gx_suite_check(table: str, suite: Suite, *, blocking: bool = True, engine: str = "duckdb") -> dg.AssetChecksDefinition:
    """A check that validates one month of ``table`` against ``suite``.

    Blocking: a failure stops the asset's downstream assets for that month in the same run. The
    suite's expectations run inside DuckDB (``quality/sql_engine.py``), those without a translation
    on GX on pandas; ``engine="pandas"`` runs them all on GX.
    """

    @dg.asset_check(
        asset=table,
        name="gx_suite",
        partitions_def=MONTHLY,
        blocking=blocking,
        description=f"great-expectations suite '{table}': {(getattr(suite, 'func', suite).__doc__ or '').strip()}",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        month = partition_month(context)
        with warehouse.connect() as con:
            report, ran = validate_partition(con, table, month, f"{table}_suite", month_expectations(
                suite, month, built_empty=is_built_empty(con, table, month)), engine)
        return dg.AssetCheckResult(
            passed=report.success,
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            description=summarize(report),
            metadata={
                "result": dg.MetadataValue.md(report.describe()),
                "failed_expectations": dg.MetadataValue.text(", ".join(o.label for o in report.failures) or "none"),
                "rows_validated": dg.MetadataValue.int(report.row_count),
                "engine": dg.MetadataValue.text(ran),
            },
        )

    return _check


def month_expectations(suite: Suite, month: date, *, built_empty: bool = False) -> list:
    """``suite``'s expectations for ``month``. A month the ledger records as built empty on purpose (a
    month of the source with no lines, and what follows from it) is held to exactly 0 rows instead of
    the suite's "at least 1 row"; every other month keeps the suite as written."""
    expectations = suite(month)
    if not built_empty:
        return expectations
    return [gxe.ExpectTableRowCountToBeBetween(min_value=0, max_value=0) if _at_least_one_row(e) else e
            for e in expectations]


def _at_least_one_row(expectation: object) -> bool:
    return (isinstance(expectation, gxe.ExpectTableRowCountToBeBetween) and expectation.min_value == 1
            and expectation.max_value is None)


def summarize(report: Report) -> str:
    """One line naming the failed expectations, their counts and a few offending values."""
    if not report.failures:
        return f"all {len(report.outcomes)} expectations met on {report.row_count:,} rows"
    parts = []
    for o in report.failures[:4]:
        if o.unexpected_count:
            parts.append(f"{o.label}: {o.unexpected_count:,} unexpected, e.g. {o.samples[:3]}")
        else:
            parts.append(f"{o.label}: observed {str(o.observed_value)[:80]}")
    more = f"; and {len(report.failures) - 4} more" if len(report.failures) > 4 else ""
    return f"{len(report.failures)} of {len(report.outcomes)} expectations failed: {'; '.join(parts)}{more}"


def all_gx_checks() -> list[dg.AssetChecksDefinition]:
    """One blocking suite check per asset that has a suite."""
    return [gx_suite_check(table, suite) for table, suite in build_suites(SETTINGS.window_months).items()]
