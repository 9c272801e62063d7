"""Forecasting layer: revenue per named customer cluster and for the company, 24 months ahead."""

import time
from collections.abc import Iterator

import dagster as dg
import pandas as pd

from rfm_assets.assets.ingestion import OWNERS, cleaned_transactions
from rfm_assets.assets.inputs import ALL_HISTORY, require_history
from rfm_assets.assets.metadata import image, partition_metadata
from rfm_assets.assets.segments import customer_clusters
from rfm_assets.core import forecast_plots, forecasting
from rfm_assets.core.months import month_end
from rfm_assets.core.sqlfiles import load_sql
from rfm_assets.core.warehouse import replace_partition, replace_partition_frame
from rfm_assets.partitions import MONTHLY, partition_month
from rfm_assets.resources import WarehouseResource

GROUP = "forecasting"
KINDS = {"duckdb", "python", "statsforecast"}
NOT_FORECAST = {"company_customers"}  # kept in the history to reconcile, never forecast
FORECAST_COLUMNS = ["snapshot_month", "series", "ds", "model", "grain", "forecast", "lo_80", "hi_80",
                    "lo_95", "hi_95"]
BACKTEST_COLUMNS = ["snapshot_month", *forecasting.BACKTEST_COLUMNS, "skill_vs_baseline"]


def _backtest_frame(result: forecasting.ForecastResult, month: object) -> pd.DataFrame:
    """The backtest rows with the chosen model's skill against the baseline on the chosen row."""
    skill = result.skill.set_index("series")["skill"]
    frame = result.backtest.copy()
    frame["skill_vs_baseline"] = [skill.get(s) if chosen else None
                                  for s, chosen in zip(frame["series"], frame["chosen"], strict=True)]
    frame.insert(0, "snapshot_month", month)
    return frame.astype({"season_length": "int32", "n_windows": "int32", "skill_vs_baseline": "float64"})


@dg.multi_asset(
    specs=[
        dg.AssetSpec("forecast_revenue_history",
                     deps=[dg.AssetDep(cleaned_transactions, partition_mapping=ALL_HISTORY), customer_clusters],
                     description="Daily revenue per forecast series as of the month: each cluster's customers "
                     "(their cluster as of this month) over all history, the company (guest sales included) "
                     "and the company's customer part (`sql/forecast_revenue_history.sql`).",
                     group_name=GROUP, kinds={"duckdb", "sql"}, owners=OWNERS),
        dg.AssetSpec("cluster_revenue_forecasts", deps=["forecast_revenue_history"],
                     description="Monthly revenue 24 months ahead per customer cluster and for the company, "
                     "with 80% and 95% intervals, from the statsforecast model (AutoETS, AutoARIMA, "
                     "AutoTheta, at monthly or weekly grain) that won a rolling-origin backtest against "
                     "the seasonal naive. Short histories fall back to non-seasonal models, or to a naive "
                     "forecast with a warning in the metadata. Every value stays inside an envelope "
                     "derived from the series' own largest month and capped growth (README, Revenue "
                     "forecasts); models that leave it fall back, bounds are clipped, with a warning.",
                     group_name=GROUP, kinds=KINDS, owners=OWNERS),
        dg.AssetSpec("forecast_backtest_metrics", deps=["forecast_revenue_history"],
                     description="Rolling-origin backtest of every candidate forecast model per series: MASE "
                     "and sMAPE on month totals, the chosen model and its skill against the naive "
                     "baseline. The metadata plots each series' history, forecast and intervals.",
                     group_name=GROUP, kinds=KINDS, owners=OWNERS),
    ],
    partitions_def=MONTHLY,
    can_subset=False,
)
def revenue_forecasts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> Iterator[dg.MaterializeResult]:
    """Build the month's revenue history, backtest the candidate models and publish 24-month forecasts."""
    month = partition_month(context)
    with warehouse.connect() as con:
        require_history(con, "cleaned_transactions", month)
        require_history(con, "customer_clusters", month, since=month)
        replace_partition(con, "forecast_revenue_history", month, load_sql("forecast_revenue_history"),
                          {"month": month})
        daily = con.execute("select series, ds, revenue as y from forecast_revenue_history "
                            "where snapshot_month = ? order by series, ds", [month]).df()
        started = time.perf_counter()
        result = forecasting.forecast_all(daily[~daily["series"].isin(NOT_FORECAST)], month_end(month))
        seconds = time.perf_counter() - started
        forecasts = result.forecasts.assign(snapshot_month=month)[FORECAST_COLUMNS]
        replace_partition_frame(con, "cluster_revenue_forecasts", month, forecasts)
        backtest = _backtest_frame(result, month)[BACKTEST_COLUMNS]
        replace_partition_frame(con, "forecast_backtest_metrics", month, backtest, allow_empty=True)
        history_md = partition_metadata(con, "forecast_revenue_history", month)
        forecast_md = partition_metadata(con, "cluster_revenue_forecasts", month)
        backtest_md = partition_metadata(con, "forecast_backtest_metrics", month)
    context.log.info(f"forecasts {month:%Y-%m}: {len(result.skill)} series in {seconds:.1f}s")
    for warning in result.warnings:
        context.log.warning(warning)
    skill = result.skill.round(3).to_markdown(index=False)
    notes = dg.MetadataValue.md("\n".join(f"- {w}" for w in result.warnings) or "none")
    timing = dg.MetadataValue.json({"total_seconds": round(seconds, 2), **result.seconds_by_model()})
    yield dg.MaterializeResult(asset_key="forecast_revenue_history", metadata=history_md)
    yield dg.MaterializeResult(asset_key="cluster_revenue_forecasts", metadata={
        **forecast_md, "chosen_models": dg.MetadataValue.md(skill), "warnings": notes,
        "forecast_plot": image(forecast_plots.plot_all(result), "revenue forecasts"),
        "fit_seconds": timing,
    })
    yield dg.MaterializeResult(asset_key="forecast_backtest_metrics", metadata={
        **backtest_md, "skill_vs_baseline": dg.MetadataValue.md(skill), "warnings": notes, "fit_seconds": timing,
    })
