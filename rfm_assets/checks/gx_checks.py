"""Great-expectations suites run as partitioned Dagster asset checks, one check per asset."""


import dagster as dg

from rfm_assets.partitions import MONTHLY, SETTINGS, partition_month
from rfm_assets.quality.runner import validate
from rfm_assets.quality.suites import Suite, build_suites
from rfm_assets.resources import WarehouseResource


def gx_suite_check(table: str, suite: Suite, *, blocking: bool = True) -> dg.AssetChecksDefinition:
    """A check that validates one month of ``table`` against ``suite``.

    Blocking: a failure stops the asset's downstream assets for that month in the same run.
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
            df = con.execute(f"select * from {table} where snapshot_month = ?", [month]).df()
        report = validate(df, f"{table}_suite", suite(month))
        return dg.AssetCheckResult(
            passed=report.success,
            severity=dg.AssetCheckSeverity.ERROR if blocking else dg.AssetCheckSeverity.WARN,
            description=f"{len(report.failures)} of {len(report.outcomes)} expectations failed"
            if report.failures
            else f"all {len(report.outcomes)} expectations met",
            metadata={
                "result": dg.MetadataValue.md(report.describe()),
                "failed_expectations": dg.MetadataValue.text(", ".join(o.label for o in report.failures) or "none"),
                "rows_validated": dg.MetadataValue.int(report.row_count),
            },
        )

    return _check


def all_gx_checks() -> list[dg.AssetChecksDefinition]:
    """One blocking suite check per asset that has a suite."""
    return [gx_suite_check(table, suite) for table, suite in build_suites(SETTINGS.window_months).items()]
