"""Forecasting layer: revenue per named customer cluster and for the company, months ahead."""

from collections.abc import Iterator

import dagster as dg

from rfm_assets.assets.decorators import monthly_multi_asset
from rfm_assets.assets.ingestion import OWNERS, cleaned_transactions
from rfm_assets.assets.inputs import ALL_HISTORY, first_month, require_history
from rfm_assets.assets.layers import Layer
from rfm_assets.assets.metadata import partition_metadata, plot, plots_wanted
from rfm_assets.assets.segments import customer_clusters
from rfm_assets.assets.steps import month_step
from rfm_assets.core import plots
from rfm_assets.core.builds.forecasts import build_revenue_forecasts
from rfm_assets.core.forecasting import ForecastConfig
from rfm_assets.core.months import add_months
from rfm_assets.resources import WarehouseResource

GROUP = "forecasting"
LAYER = Layer(GROUP, OWNERS, frozenset({"duckdb", "python", "statsforecast"}))
HORIZON = ForecastConfig.horizon_months
# Each month's forecasts are calibrated on every earlier month's: so they need the previous month's.
PREVIOUS = dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)


@monthly_multi_asset(
    LAYER.sql_spec(
        "forecast_revenue_history",
        deps=[
            dg.AssetDep(cleaned_transactions, partition_mapping=ALL_HISTORY),
            dg.AssetDep(customer_clusters, partition_mapping=ALL_HISTORY),
        ],
        description="Daily revenue per forecast series as of the month, without hindsight: a line of "
        "month m counts for the cluster its customer was in at the end of m-1 ('New or returning' "
        "when none), the company (guest sales included) and the company's customer part "
        "(`sql/forecast_revenue_history.sql`).",
    ),
    LAYER.spec(
        "cluster_revenue_forecasts",
        deps=["forecast_revenue_history", dg.AssetDep("cluster_revenue_forecasts", partition_mapping=PREVIOUS)],
        description=f"Monthly revenue {HORIZON} months ahead per customer cluster and for the company, "
        "with 80% and 95% intervals, from the statsforecast model (AutoETS, AutoARIMA, "
        "AutoTheta, at monthly or weekly grain) that won a rolling-origin backtest against "
        "the seasonal naive. Short histories fall back to non-seasonal models, or to a naive "
        "forecast with a warning in the metadata. Intervals are calibrated on the realized errors of "
        "the earlier months' forecasts (conformal) once there are enough, widened by a documented "
        "rule before that (docs/methods.md). Every value stays inside an envelope "
        "derived from the series' own largest month and capped growth (README, Revenue "
        "forecasts); models that leave it fall back, bounds are clipped, with a warning.",
    ),
    LAYER.spec(
        "forecast_backtest_metrics",
        deps=["forecast_revenue_history"],
        description="Rolling-origin backtest of every candidate forecast model per series: MASE "
        "and sMAPE on month totals, the chosen model and its skill against the naive "
        "baseline. The metadata plots each series' history, forecast and intervals.",
    ),
)
def revenue_forecasts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Build the month's revenue history, backtest the candidate models and publish the forecasts."""
    with month_step(context, warehouse, "cleaned_transactions") as (month, con):
        if month > first_month():  # the clusters entering each month, and the forecasts to calibrate on
            require_history(con, "customer_clusters", add_months(month, -1))
            require_history(con, "cluster_revenue_forecasts", add_months(month, -1))
        built = build_revenue_forecasts(con, month, ForecastConfig())
        history_md = partition_metadata(con, "forecast_revenue_history", month)
        forecast_md = partition_metadata(con, "cluster_revenue_forecasts", month)
        backtest_md = partition_metadata(con, "forecast_backtest_metrics", month)
    result, seconds = built.result, built.seconds
    context.log.info(f"forecasts {month:%Y-%m}: {len(result.skill)} series in {seconds:.1f}s")
    if result.warnings:  # one message, not one per warning: each log line is an event Dagster stores
        context.log.warning(
            f"forecasts {month:%Y-%m}: {len(result.warnings)} warning(s)\n" + "\n".join(result.warnings)
        )
    skill = dg.MetadataValue.md(result.skill.round(3).to_markdown(index=False) or "")
    fit = {  # one fit wrote both tables: its warnings and timings go with each
        "warnings": dg.MetadataValue.md("\n".join(f"- {w}" for w in result.warnings) or "none"),
        "fit_seconds": dg.MetadataValue.json({"total_seconds": round(seconds, 2), **result.seconds_by_model()}),
    }
    yield dg.MaterializeResult(asset_key="forecast_revenue_history", metadata=history_md)
    png = plot("forecast_plot", plots_wanted(context), lambda: plots.forecast_plot(result), "revenue forecasts")
    yield dg.MaterializeResult(
        asset_key="cluster_revenue_forecasts", metadata={**forecast_md, "chosen_models": skill, **png, **fit}
    )
    yield dg.MaterializeResult(
        asset_key="forecast_backtest_metrics", metadata={**backtest_md, "skill_vs_baseline": skill, **fit}
    )
