"""The dormant model's anchors: target group, features and labels of an anchor month, built once (no dagster).

An anchor A's features (sql/dormant_features.sql) read lines up to A's last day and its labels
(sql/dormant_labels.sql) lines of A+1..A+3: both are fixed once month A+3 is loaded, yet every
month M >= A+3 that trains on A used to recompute them. They are now kept in the table
``dormant_anchor_panel`` (features + labels, one row per target-group customer and anchor), built
the first time a month needs the anchor and reused after that.

A stored anchor is reused only while its inputs are unchanged: each anchor carries a fingerprint of
the SQL that built it and of the cleaned_transactions months <= A+3 (row count and an
order-independent hash of every line, per month). Rewriting a month <= A+3 (a corrected source)
rebuilds the anchor on its next use; rewriting months after A+3 cannot touch it, and neither can
the order months are backfilled in: the stored rows are exactly what the queries return. CLV
features (customer_lifetime_value of month A) are joined when the panel is read, not stored.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from rfm_assets.core.dormant_model import CLV_FEATURES
from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months, month_start
from rfm_assets.core.rows import scalar
from rfm_assets.core.sqlfiles import load_sql
from rfm_assets.core.warehouse import table_exists, transaction

if TYPE_CHECKING:
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pd = lazy("pandas")

CLV_TABLE = "customer_lifetime_value"
PANEL_TABLE = "dormant_anchor_panel"
OUTCOME_MONTHS = 3
LABEL_COLUMNS = ["bought_again", "future_revenue", "future_orders"]
_DATES = "* replace (snapshot_month::date as snapshot_month, first_purchase_date::date as first_purchase_date, "
_DATES += "last_purchase_date::date as last_purchase_date)"
_LINE_COLUMNS = "customer_id, order_id, order_date, stock_code, quantity, line_revenue, country, snapshot_month"


def first_data_month(con: duckdb.DuckDBPyConnection) -> date | None:
    """First month of cleaned_transactions (None when the table is missing or empty)."""
    if not table_exists(con, "cleaned_transactions"):
        return None
    return scalar(con, "select min(snapshot_month) from cleaned_transactions")


def clv_months(con: duckdb.DuckDBPyConnection) -> set[date]:
    """Months present in customer_lifetime_value (empty when the table does not exist)."""
    if not table_exists(con, CLV_TABLE):
        return set()
    return {r[0] for r in con.execute(f"select distinct snapshot_month from {CLV_TABLE}").fetchall()}


def _with_clv(
    con: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    anchor: date,
    with_clv: bool | None,
    have: set[date] | None = None,
) -> pd.DataFrame:
    available = anchor in (clv_months(con) if have is None else have)
    if with_clv is None:
        with_clv = available
    if with_clv and not available:
        raise ValueError(f"{CLV_TABLE} has no rows for {anchor:%Y-%m}")
    if not with_clv:
        return frame
    # Only the CLV rows of the frame's customers: a left join keeps nothing else, and a month of a
    # many-customer shop holds ~10x more CLV rows than an anchor's target group.
    name = "__dormant_anchor_ids"
    con.register(name, frame[["customer_id"]])
    try:
        clv = con.execute(
            f"select customer_id, {', '.join(CLV_FEATURES)} from {CLV_TABLE} "
            f"where snapshot_month = ? and customer_id in (select customer_id from {name})",
            [anchor],
        ).df()
    finally:
        con.unregister(name)
    return frame.merge(clv, on="customer_id", how="left", validate="one_to_one")


def anchor_features(
    con: duckdb.DuckDBPyConnection, anchor: date, *, with_clv: bool | None = None, stored: str | None = None
) -> pd.DataFrame:
    """Target group of ``anchor`` with its features (sql/dormant_features.sql), ordered by customer_id.

    ``with_clv``: add the anchor month's CLV_FEATURES; None = only if that month is in the CLV table.
    ``stored``: a table holding the query's rows for ``anchor`` (snapshot_month = anchor), read instead.
    """
    anchor = month_start(anchor)
    if stored is not None:
        frame = con.execute(f"select * from {stored} where snapshot_month = ? order by customer_id", [anchor]).df()
    else:
        frame = con.execute(load_sql("dormant_features"), {"anchor_month": anchor}).df()
    return _with_clv(con, frame, anchor, with_clv)


def anchor_labels(con: duckdb.DuckDBPyConnection, anchor: date) -> pd.DataFrame:
    """Outcome of ``anchor``'s target group (sql/dormant_labels.sql): bought_again, future_revenue."""
    return con.execute(load_sql("dormant_labels"), {"anchor_month": month_start(anchor)}).df()


