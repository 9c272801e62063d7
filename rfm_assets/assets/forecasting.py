"""Forecasting layer: revenue per named customer cluster and for the company, months ahead."""

from collections.abc import Iterator

import dagster as dg

from rfm_assets.assets.decorators import monthly_multi_asset, sql_spec
from rfm_assets.assets.ingestion import OWNERS, cleaned_transactions
from rfm_assets.assets.inputs import ALL_HISTORY, require_history
from rfm_assets.assets.metadata import image, partition_metadata
from rfm_assets.assets.segments import customer_clusters
from rfm_assets.core import plots
from rfm_assets.core.builds.forecasts import build_revenue_forecasts
from rfm_assets.core.forecasting import ForecastConfig
from rfm_assets.partitions import partition_month
from rfm_assets.resources import WarehouseResource

GROUP = "forecasting"
KINDS = {"duckdb", "python", "statsforecast"}
HORIZON = ForecastConfig.horizon_months


@monthly_multi_asset(
    sql_spec(
        "forecast_revenue_history",
        deps=[dg.AssetDep(cleaned_transactions, partition_mapping=ALL_HISTORY), customer_clusters],
        description="Daily revenue per forecast series as of the month: each cluster's customers "
        "(their cluster as of this month) over all history, the company (guest sales included) "
        "and the company's customer part (`sql/forecast_revenue_history.sql`).",
        group_name=GROUP,
        owners=OWNERS,
    ),
    dg.AssetSpec(
        "cluster_revenue_forecasts",
        deps=["forecast_revenue_history"],
        description=f"Monthly revenue {HORIZON} months ahead per customer cluster and for the company, "
        "with 80% and 95% intervals, from the statsforecast model (AutoETS, AutoARIMA, "
        "AutoTheta, at monthly or weekly grain) that won a rolling-origin backtest against "
        "the seasonal naive. Short histories fall back to non-seasonal models, or to a naive "
        "forecast with a warning in the metadata. Every value stays inside an envelope "
        "derived from the series' own largest month and capped growth (README, Revenue "
        "forecasts); models that leave it fall back, bounds are clipped, with a warning.",
        group_name=GROUP,
        kinds=KINDS,
        owners=OWNERS,
    ),
    dg.AssetSpec(
        "forecast_backtest_metrics",
        deps=["forecast_revenue_history"],
        description="Rolling-origin backtest of every candidate forecast model per series: MASE "
        "and sMAPE on month totals, the chosen model and its skill against the naive "
        "baseline. The metadata plots each series' history, forecast and intervals.",
        group_name=GROUP,
        kinds=KINDS,
        owners=OWNERS,
    ),
)
def revenue_forecasts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    """Build the month's revenue history, backtest the candidate models and publish the forecasts."""
    month = partition_month(context)
    with warehouse.connect() as con:
        require_history(con, "cleaned_transactions", month)
        require_history(con, "customer_clusters", month, since=month)
        built = build_revenue_forecasts(con, month, ForecastConfig())
        history_md = partition_metadata(con, "forecast_revenue_history", month)
        forecast_md = partition_metadata(con, "cluster_revenue_forecasts", month)
        backtest_md = partition_metadata(con, "forecast_backtest_metrics", month)
    result, seconds = built.result, built.seconds
    context.log.info(f"forecasts {month:%Y-%m}: {len(result.skill)} series in {seconds:.1f}s")
    for warning in result.warnings:
        context.log.warning(warning)
    skill = result.skill.round(3).to_markdown(index=False) or ""
    notes = dg.MetadataValue.md("\n".join(f"- {w}" for w in result.warnings) or "none")
    timing = dg.MetadataValue.json({"total_seconds": round(seconds, 2), **result.seconds_by_model()})
    yield dg.MaterializeResult(asset_key="forecast_revenue_history", metadata=history_md)
    yield dg.MaterializeResult(
        asset_key="cluster_revenue_forecasts",
        metadata={
            **forecast_md,
            "chosen_models": dg.MetadataValue.md(skill),
            "warnings": notes,
            "forecast_plot": image(plots.forecast_plot(result), "revenue forecasts"),
            "fit_seconds": timing,
        },
    )
    yield dg.MaterializeResult(
        asset_key="forecast_backtest_metrics",
        metadata={
            **backtest_md,
            "skill_vs_baseline": dg.MetadataValue.md(skill),
            "warnings": notes,
            "fit_seconds": timing,
        },
    )
