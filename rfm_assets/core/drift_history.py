"""Point-in-time inputs of the drift checks: per-month figures read from the warehouse, never of a
month after the one checked. Pure DuckDB; the comparisons themselves are in ``drift.py``."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from rfm_assets.core import drift
from rfm_assets.core.months import add_months
from rfm_assets.core.warehouse import table_exists


def _window(month: date) -> list[date]:
    return [add_months(month, -drift.TRAILING_MONTHS), month]


def cleaned_monthly(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame:
    """Lines, revenue and guest-line share of cleaned_transactions for the month and the 18 before it
    (the trailing window and, a year earlier, the months its year-over-year growth compares with)."""
    return con.execute(
        "select snapshot_month, count(*) as lines, sum(line_revenue) as revenue, "
        "1 - count(customer_id) / count(*) as guest_share "
        "from cleaned_transactions where snapshot_month between ? and ? group by 1 order by 1",
        [add_months(month, -drift.TRAILING_MONTHS - 12), month],
    ).df()


def segment_shares(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame:
    """Share of customers per RFM segment, for the month and the trailing window."""
    return con.execute(
        "select snapshot_month, rfm_segment as segment, "
        "count(*) / sum(count(*)) over (partition by snapshot_month) as share "
        "from rfm_snapshots where snapshot_month between ? and ? group by 1, 2", _window(month)
    ).df()


def cluster_shares(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame:
    """Customer share per named cluster, for the month and the trailing window."""
    return con.execute(
        "select snapshot_month, cluster_name, customer_share from cluster_profiles "
        "where snapshot_month between ? and ?", _window(month)
    ).df()


def clv_params(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame:
    """BG/NBD and Gamma-Gamma parameters, for the month and the trailing window."""
    return con.execute(
        "select snapshot_month, param, value from clv_model_params where snapshot_month between ? and ?",
        _window(month),
    ).df()


def company_mase(con: duckdb.DuckDBPyConnection, month: date) -> pd.DataFrame:
    """The chosen model's backtest MASE for the company series, this month and the trailing window."""
    return con.execute(
        "select snapshot_month, avg(mase) as mase, any_value(model) as model from forecast_backtest_metrics "
        "where series = 'company' and chosen and snapshot_month between ? and ? group by 1 order by 1",
        _window(month),
    ).df()


LOADERS = {"row_count": cleaned_monthly, "revenue": cleaned_monthly, "guest_share": cleaned_monthly,
           "segment_shares": segment_shares, "cluster_shares": cluster_shares, "clv_parameters": clv_params,
           "forecast_error": company_mase}


def _judge(check: str, frame: pd.DataFrame, month: date) -> drift.DriftResult:
    if check == "row_count":
        return drift.volume_drift(frame, month, "lines", what="purchase lines")
    if check == "revenue":
        return drift.volume_drift(frame, month, "revenue", what="revenue")
    if check == "guest_share":
        return drift.share_level(frame, month, "guest_share", what="share of guest lines")
    if check == "segment_shares":
        return drift.share_shift(frame, month, group="segment", share="share", what="segment share")
    if check == "cluster_shares":
        return drift.share_shift(frame, month, group="cluster_name", share="customer_share", what="cluster share")
    if check == "clv_parameters":
        return drift.parameter_drift(frame, month)
    return drift.trailing_ratio(frame, month, "mase", what="company forecast MASE", low=None, high=2.0)


def evaluate_all(con: duckdb.DuckDBPyConnection, table: str, month: date,
                 checks: list[str]) -> dict[str, drift.DriftResult]:
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
    return {check: _judge(check, frames[LOADERS[check]], month) for check in checks}


def evaluate(con: duckdb.DuckDBPyConnection, table: str, month: date, check: str) -> drift.DriftResult:
    """One drift check of ``table`` for ``month`` (see :func:`evaluate_all`)."""
    return evaluate_all(con, table, month, [check])[check]
