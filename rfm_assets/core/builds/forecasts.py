"""Build of the forecasting layer: the month's revenue history, backtests and forecasts."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from rfm_assets.core import forecasting
from rfm_assets.core.forecasting import ForecastConfig, ForecastResult
from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import month_end
from rfm_assets.core.sqlfiles import load_sql
from rfm_assets.core.warehouse import replace_partition, replace_partition_frame

if TYPE_CHECKING:
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pd = lazy("pandas")

NOT_FORECAST = {"company_customers"}  # kept in the history to reconcile, never forecast
FORECAST_COLUMNS = [
    "snapshot_month",
    "series",
    "ds",
    "model",
    "grain",
    "forecast",
    "lo_80",
    "hi_80",
    "lo_95",
    "hi_95",
]
BACKTEST_COLUMNS = ["snapshot_month", *forecasting.BACKTEST_COLUMNS, "skill_vs_baseline"]


@dataclass(frozen=True)
class ForecastBuild:
    result: ForecastResult  # forecasts, backtest, skill per series, warnings, seconds per model
    seconds: float  # forecast_all's wall time


def backtest_frame(result: ForecastResult, month: date) -> pd.DataFrame:
    """The backtest rows with the chosen model's skill against the baseline on the chosen row."""
    skill = result.skill.set_index("series")["skill"]
    frame = result.backtest.copy()
    frame["skill_vs_baseline"] = [
        skill.get(s) if chosen else None for s, chosen in zip(frame["series"], frame["chosen"], strict=True)
    ]
    frame.insert(0, "snapshot_month", month)
    return frame.astype({"season_length": "int32", "n_windows": "int32", "skill_vs_baseline": "float64"})


def build_revenue_forecasts(
    con: duckdb.DuckDBPyConnection, month: date, cfg: ForecastConfig | None = None
) -> ForecastBuild:
    """forecast_revenue_history, cluster_revenue_forecasts and forecast_backtest_metrics for ``month``."""
    replace_partition(con, "forecast_revenue_history", month, load_sql("forecast_revenue_history"), {"month": month})
    daily = con.execute(
        "select series, ds, revenue as y from forecast_revenue_history where snapshot_month = ? order by series, ds",
        [month],
    ).df()
    started = time.perf_counter()
    forecast = pd.DataFrame(daily[~daily["series"].isin(sorted(NOT_FORECAST))])
    result = forecasting.forecast_all(forecast, month_end(month), cfg)
    seconds = time.perf_counter() - started
    forecasts = result.forecasts.assign(snapshot_month=month)[FORECAST_COLUMNS]
    replace_partition_frame(con, "cluster_revenue_forecasts", month, forecasts)
    backtest = backtest_frame(result, month)[BACKTEST_COLUMNS]
    replace_partition_frame(con, "forecast_backtest_metrics", month, backtest, allow_empty=True)
    return ForecastBuild(result, seconds)
