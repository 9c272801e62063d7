"""Campaign contacts: the optional file an email tool exports per campaign month, read and validated.

File: ``<RFM_CONTACTS_DIR>/contacts_YYYY-MM.csv`` for the campaign of month YYYY-MM (the dormant list of
that snapshot), columns ``customer_id, contacted_at, channel`` (names case-insensitive, extra columns
ignored). A missing column is an error (:class:`ContactsError`). Rows are checked one by one, like the
order lines (``core/sources``): a row is quarantined, with its reason, when
  - ``customer_id`` is empty;
  - ``contacted_at`` is not a date/timestamp, or falls outside the outcome window (months C+1..C+3);
  - ``channel`` is empty;
  - the customer is not in the campaign's treatment group (a contacted control customer would bias
    the comparison: reported, not counted as contacted).
A customer contacted several times keeps the first contact. Without a file, the treatment group is
assumed contacted (``source = 'assumed'``, no date or channel) and the asset's metadata says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months

if TYPE_CHECKING:
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pd = lazy("pandas")

REQUIRED = ("customer_id", "contacted_at", "channel")
CONTACT_COLUMNS = ["snapshot_month", "customer_id", "contacted_at", "channel", "source"]


class ContactsError(ValueError):
    """A contacts file that cannot be read as documented."""


@dataclass(frozen=True)
class Contacts:
    rows: pd.DataFrame  # CONTACT_COLUMNS
    rejected: pd.DataFrame  # the file's rows that were quarantined, with 'reason'
    source: str  # 'file' | 'assumed'
    path: Path | None


def contacts_path(contacts_dir: str | Path | None, month: date) -> Path | None:
    """The contacts file of the campaign of ``month``, or None when there is no such file."""
    if not contacts_dir:
        return None
    path = Path(contacts_dir) / f"contacts_{month:%Y-%m}.csv"
    return path if path.exists() else None


def read_contacts(path: Path, month: date, treatment: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(valid first contacts per customer, quarantined rows with 'reason') of the file for ``month``."""
    with duckdb.connect() as con:
        try:
            raw = con.execute("select * from read_csv(?, all_varchar=true, header=true)", [str(path)]).df()
        except duckdb.Error as exc:
            raise ContactsError(f"{path}: not a readable CSV ({exc})") from exc
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise ContactsError(f"{path}: missing column(s) {missing}; expected {list(REQUIRED)}")
    frame = raw[list(REQUIRED)].copy()
    frame["customer_id"] = frame["customer_id"].fillna("").str.strip().str.replace(r"\.0+$", "", regex=True)
    frame["channel"] = frame["channel"].fillna("").str.strip().str.lower()
    frame["contacted_at"] = pd.to_datetime(frame["contacted_at"].str.strip(), errors="coerce", format="mixed")
    start, end = pd.Timestamp(add_months(month, 1)), pd.Timestamp(add_months(month, 4))
    reason = pd.Series("", index=frame.index, dtype=object)
    checks = [
        (frame["customer_id"] == "", "empty customer_id"),
        (frame["contacted_at"].isna(), "contacted_at is not a date"),
        (frame["contacted_at"].notna() & ~frame["contacted_at"].between(start, end, inclusive="left"),
         f"contacted_at outside the outcome window {start:%Y-%m-%d}..{end - pd.Timedelta(days=1):%Y-%m-%d}"),
        (frame["channel"] == "", "empty channel"),
        (~frame["customer_id"].isin(treatment) & (frame["customer_id"] != ""), "not in the campaign's treatment group"),
    ]  # fmt: skip
    for bad, text in checks:
        reason = reason.where(~bad | (reason != ""), text)
    rejected = raw.loc[reason != ""].assign(reason=reason[reason != ""])
    valid = frame.loc[reason == ""].sort_values(["customer_id", "contacted_at"]).drop_duplicates("customer_id")
    valid = valid.assign(snapshot_month=month, source="file")[CONTACT_COLUMNS]
    return valid.reset_index(drop=True), rejected.reset_index(drop=True)


def campaign_contacts(contacts_dir: str | Path | None, month: date, treatment: set[str]) -> Contacts:
    """The contacts of the campaign of ``month``: from its file when there is one, else the treatment group."""
    path = contacts_path(contacts_dir, month)
    if path is not None:
        rows, rejected = read_contacts(path, month, treatment)
        return Contacts(rows, rejected, "file", path)
    rows = pd.DataFrame({"customer_id": sorted(treatment)})
    rows = rows.assign(snapshot_month=month, contacted_at=pd.Series(pd.NaT, index=rows.index), channel=None)
    rows = rows.assign(source="assumed")[CONTACT_COLUMNS]
    return Contacts(rows, pd.DataFrame(columns=[*REQUIRED, "reason"]), "assumed", None)
