"""mart_customer_360's next-order and campaign columns on hand-made tables: the campaign of M-3 and its
outcome (an order in M-2..M, read from the snapshot's last purchase day) counted by hand."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from rfm_assets.core.views import load_view_defs

M, CAMPAIGN = "2011-04-01", "2011-01-01"


def test_next_order_and_campaign_columns() -> None:
    con = duckdb.connect()
    con.execute(
        "create table rfm_snapshots as select * from (values "
        f"('{M}'::date, 'a', 'S', '555', 5, 5, 5, 1, 3, 100.0, 33.0, 0.0, 300, '2010-01-01'::date, '2011-02-01'::date), "
        f"('{M}'::date, 'b', 'S', '111', 1, 1, 1, 100, 1, 10.0, 10.0, 0.0, 300, '2010-01-01'::date, '2011-01-31'::date), "
        f"('{M}'::date, 'c', 'S', '111', 1, 1, 1, 100, 1, 10.0, 10.0, 0.0, 300, '2010-01-01'::date, '2010-12-01'::date)"
        ") t(snapshot_month, customer_id, rfm_segment, rfm_cell, r_score, f_score, m_score, recency_days, frequency, "
        "monetary, avg_order_value, returned_value, tenure_days, first_purchase_date, last_purchase_date)"
    )
    con.execute(f"create table customer_clusters as select '{M}'::date as snapshot_month, 'a' as customer_id, "
                "1 as cluster_id, 'Top Customers' as cluster_name")  # fmt: skip
    con.execute(
        f"create table customer_lifetime_value as select '{M}'::date as snapshot_month, 'a' as customer_id, "
        "0.9 as p_alive, 2.0 as expected_purchases_12m, 100.0 as clv_12m, '2011-05-20'::date as expected_next_order_date, "
        "0.2 as p_order_30d, 0.5 as p_order_90d"
    )
    con.execute(
        "create table dormant_targets as select * from (values "
        f"('{CAMPAIGN}'::date, 'a', 0.3, 10.0, 1, 'Loyal', 'x', true, 'treatment'), "
        f"('{CAMPAIGN}'::date, 'b', 0.2, 10.0, 2, 'Loyal', 'x', true, 'control'), "
        f"('{M}'::date, 'c', 0.1, 1.0, 1, 'One-time', 'y', true, 'control')"
        ") t(snapshot_month, customer_id, probability, expected_revenue, rank, persona, suggested_action, selected, "
        "campaign_group)"
    )
    view = next(v for v in load_view_defs() if v.name == "mart_customer_360")
    rows = con.execute(view.sql).df().set_index("customer_id")
    assert set(view.sidecar.columns) == set(rows.columns) | {"customer_id"}
    # a: ordered on 2011-02-01, the first day of M-2 -> reactivated; b: last order 2011-01-31 -> not
    assert rows.loc["a", "past_campaign_reactivated"] and rows.loc["a", "past_campaign_group"] == "treatment"
    assert not rows.loc["b", "past_campaign_reactivated"] and rows.loc["b", "past_campaign_group"] == "control"
    past_month = rows.loc["a", "past_campaign_month"]
    assert isinstance(past_month, pd.Timestamp) and past_month.date() == date(2011, 1, 1)
    assert rows.loc["c", "past_campaign_reactivated"] is None or rows["past_campaign_reactivated"].isna()["c"]
    assert rows.loc["c", "campaign_group"] == "control" and rows.loc["a", "campaign_group"] is None
    next_order = rows.loc["a", "expected_next_order_date"]
    assert isinstance(next_order, pd.Timestamp) and next_order.date() == date(2011, 5, 20)
    assert (rows.loc["a", "p_order_30d"], rows.loc["a", "p_order_90d"]) == (0.2, 0.5)
