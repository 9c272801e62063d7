"""build_campaign_contacts / build_campaign_outcomes on a real DuckDB file with hand-made tables: the
numbers are counted by hand from the fixture, the contacts file's bad rows are quarantined, and the
stored tables have their sidecars' types."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from rfm_assets.core.builds.campaigns import build_campaign_contacts, build_campaign_outcomes
from rfm_assets.core.campaigns import OutcomeConfig
from rfm_assets.core.contacts import ContactsError
from rfm_assets.core.sqlfiles import load_sidecar

CAMPAIGN, OUTCOME = date(2011, 1, 1), date(2011, 4, 1)


def _warehouse(
    tmp_path: Path, n_treat: int = 40, n_control: int = 40, name: str = "w.duckdb"
) -> duckdb.DuckDBPyConnection:
    """Treatment t0..: every other one buys for 100 in the window (Feb-Apr); control c0..: every fifth
    buys for 50. Orders outside the window (January, May) must not count."""
    con = duckdb.connect(str(tmp_path / name))
    ids = [f"t{i}" for i in range(n_treat)] + [f"c{i}" for i in range(n_control)]
    con.execute(
        "create table dormant_targets as select ?::date as snapshot_month, unnest(?::varchar[]) as customer_id, "
        "unnest(?::varchar[]) as persona, unnest(?::double[]) as probability, unnest(?::varchar[]) as campaign_group",
        [
            CAMPAIGN,
            ids,
            ["Loyal" if i % 2 else "One-time" for i in range(len(ids))],
            [0.3] * n_treat + [0.1] * n_control,
            ["treatment"] * n_treat + ["control"] * n_control,
        ],
    )
    lines = []
    for i in range(n_treat):
        if i % 2 == 0:
            lines += [(f"t{i}", date(2011, 3, 10), 60.0), (f"t{i}", date(2011, 3, 10), 40.0)]
    for i in range(n_control):
        if i % 5 == 0:
            lines.append((f"c{i}", date(2011, 4, 30), 50.0))
    lines += [("c1", date(2011, 1, 20), 999.0), ("c2", date(2011, 5, 1), 999.0)]  # outside the window
    frame = pd.DataFrame(lines, columns=["customer_id", "order_date", "line_revenue"])
    frame["snapshot_month"] = pd.to_datetime(frame["order_date"]).dt.to_period("M").dt.to_timestamp()
    con.register("lines", frame)
    con.execute(
        "create table cleaned_transactions as select customer_id, order_date::date as order_date, "
        "line_revenue, snapshot_month::date as snapshot_month from lines"
    )
    return con


def _types(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return {r[0]: r[1] for r in con.execute(f"describe {table}").fetchall()}


def test_outcomes_by_hand_with_the_group_assumed_contacted(tmp_path: Path) -> None:
    con = _warehouse(tmp_path)
    contacts = build_campaign_contacts(con, CAMPAIGN, None)
    assert contacts.source == "assumed" and len(contacts.rows) == 40
    built = build_campaign_outcomes(con, OUTCOME, OutcomeConfig(min_group=30, n_boot=500))
    assert built.status == "measured" and "assumed contacted" in built.message
    row = con.execute("select * from campaign_outcomes where segment = 'all'").df().iloc[0]
    # treatment: 20 of 40 bought, 100 each -> 0.5 and 50 per customer; control: 8 of 40, 50 each -> 0.2 and 10
    assert (row["rate_treatment"], row["rate_control"]) == pytest.approx((0.5, 0.2))
    assert row["uplift"] == pytest.approx(0.3)
    half = 1.959964 * np.sqrt(0.5 * 0.5 / 40 + 0.2 * 0.8 / 40)
    assert (row["uplift_ci_low"], row["uplift_ci_high"]) == pytest.approx((0.3 - half, 0.3 + half), abs=1e-5)
    assert (row["revenue_treatment"], row["revenue_control"], row["revenue_uplift"]) == pytest.approx((50, 10, 40))
    assert row["incremental_revenue"] == pytest.approx(1600)
    assert row["revenue_uplift_ci_low"] < 40 < row["revenue_uplift_ci_high"]
    assert (row["predicted_rate_treatment"], row["predicted_rate_control"]) == pytest.approx((0.3, 0.1))
    assert row["n_contacted"] == 40 and row["campaign_month"] == pd.Timestamp(CAMPAIGN)
    # personas: 20 + 20 per group, too few to measure; their uplift is null, not noise
    personas = con.execute("select * from campaign_outcomes where segment <> 'all'").df()
    assert set(personas["segment"]) == {"Loyal", "One-time"} and not personas["measurable"].any()
    assert personas["uplift"].isna().all()
    assert _types(con, "campaign_outcomes") == load_sidecar("campaign_outcomes").types
    assert _types(con, "campaign_contacts") == load_sidecar("campaign_contacts").types
    again = build_campaign_outcomes(con, OUTCOME, OutcomeConfig(min_group=30, n_boot=500)).table
    pd.testing.assert_frame_equal(again, built.table)  # seeded bootstrap: the same CI on a rerun


def test_a_contacts_file_is_validated(tmp_path: Path) -> None:
    con = _warehouse(tmp_path)
    folder = tmp_path / "contacts"
    folder.mkdir()
    rows = [f"t{i}.0,2011-02-0{1 + i % 5} 09:00,Email" for i in range(30)]
    rows += [
        "t0,2011-02-08,email",
        "c3,2011-02-01,email",
        "t31,not a date,email",
        "t32,2011-06-01,email",
        "t33,2011-02-01,",
    ]
    (folder / "contacts_2011-01.csv").write_text("Customer_ID,contacted_at,channel\n" + "\n".join(rows) + "\n")
    contacts = build_campaign_contacts(con, CAMPAIGN, folder)
    assert contacts.source == "file" and len(contacts.rows) == 30  # t0 twice: the first contact kept
    assert sorted(contacts.rejected["reason"]) == [
        "contacted_at is not a date",
        "contacted_at outside the outcome window 2011-02-01..2011-04-30",
        "empty channel",
        "not in the campaign's treatment group",
    ]
    stored = con.execute("select * from campaign_contacts where customer_id = 't0'").df().iloc[0]
    assert stored["contacted_at"] == pd.Timestamp(2011, 2, 1, 9) and stored["channel"] == "email"
    built = build_campaign_outcomes(con, OUTCOME, OutcomeConfig(min_group=30, n_boot=200))
    assert built.contacts_source == "file" and built.table.iloc[0]["n_contacted"] == 30
    (folder / "contacts_2011-01.csv").write_text("id,when\n1,2011-02-01\n")
    with pytest.raises(ContactsError, match="missing column"):
        build_campaign_contacts(con, CAMPAIGN, folder)


def test_no_campaign_and_too_small_groups(tmp_path: Path) -> None:
    con = _warehouse(tmp_path, n_treat=20, n_control=5)
    built = build_campaign_outcomes(con, date(2011, 5, 1), OutcomeConfig())  # campaign 2011-02: none
    assert built.status == "no_campaign" and con.execute("select count(*) from campaign_outcomes").fetchall()[0][0] == 0
    small = build_campaign_outcomes(con, OUTCOME, OutcomeConfig(min_group=30))
    assert small.status == "not_measurable" and "cannot be measured yet" in small.message
    assert con.execute("select count(*) from campaign_outcomes where uplift is not null").fetchall()[0][0] == 0
