"""The aggregate forecast checks pass on consistent tables and fail on a broken one (hand-built)."""

from datetime import date

import duckdb
import great_expectations.expectations as gxe
import pandas as pd

from rfm_assets.checks.forecast_checks import TOLERANCE, horizon_frame, reconcile_frame
from rfm_assets.quality.runner import validate

MONTH = date(2011, 6, 1)


def _history(con, rows):
    con.register("history", pd.DataFrame(rows, columns=["series", "ds", "revenue"]).assign(snapshot_month=MONTH))
    con.execute("create or replace table forecast_revenue_history as select * from history")


def _gap_ok(frame):
    return validate(
        frame, "t", [gxe.ExpectColumnValuesToBeBetween(column="gap", min_value=0, max_value=TOLERANCE)]
    ).success


def test_reconciliation_is_checked_inside_the_window_only():
    con = duckdb.connect()
    old, new = date(2010, 1, 5), date(2011, 6, 3)  # 2010-01 is outside a 12-month window ending 2011-06
    rows = [
        ("A", new, 10.0),
        ("B", new, 5.5),
        ("company_customers", new, 15.5),
        ("company", new, 20.0),
        ("company_customers", old, 99.0),
        ("company", old, 99.0),
    ]  # a lapsed customer: no cluster
    _history(con, rows)
    frame = reconcile_frame(con, MONTH, 12)
    assert frame.to_dict("records") == [{"ds": pd.Timestamp(new), "clusters": 15.5, "customers": 15.5, "gap": 0.0}]
    assert _gap_ok(frame)
    _history(con, rows[1:])  # cluster A lost its revenue
    assert not _gap_ok(reconcile_frame(con, MONTH, 12))


def test_horizon_counts_distinct_months_per_series():
    con = duckdb.connect()
    months = pd.date_range("2011-07-01", periods=24, freq="MS")
    con.register(
        "forecasts",
        pd.DataFrame(
            {"snapshot_month": MONTH, "series": ["company"] * 24 + ["A"] * 23, "ds": list(months) + list(months[:23])}
        ),
    )
    con.execute("create table cluster_revenue_forecasts as select * from forecasts")
    got = horizon_frame(con, MONTH).set_index("series")
    assert got.loc["company", "months"] == 24 and got.loc["A", "months"] == 23
