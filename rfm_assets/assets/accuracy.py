"""Realized forecast accuracy: each month, the earlier snapshots' forecasts against the months that came."""

import dagster as dg

from rfm_assets.assets.decorators import monthly_asset
from rfm_assets.assets.forecasting import GROUP
from rfm_assets.assets.ingestion import OWNERS
from rfm_assets.assets.inputs import ALL_HISTORY, require_history
from rfm_assets.assets.metadata import partition_metadata, plot, plots_wanted, table_md
from rfm_assets.core import plots
from rfm_assets.core.builds.forecasts import build_forecast_accuracy
from rfm_assets.partitions import partition_month
from rfm_assets.resources import WarehouseResource

SUMMARY = ["series", "h_from", "h_to", "n_origins", "mape", "mape_naive", "mape_vs_naive", "coverage_80", "coverage_95"]


@monthly_asset(
    deps=[
        dg.AssetDep("cluster_revenue_forecasts", partition_mapping=ALL_HISTORY),
        dg.AssetDep("forecast_revenue_history"),
    ],
    group_name=GROUP,
    kinds={"duckdb", "python", "pandas"},
    owners=OWNERS,
)
def forecast_accuracy(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Realized accuracy as of the month: every earlier snapshot's forecast for a month now observed,
    per series and horizon (1..12): MAE and MAPE next to the naive and seasonal naive made at the same
    origin, realized 80% / 95% coverage, and the origins and months behind each figure
    (`rfm_assets/core/forecast_accuracy.py`). The backtest skill only chose the model; these are the
    figures to quote."""
    month = partition_month(context)
    with warehouse.connect() as con:
        require_history(con, "cluster_revenue_forecasts", month)
        built = build_forecast_accuracy(con, month)
        metadata = partition_metadata(con, "forecast_accuracy", month)
    table = built.table
    pooled = table[(table["h_from"] == 1) & (table["h_to"].isin([3, 12])) & (table["min_history_months"] == 6)]
    extra: dict[str, dg.MetadataValue] = {"forecast_months_scored": dg.MetadataValue.int(len(built.pairs))}
    if not table.empty:
        extra["accuracy_6plus_months_history"] = table_md(pooled[SUMMARY].round(3))
        extra.update(
            plot("accuracy_plot", plots_wanted(context), lambda: plots.accuracy_plot(table, month), "forecast accuracy")
        )
    return dg.MaterializeResult(metadata={**metadata, **extra})
