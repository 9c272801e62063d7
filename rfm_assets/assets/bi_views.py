"""BI layer: one asset per view file in ``dbt_like_views/``, and the published read-only copy.

A view asset's upstream assets are the tables its SQL reads (``duckdb.get_table_names``), so adding
``dbt_like_views/<name>.sql`` + ``<name>.yml`` adds an asset with the right edges and nothing else.
The assets are unpartitioned: ``publish_job`` refreshes them and then publishes the BI copy; the
CLI runs it after the months, and in the UI a sensor runs it after each successful monthly run.
"""

import dagster as dg

from rfm_assets.assets.ingestion import OWNERS
from rfm_assets.assets.metadata import PREVIEW_ROWS, column_schema, table_md
from rfm_assets.core import publish, views
from rfm_assets.resources import WarehouseResource

GROUP = "bi_views"
BI_COPY = "warehouse_bi_copy"
VIEW_DEFS = views.load_view_defs()


def _description(view: views.ViewDef) -> str:
    return (
        f"{view.sidecar.description}\n\nGrain: {view.sidecar.grain}. SQL: `dbt_like_views/{view.name}.sql` "
        f"(view `{view.history_name}`: every month). Not created while an input table does not exist."
    )


def view_asset(view: views.ViewDef, all_views: list[views.ViewDef]) -> dg.AssetsDefinition:
    """The asset that (re)creates ``view`` and ``view_history`` in the warehouse."""

    @dg.asset(
        name=view.name,
        deps=list(views.upstream_names(view, all_views)),
        group_name=GROUP,
        kinds={"duckdb", "sql"},
        owners=OWNERS,
        description=_description(view),
        metadata={"sql": dg.MetadataValue.md(f"```sql\n{view.sql}\n```"), "grain": view.sidecar.grain},
    )
    def _view(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            status = views.refresh_view(con, view, all_views)
            if not status.created:
                context.log.warning(f"{view.name} not created: {', '.join(status.missing)} do(es) not exist yet")
                return dg.MaterializeResult(
                    metadata={
                        "status": dg.MetadataValue.text("skipped"),
                        "missing_tables": dg.MetadataValue.text(", ".join(status.missing)),
                        "dagster/row_count": dg.MetadataValue.int(0),
                    }
                )
            preview = con.execute(f"select * from {views.newest_rows(con, view, all_views)} limit {PREVIEW_ROWS}").df()
            schema = column_schema(con, view.name, view.sidecar)
        return dg.MaterializeResult(
            metadata={
                "status": dg.MetadataValue.text("created"),
                "dagster/row_count": dg.MetadataValue.int(status.latest_rows),
                "dagster/column_schema": schema,
                "dagster/table_name": dg.MetadataValue.text(view.name),
                "newest_complete_month": dg.MetadataValue.text(
                    f"{status.latest_month:%Y-%m}" if status.latest_month else "none"
                ),
                "decided_by_tables": dg.MetadataValue.text(", ".join(status.monthly_inputs) or "-"),
                "history_view": dg.MetadataValue.text(view.history_name),
                "history_rows": dg.MetadataValue.int(status.history_rows),
                "history_months": dg.MetadataValue.int(status.history_months),
                "preview": table_md(preview) if len(preview) else dg.MetadataValue.md("_no rows_"),
            }
        )

    return _view


VIEW_ASSETS = [view_asset(v, VIEW_DEFS) for v in VIEW_DEFS]


@dg.asset(
    name=BI_COPY,
    deps=[a.key for a in VIEW_ASSETS],
    group_name=GROUP,
    kinds={"duckdb"},
    owners=OWNERS,
)
def warehouse_bi_copy(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """The read-only copy of the warehouse BI tools connect to (`RFM_BI_COPY`, default
    `data/bi/warehouse_bi.duckdb`): every table and view, plus `bi_catalog` (each BI view's newest
    complete month). Taken as one consistent state while no run writes, then swapped in atomically
    (`os.replace`), so BI never blocks a run and never sees a half-written month. Open it read-only.
    """
    if warehouse.is_lake:  # no copy: BI reads the lake at the snapshot holding bi_catalog (docs/scaling.md)
        lake = publish.publish_lake(warehouse.path, warehouse.lake_data_path, view_defs=VIEW_DEFS)
        return dg.MaterializeResult(
            metadata={
                "lake_snapshot": dg.MetadataValue.int(lake.snapshot),
                "views": dg.MetadataValue.text(", ".join(lake.views)),
                "connect": dg.MetadataValue.md(f"```sql\n{lake.attach_sql(warehouse.path)};\nuse lake;\n```"),
            }
        )
    with warehouse.released():  # a run holding one connection (RUN_CONNECTION_TAG) lets go of it meanwhile
        result = publish.publish_copy(
            warehouse.path, warehouse.bi_copy(), view_defs=VIEW_DEFS, lock_timeout_s=warehouse.lock_timeout_seconds
        )
    context.log.info(f"published {result.path} ({result.size_bytes / 1e6:.1f} MB) in {result.seconds:.1f}s")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path.resolve())),
            "size_mb": dg.MetadataValue.float(round(result.size_bytes / 1e6, 2)),
            "seconds": dg.MetadataValue.float(round(result.seconds, 2)),
            "tables": dg.MetadataValue.text(", ".join(result.tables)),
            "views": dg.MetadataValue.text(", ".join(result.views)),
            "connect": dg.MetadataValue.md(f"```python\nduckdb.connect({str(result.path)!r}, read_only=True)\n```"),
        }
    )


def bi_assets() -> list[dg.AssetsDefinition]:
    """Every asset of the BI layer."""
    return [*VIEW_ASSETS, warehouse_bi_copy]
