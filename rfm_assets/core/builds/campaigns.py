"""Builds of the campaign layer: the contacts of month C's campaign, and its outcome at M = C + 3."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from rfm_assets.core.campaigns import OUTCOME_COLUMNS, OutcomeConfig, campaign_outcomes
from rfm_assets.core.contacts import CONTACT_COLUMNS, Contacts, campaign_contacts
from rfm_assets.core.lazy import lazy
from rfm_assets.core.ledger import table_exists
from rfm_assets.core.months import add_months
from rfm_assets.core.sqlfiles import empty_frame, load_sql
from rfm_assets.core.warehouse import built_months, replace_partition_frame

if TYPE_CHECKING:
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pd = lazy("pandas")

OUTCOME_COUNTS = ["n_treatment", "n_control", "n_contacted"]
OUTCOME_FLOATS = [c for c in OUTCOME_COLUMNS if c not in ("segment", "measurable", "status", *OUTCOME_COUNTS)]
OUTCOME_LAG_MONTHS = 3  # the campaign of C is measured at C + 3, when its window C+1..C+3 is complete


def _has_groups(con: duckdb.DuckDBPyConnection, month: date) -> bool:
    """dormant_targets holds ``campaign_group`` and rows of ``month``."""
    if not table_exists(con, "dormant_targets"):
        return False
    columns = {r[0] for r in con.execute("describe dormant_targets").fetchall()}
    if "campaign_group" not in columns:
        return False
    return bool(con.execute("select count(*) from dormant_targets where snapshot_month = ?", [month]).fetchall()[0][0])


def treatment_group(con: duckdb.DuckDBPyConnection, month: date) -> set[str]:
    """The customer ids of the treatment group of month's campaign (empty without groups)."""
    if not _has_groups(con, month):
        return set()
    rows = con.execute(
        "select customer_id::varchar from dormant_targets where snapshot_month = ? and campaign_group = 'treatment'",
        [month],
    ).fetchall()
    return {r[0] for r in rows}


def build_campaign_contacts(con: duckdb.DuckDBPyConnection, month: date, contacts_dir: str | Path | None) -> Contacts:
    """campaign_contacts for the campaign of ``month`` (empty when the month has no campaign groups)."""
    contacts = campaign_contacts(contacts_dir, month, treatment_group(con, month))
    rows = contacts.rows if len(contacts.rows) else empty_frame("campaign_contacts")
    replace_partition_frame(
        con,
        "campaign_contacts",
        month,
        rows[CONTACT_COLUMNS],
        allow_empty=True,
        select="* replace (snapshot_month::date as snapshot_month, contacted_at::timestamp as contacted_at, "
        "channel::varchar as channel)",
    )
    return contacts


@dataclass(frozen=True)
class OutcomeBuild:
    status: str  # 'measured' | 'not_measurable' | 'no_campaign'
    message: str
    campaign_month: date
    table: pd.DataFrame  # campaign_outcomes' rows of the month
    contacts_source: str  # 'file' | 'assumed' | 'none'


def build_campaign_outcomes(con: duckdb.DuckDBPyConnection, month: date, cfg: OutcomeConfig) -> OutcomeBuild:
    """campaign_outcomes for ``month``: the campaign of month - 3 against its control group."""
    campaign = add_months(month, -OUTCOME_LAG_MONTHS)
    if not _has_groups(con, campaign):
        message = f"no campaign with a control group in dormant_targets for {campaign:%Y-%m}"
        replace_partition_frame(con, "campaign_outcomes", month, empty_frame("campaign_outcomes"), allow_empty=True)
        return OutcomeBuild("no_campaign", message, campaign, empty_frame("campaign_outcomes"), "none")
    customers = con.execute(load_sql("_campaign_customers"), {"campaign_month": campaign}).df()
    source = "assumed"
    if campaign in built_months(con, "campaign_contacts"):
        contacts = con.execute(
            "select customer_id, source from campaign_contacts where snapshot_month = ?", [campaign]
        ).df()
        source = str(contacts["source"].iloc[0]) if len(contacts) else "file"
        customers["contacted"] = customers["customer_id"].isin(set(contacts["customer_id"]))
    else:
        customers["contacted"] = customers["campaign_group"].eq("treatment")
    seeded = OutcomeConfig(cfg.min_group, cfg.n_boot, seed=int(f"{campaign:%Y%m}"))  # same CI on every rerun
    table = campaign_outcomes(customers, seeded)
    table = table.astype({c: "Float64" for c in OUTCOME_FLOATS} | {c: "Int64" for c in OUTCOME_COUNTS})  # None -> NULL
    table.insert(0, "campaign_month", pd.Timestamp(campaign))
    table.insert(0, "snapshot_month", pd.Timestamp(month))
    replace_partition_frame(
        con,
        "campaign_outcomes",
        month,
        table[["snapshot_month", "campaign_month", *OUTCOME_COLUMNS]],
        select="* replace (snapshot_month::date as snapshot_month, campaign_month::date as campaign_month)",
    )
    overall = table.iloc[0]
    status = "measured" if overall["measurable"] else "not_measurable"
    message = str(overall["status"]) + ("" if source == "file" else "; the treatment group is assumed contacted")
    return OutcomeBuild(status, message, campaign, table, source)
