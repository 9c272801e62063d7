"""Build of the forecasting layer: the month's revenue history, backtests and forecasts."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from rfm_assets.core import forecasting
from rfm_assets.core.forecast_accuracy import ACCURACY_COLUMNS, accuracy_table, actuals_frame, realized_pairs
from rfm_assets.core.forecast_history import prepare_history
from rfm_assets.core.forecasting import ForecastConfig, ForecastResult
from rfm_assets.core.lazy import lazy
from rfm_assets.core.ledger import table_exists
from rfm_assets.core.months import month_end
from rfm_assets.core.sqlfiles import load_sidecar, load_sql
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
    result = forecasting.forecast_all(forecast, month_end(month), cfg, published=published_forecasts(con, month))
    seconds = time.perf_counter() - started
    forecasts = result.forecasts.assign(snapshot_month=month)[FORECAST_COLUMNS]
    replace_partition_frame(con, "cluster_revenue_forecasts", month, forecasts)
    backtest = backtest_frame(result, month)[BACKTEST_COLUMNS]
    replace_partition_frame(con, "forecast_backtest_metrics", month, backtest, allow_empty=True)
    return ForecastBuild(result, seconds)


PUBLISHED_SQL = """
select snapshot_month, series, ds, forecast, lo_80, hi_80, lo_95, hi_95
from cluster_revenue_forecasts
where snapshot_month < ? and ds <= ?
order by snapshot_month, series, ds
"""


def published_forecasts(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame:
    """The forecasts published before ``month`` for months up to ``month`` (what can be scored at it);
    none before the table exists (the first month built)."""
    if not table_exists(con, "cluster_revenue_forecasts"):
        return pd.DataFrame(columns=["snapshot_month", "series", "ds", "forecast", "lo_80", "hi_80", "lo_95", "hi_95"])
    return con.execute(PUBLISHED_SQL, [month, month]).df()


@dataclass(frozen=True)
class AccuracyBuild:
    pairs: pd.DataFrame  # forecast_accuracy.PAIR_COLUMNS: every forecast month observed by the month
    table: pd.DataFrame  # the stored rows


def build_forecast_accuracy(con: duckdb.DuckDBPyConnection, month: date) -> AccuracyBuild:
    """forecast_accuracy for ``month``: earlier snapshots' forecasts against the months observed by its end.

    Actual month totals come from this month's forecast_revenue_history (only lines up to its end)."""
    daily = con.execute(
        "select series, ds, revenue as y from forecast_revenue_history where snapshot_month = ? order by series, ds",
        [month],
    ).df()
    daily = daily[~daily["series"].isin(sorted(NOT_FORECAST))]
    months = {name: mon for name, (mon, _) in prepare_history(daily, month, []).items()}
    pairs = realized_pairs(published_forecasts(con, month), actuals_frame(months), month)
    table = accuracy_table(pairs).assign(snapshot_month=month)[["snapshot_month", *ACCURACY_COLUMNS]]
    typed = ", ".join(f'"{c}"::{t} as "{c}"' for c, t in load_sidecar("forecast_accuracy").types.items())
    replace_partition_frame(con, "forecast_accuracy", month, table, allow_empty=True, select=typed)
    return AccuracyBuild(pairs, table)