def _computed(con: duckdb.DuckDBPyConnection, anchor: date) -> pd.DataFrame:
    """Features joined to labels of ``anchor``, straight from the SQL."""
    features = anchor_features(con, anchor, with_clv=False)
    labels = anchor_labels(con, anchor).drop(columns="snapshot_month")
    if set(features["customer_id"]) != set(labels["customer_id"]):
        raise RuntimeError(f"{anchor:%Y-%m}: features and labels disagree on the target group")
    return features.merge(labels, on="customer_id", validate="one_to_one")


def month_digests(con: duckdb.DuckDBPyConnection) -> dict[date, str]:
    """{month: 'rows:hash'} of cleaned_transactions: what an anchor's stored rows were computed from."""
    if not table_exists(con, "cleaned_transactions"):
        return {}
    rows = con.execute(
        f"select snapshot_month, count(*), coalesce(sum(hash(({_LINE_COLUMNS})))::hugeint, 0) "
        "from cleaned_transactions group by snapshot_month"
    ).fetchall()
    return {m: f"{n}:{h}" for m, n, h in rows}


def fingerprint(digests: dict[date, str], anchor: date) -> str:
    """Fingerprint of anchor A's inputs: the SQL texts and the digests of the months <= A+3."""
    last = add_months(anchor, OUTCOME_MONTHS)
    sql = load_sql("dormant_features") + load_sql("dormant_labels")
    months = ";".join(f"{m:%Y-%m}={d}" for m, d in sorted(digests.items()) if m <= last)
    return hashlib.sha256(f"{sql}|{months}".encode()).hexdigest()


def _stored(con: duckdb.DuckDBPyConnection, anchor: date, key: str) -> pd.DataFrame | None:
    if not table_exists(con, PANEL_TABLE):
        return None
    if not scalar(con, f"select count(*) from {PANEL_TABLE} where anchor = ? and fingerprint = ?", [anchor, key]):
        return None
    return con.execute(
        f"select * exclude (anchor, fingerprint) from {PANEL_TABLE} where anchor = ? and fingerprint = ? "
        "order by customer_id",
        [anchor, key],
    ).df()


def _store(con: duckdb.DuckDBPyConnection, anchor: date, key: str, frame: pd.DataFrame) -> None:
    name = "__dormant_anchor_rows"
    con.register(name, frame)
    try:
        with transaction(con):
            if not table_exists(con, PANEL_TABLE):
                con.execute(
                    f"create table {PANEL_TABLE} as select ?::date as anchor, ?::varchar as fingerprint, {_DATES} "
                    f"from {name} limit 0",
                    [anchor, key],
                )
            con.execute(f"delete from {PANEL_TABLE} where anchor = ?", [anchor])
            con.execute(
                f"insert into {PANEL_TABLE} by name select ?::date as anchor, ?::varchar as fingerprint, {_DATES} "
                f"from {name}",
                [anchor, key],
            )
    finally:
        con.unregister(name)


def anchor_panel(
    con: duckdb.DuckDBPyConnection, anchors: list[date], *, with_clv: bool, store: bool = True
) -> pd.DataFrame:
    """Features joined to labels for each anchor (A+3 must be loaded), stacked, with an ``anchor`` column.

    Each anchor is read from ``dormant_anchor_panel`` when stored with its current fingerprint, else
    computed from the SQL (and stored, unless ``store`` is False).
    """
    digests = month_digests(con) if anchors else {}
    have = clv_months(con) if with_clv else set()
    frames = []
    for anchor in anchors:
        anchor = month_start(anchor)
        key = fingerprint(digests, anchor)
        frame = _stored(con, anchor, key)
        if frame is None:
            frame = _computed(con, anchor)
            if store and not frame.empty:
                _store(con, anchor, key, frame)
        frames.append(_with_clv(con, frame, anchor, with_clv, have).assign(anchor=anchor))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
