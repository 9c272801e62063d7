"""Point-in-time inputs of the drift checks: per-month figures read from the warehouse, never of a
month after the one checked (forecasts: the ones made before their month began). Pure DuckDB; the
rules themselves are in ``drift.py`` and ``drift_forecast.py``."""

from __future__ import annotations

import math
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from rfm_assets.core import drift
from rfm_assets.core.drift_forecast import forecast_drift
from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months
from rfm_assets.core.warehouse import table_exists

if TYPE_CHECKING:
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pd = lazy("pandas")

SHARE_FLOOR = 0.05  # segment and cluster shares: a change within 5 points of the usual one never warns
GUEST_FLOOR = 0.03  # guest-line share: 3 points
PARAM_FLOOR = math.log(1.5)  # CLV parameters: a change within x1.5 / 1.5 of the usual one never warns
MASE_FLOOR = math.log(2.0)  # forecast error: up to twice its median never warns...
MASE_MINIMUM = 1.0  # ...nor does an error no larger than the in-sample naive forecast's (MASE <= 1)
MASE_MIN_HISTORY = 6  # consecutive backtests share windows, so their spread needs more months


def _window(month: date) -> list[date]:
    return [add_months(month, -drift.LOOKBACK - 1), month]


def cleaned_monthly(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame:
    """Lines, revenue and guest-line share of cleaned_transactions for the month and the ones before it."""
    return con.execute(
        "select snapshot_month, count(*) as lines, sum(line_revenue) as revenue, "
        "1 - count(customer_id) / count(*) as guest_share "
        "from cleaned_transactions where snapshot_month between ? and ? group by 1 order by 1",
        _window(month),
    ).df()


def company_forecasts(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame | None:
    """One-month-ahead company revenue forecasts (ds, forecast, lo_95, hi_95) for ``month`` and the months
    before it, each made at the end of the month before its ds (so known before ``month`` began)."""
    if not table_exists(con, "cluster_revenue_forecasts"):
        return None
    return con.execute(
        "select ds, forecast, lo_95, hi_95 from cluster_revenue_forecasts where series = 'company' "
        "and ds = (snapshot_month + interval 1 month)::date and ds between ? and ?",
        _window(month),
    ).df()


def _over_window(con: duckdb.DuckDBPyConnection, sql: str, month: date) -> pd.DataFrame:
    """``sql`` (with ``between ? and ?``) over the months the checks look at, as a frame."""
    return con.execute(sql, _window(month)).df()


def segment_shares(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame:
    """Share of customers per RFM segment, for the month and the ones before it."""
    return _over_window(
        con,
        "select snapshot_month, rfm_segment as segment, "
        "count(*) / sum(count(*)) over (partition by snapshot_month) as share "
        "from rfm_snapshots where snapshot_month between ? and ? group by 1, 2",
        month,
    )


def cluster_shares(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame:
    """Customer share of the top cluster, the inactive cluster and the clusters between them. The two
    extreme centroids keep their meaning month to month; the middle ones are refitted every month and
    trade customers, ranks and names ('Potential Loyal' vs 'At Risk') on small centroid moves."""
    return _over_window(
        con,
        "select snapshot_month, case when cluster_name in ('Top Customers', 'Inactive') "
        "then cluster_name else 'the clusters between them' end as cluster, "
        "sum(customer_share) as customer_share from cluster_profiles "
        "where snapshot_month between ? and ? group by 1, 2",
        month,
    )


def clv_params(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame:
    """What the fitted BG/NBD and Gamma-Gamma models say about customers, for the month and the ones
    before it: the quantities the data identify, not the raw parameters. Gamma-Gamma's p, q and v
    trade off against each other (on a young shop's few repeat buyers q moved x0.09 and v x19 in one
    month while the mean spend they imply barely moved), so each model is judged by its population
    means and shapes: purchase rate r/alpha and its shape r, drop-out probability a/(a+b) and its
    concentration a+b, and mean spend per order p*v/(q-1) (defined for q > 1); the spend shape p
    alone is no better identified than q and v (it swung x0.5..x1.8 month to month on that shop)."""
    return con.execute(
        """
        with wide as (
            pivot (select snapshot_month, param, value from clv_model_params
                   where snapshot_month between ? and ? and param in ('r', 'alpha', 'a', 'b', 'p', 'q', 'v'))
            on param in ('r', 'alpha', 'a', 'b', 'p', 'q', 'v') using first(value)
        ), derived as (
            unpivot (select snapshot_month,
                            r / alpha as "purchase rate r/alpha", r as "purchase-rate shape r",
                            a / (a + b) as "drop-out probability a/(a+b)", a + b as "drop-out concentration a+b",
                            case when q > 1 then p * v / (q - 1) end as "mean spend p*v/(q-1)"
                     from wide)
            on columns(* exclude (snapshot_month)) into name param value value
        )
        select snapshot_month, param, value from derived where value > 0 and isfinite(value)
        """,
        _window(month),
    ).df()


def company_mase(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame:
    """The chosen model's backtest MASE for the company series, this month and the ones before it."""
    return con.execute(
        "select snapshot_month, avg(mase) as mase from forecast_backtest_metrics "
        "where series = 'company' and chosen and snapshot_month between ? and ? group by 1 order by 1",
        _window(month),
    ).df()


LOADERS = {
    "row_count": cleaned_monthly,
    "revenue": cleaned_monthly,
    "guest_share": cleaned_monthly,
    "segment_shares": segment_shares,
    "cluster_shares": cluster_shares,
    "clv_parameters": clv_params,
    "forecast_error": company_mase,
}


def judge(check: str, frame: pd.DataFrame, month: date, forecasts: pd.DataFrame | None = None) -> drift.DriftResult:
    """The rule of ``check`` on its loaded ``frame`` (and, for volumes, the one-month-ahead forecasts)."""
    if check == "row_count":
        return forecast_drift(frame, month, "lines", forecasts, what="purchase lines", per_revenue=True)
    if check == "revenue":
        return forecast_drift(frame, month, "revenue", forecasts, what="revenue")
    if check == "guest_share":
        return drift.change_drift(frame, month, "guest_share", what="share of guest lines", floor=GUEST_FLOOR)
    if check == "segment_shares":
        return drift.group_change_drift(
            frame, month, group="segment", value="share", what="segment share", floor=SHARE_FLOOR
        )
    if check == "cluster_shares":
        return drift.group_change_drift(
            frame, month, group="cluster", value="customer_share", what="share of customers in", floor=SHARE_FLOOR
        )
    if check == "clv_parameters":
        return drift.group_change_drift(
            frame, month, group="param", value="value", what="parameter", floor=PARAM_FLOOR, transform="log", unit="log"
        )
    if check == "forecast_error":
        return drift.level_drift(
            frame,
            month,
            "mase",
            what="company forecast backtest MASE",
            floor=MASE_FLOOR,
            minimum=MASE_MINIMUM,
            min_history=MASE_MIN_HISTORY,
        )
    raise ValueError(f"unknown drift check {check!r}")


def evaluate_all(
    con: duckdb.DuckDBPyConnection, table: str, month: date, checks: list[str]
) -> dict[str, drift.DriftResult]:
    """Run the drift ``checks`` of ``table`` for ``month``, reading each input once; a table not built
    yet passes with 'no history yet'."""
    unknown = [c for c in checks if c not in LOADERS]
    if unknown:
        raise ValueError(f"unknown drift check(s) {unknown}")
    if not table_exists(con, table):
        return {c: drift.DriftResult(True, f"no history yet: {table} has not been built", {}) for c in checks}
    frames: dict = {}
    for check in checks:
        loader = LOADERS[check]
        if loader not in frames:
            frames[loader] = loader(con, month)
    forecasts = company_forecasts(con, month) if {"row_count", "revenue"} & set(checks) else None
    return {check: judge(check, frames[LOADERS[check]], month, forecasts) for check in checks}


def evaluate(con: duckdb.DuckDBPyConnection, table: str, month: date, check: str) -> drift.DriftResult:
    """One drift check of ``table`` for ``month`` (see :func:`evaluate_all`)."""
    return evaluate_all(con, table, month, [check])[check]
