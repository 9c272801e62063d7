"""Checks of the BI layer: each view's great-expectations suite, and the published copy itself.

Both are blocking: a view that breaks its grain stops the BI copy from being published, so BI
tools keep the previous, good copy. great-expectations is imported when a check runs, not when the
code loads.
"""

import os
import stat

import dagster as dg
import duckdb

from rfm_assets.assets.bi_views import BI_COPY, VIEW_DEFS
from rfm_assets.checks.gx_checks import summarize
from rfm_assets.core import publish, views
from rfm_assets.core.publish import CATALOG
from rfm_assets.core.rows import scalar
from rfm_assets.core.warehouse import table_exists
from rfm_assets.quality.sql_engine import validate_sql
from rfm_assets.resources import WarehouseResource


def view_suite_check(view: views.ViewDef) -> dg.AssetChecksDefinition:
    """Validate the view (its newest complete month) against :func:`view_suite`."""

    @dg.asset_check(
        asset=view.name,
        name="gx_suite",
        blocking=True,
        description=f"great-expectations suite of the BI view '{view.name}': documented columns, one "
        f"row per ({', '.join(view.sidecar.keys)}), only the newest complete month",
    )
    def _check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from rfm_assets.quality.view_suites import view_suite  # imports great-expectations: at run time only

        with warehouse.connect() as con:
            if not table_exists(con, view.name):  # views are listed too
                return dg.AssetCheckResult(passed=True, description="view not created yet (inputs missing)")
            inputs = views.monthly_tables(con, views.base_tables(view, VIEW_DEFS))
            newest = views.latest_complete_month(con, inputs)
            with views.evaluated_once(con, view.name, views.newest_rows(con, view, VIEW_DEFS)) as rows:
                report = validate_sql(con, rows, f"{view.name}_suite", view_suite(view, newest))
        return dg.AssetCheckResult(
            passed=report.success,
            severity=dg.AssetCheckSeverity.ERROR,
            description=summarize(report),
            metadata={
                "result": dg.MetadataValue.md(report.describe()),
                "rows_validated": dg.MetadataValue.int(report.row_count),
                "newest_complete_month": dg.MetadataValue.text(f"{newest:%Y-%m}" if newest else "none"),
            },
        )

    return _check


@dg.asset_check(
    asset=BI_COPY,
    name="copy_is_readable",
    blocking=True,
    description="the published copy is read-only on disk, opens read-only, and every view its "
    "bi_catalog lists answers with the row count recorded at publish time",
)
def copy_is_readable(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    if warehouse.is_lake:  # the published lake snapshot, attached read-only
        snapshot = _published_snapshot(context)
        problems = publish.lake_snapshot_problems(warehouse.path, warehouse.lake_data_path, snapshot)
        return dg.AssetCheckResult(passed=not problems, description="; ".join(problems) or f"snapshot {snapshot} ok")
    path = warehouse.bi_copy()
    problems = []
    if not path.exists():
        return dg.AssetCheckResult(passed=False, description=f"no BI copy at {path}")
    if os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        problems.append(f"{path} is writable (mode {oct(os.stat(path).st_mode & 0o777)})")
    with duckdb.connect(str(path), read_only=True) as con:
        catalog = con.execute(f"select view_name, newest_month_rows from {CATALOG} order by 1").fetchall()
        for name, rows in catalog:
            found = scalar(con, f"select count(*) from {name}")
            if found != rows:
                problems.append(f"{name}: {found} rows, bi_catalog says {rows}")
    return dg.AssetCheckResult(
        passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(problems) or f"read-only copy, {len(catalog)} views answer as catalogued",
        metadata={"path": dg.MetadataValue.path(str(path)), "views": dg.MetadataValue.int(len(catalog))},
    )


def all_bi_checks() -> list[dg.AssetChecksDefinition]:
    """Every view's suite check and the BI copy check."""
    return [*(view_suite_check(v) for v in VIEW_DEFS), copy_is_readable]


def _published_snapshot(context: dg.AssetCheckExecutionContext) -> int:
    """The lake snapshot the latest warehouse_bi_copy materialization published."""
    event = context.instance.get_latest_materialization_event(dg.AssetKey(BI_COPY))
    assert event is not None and event.asset_materialization is not None, "warehouse_bi_copy was not materialized"
    return int(event.asset_materialization.metadata["lake_snapshot"].value)  # type: ignore[arg-type]
