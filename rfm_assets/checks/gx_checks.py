"""Great-expectations suites as checks ``gx_suite``, one per table, run in the step of its asset
(``table_checks.py``).

A month's suite is built when its check runs, with the RFM window of the ``params`` resource the
assets use (never a setting read at import); great-expectations is imported then too.
"""

from collections.abc import Callable
from datetime import date

import dagster as dg
import duckdb

from rfm_assets.checks.table_checks import CheckGroup, TableCheck, Verdict, single
from rfm_assets.core.warehouse import is_built_empty
from rfm_assets.quality.runner import Report
from rfm_assets.quality.sql_engine import validate_partition

Suite = Callable[[date], list]  # month -> expectations
SuiteFactory = Callable[[int], Suite]  # window_months -> suite


def suite_of(table: str) -> SuiteFactory:
    """``table``'s suite for a given RFM window (``quality/suites.py``), imported when first built."""

    def factory(window_months: int) -> Suite:
        from rfm_assets.quality.suites import build_suites

        return build_suites(window_months)[table]

    return factory


def gx_verdict(
    con: duckdb.DuckDBPyConnection, table: str, month: date, window_months: int, engine: str = "duckdb"
) -> Verdict:
    """One month of ``table`` against its suite for the RFM window ``window_months``.

    The suite's expectations run inside DuckDB (``quality/sql_engine.py``), those without a translation
    on GX on pandas; ``engine="pandas"`` runs them all on GX.
    """
    report, ran = validate_partition(
        con,
        table,
        month,
        f"{table}_suite",
        month_expectations(suite_of(table)(window_months), month, built_empty=is_built_empty(con, table, month)),
        engine,
    )
    return Verdict(
        report.success,
        summarize(report),
        {
            "result": dg.MetadataValue.md(report.describe()),
            "failed_expectations": dg.MetadataValue.text(", ".join(o.label for o in report.failures) or "none"),
            "rows_validated": dg.MetadataValue.int(report.row_count),
            "engine": dg.MetadataValue.text(ran),
        },
    )


def gx_group(table: str, description: str = "") -> CheckGroup:
    """``table``'s blocking suite check ``gx_suite``: a failure stops the table's downstream assets for
    that month in the same run."""
    check = TableCheck("gx_suite", f"great-expectations suite '{table}': {description}", blocking=True)
    return single(table, check, lambda con, month, window: gx_verdict(con, table, month, window))


def month_expectations(suite: Suite, month: date, *, built_empty: bool = False) -> list:
    """``suite``'s expectations for ``month``. A month the ledger records as built empty on purpose (a
    month of the source with no lines, and what follows from it) is held to exactly 0 rows instead of
    the suite's "at least 1 row"; every other month keeps the suite as written."""
    expectations = suite(month)
    if not built_empty:
        return expectations
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=0, max_value=0) if _at_least_one_row(e) else e
        for e in expectations
    ]


def _at_least_one_row(expectation: object) -> bool:
    import great_expectations.expectations as gxe

    return (
        isinstance(expectation, gxe.ExpectTableRowCountToBeBetween)
        and expectation.min_value == 1
        and expectation.max_value is None
    )


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


def gx_groups() -> list[CheckGroup]:
    """One blocking suite check per table that has a suite."""
    from rfm_assets.quality.suites import build_suites

    return [gx_group(table, (getattr(s, "func", s).__doc__ or "").strip()) for table, s in build_suites().items()]
