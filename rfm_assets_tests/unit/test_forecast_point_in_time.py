"""Point in time on a real DuckDB file: rewriting every month after M leaves M's forecasts and M's
accuracy rows exactly as they were (the builds read nothing after M, and earlier snapshots only)."""

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from rfm_assets.core.builds.forecasts import build_forecast_accuracy, build_revenue_forecasts
from rfm_assets.core.forecasting import ForecastConfig
from rfm_assets.core.months import add_months, month_end

START, N_MONTHS, M = date(2020, 1, 1), 11, date(2020, 8, 1)
CFG = ForecastConfig(horizon_months=12, grains=("monthly",), models=("AutoETS",))
CLUSTERS = ["Top Customers", "At Risk"]


def _lines(seed: int, months: list[date]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for month in months:
        for customer in range(30):
            for _ in range(rng.poisson(1.5)):
                day = date(month.year, month.month, int(rng.integers(1, month_end(month).day + 1)))
                rows.append((month, str(customer), day, float(rng.gamma(2.0, 20.0 + customer))))
        rows.append((month, None, date(month.year, month.month, 3), 50.0))  # a guest sale
    return pd.DataFrame(rows, columns=["snapshot_month", "customer_id", "order_date", "line_revenue"])


def _clusters(seed: int, months: list[date]) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        [(m, str(c), CLUSTERS[int(rng.integers(0, 2))]) for m in months for c in range(30)],
        columns=["snapshot_month", "customer_id", "cluster_name"],
    )


def _write(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    con.register("frame", frame)
    days = ", order_date::date as order_date" if "order_date" in frame else ""
    replace = f"snapshot_month::date as snapshot_month{days}"
    con.execute(f"create or replace table {table} as select * replace ({replace}) from frame")
    con.unregister("frame")


def _rows(con: duckdb.DuckDBPyConnection, table: str, month: date) -> pd.DataFrame:
    frame = con.execute(f"select * from {table} where snapshot_month = ?", [month]).df()
    return frame.sort_values(list(frame.columns[:4])).reset_index(drop=True)


def _build(con: duckdb.DuckDBPyConnection, months: list[date]) -> None:
    for month in months:
        build_revenue_forecasts(con, month, CFG)
        build_forecast_accuracy(con, month)


@pytest.mark.slow
def test_rewriting_every_month_after_m_moves_nothing_of_m(tmp_path):
    months = [add_months(START, k) for k in range(N_MONTHS)]
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    _write(con, "cleaned_transactions", _lines(1, months))
    _write(con, "customer_clusters", _clusters(2, months))
    _build(con, months)
    before = {
        t: _rows(con, t, M) for t in ("cluster_revenue_forecasts", "forecast_accuracy", "forecast_revenue_history")
    }
    later_before = _rows(con, "forecast_accuracy", months[-1])
    assert len(before["forecast_accuracy"]) > 0 and set(before["cluster_revenue_forecasts"]["series"]) >= set(CLUSTERS)

    after_m = [m for m in months if m > M]
    kept = con.execute("select * from cleaned_transactions where snapshot_month <= ?", [M]).df()
    _write(
        con,
        "cleaned_transactions",
        pd.concat([kept, _lines(99, after_m).assign(line_revenue=lambda f: f["line_revenue"] * 5)]),
    )
    kept = con.execute("select * from customer_clusters where snapshot_month <= ?", [M]).df()
    _write(con, "customer_clusters", pd.concat([kept, _clusters(98, after_m)]))
    _build(con, after_m)  # the later snapshots' forecasts change too
    _build(con, [M])  # and M is rebuilt with all of it in the warehouse

    for table, frame in before.items():
        pd.testing.assert_frame_equal(_rows(con, table, M), frame, check_exact=True, obj=table)
    assert not _rows(con, "forecast_accuracy", months[-1]).equals(
        later_before
    )  # the rewrite did change the later months
