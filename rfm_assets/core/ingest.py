"""Build the ingestion tables of one month inside the warehouse (pure DuckDB, no dagster)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from rfm_assets.core.rows import one_row
from rfm_assets.core.sqlfiles import load_sql
from rfm_assets.core.warehouse import (
    PartitionEmptiedError,
    WarehouseError,
    built_months,
    ledger_row_count,
    replace_partition,
)

REMOVAL_RULES = (
    "cancellation",
    "adjustment",
    "non_product_code",
    "non_positive_price",
    "non_positive_quantity",
    "duplicate_line",
)


@dataclass(frozen=True)
class CleaningResult:
    kept: int
    removed: dict[str, int]  # rule -> lines removed, every rule present (0 when none)
    revenue: float
    guest_lines: int


def build_raw_orders(
    con: duckdb.DuckDBPyConnection,
    month: date,
    staged_path: Path,
    loaded_at: object,
    rejects_path: Path | None = None,
    *,
    span: tuple[date, date] | None = None,
    accept_emptied: bool = False,
) -> int:
    """Replace ``raw_orders`` for ``month`` with the staged source's lines of that month.

    A month without lines inside ``span`` (the source's first and last month) is a real month with
    no orders: it is written empty and the ledger records why. Refused, with the warehouse unchanged:
    a month without lines outside ``span``; a month whose every line was quarantined at staging
    (``rejects_path``; the message counts them per reason); and a month the ledger records with lines
    that now has none (the source lost data) unless ``accept_emptied`` (RFM_ACCEPT_EMPTY_MONTHS).
    """
    params = {"month": month, "staged_path": str(staged_path), "loaded_at": loaded_at}
    inside = span is not None and span[0] <= month <= span[1]
    before = ledger_row_count(con, "raw_orders", month)
    held = _quarantined_note(con, month, rejects_path)
    if span is not None and inside and not before:  # span: for the type checker (inside implies it)
        reason = f"no source lines in {month:%Y-%m}, inside the source's span {span[0]:%Y-%m}..{span[1]:%Y-%m}"
    else:
        reason = (
            f"the source lost every line of {month:%Y-%m} (held {before or 0:,}); emptied as accepted by "
            "the operator (RFM_ACCEPT_EMPTY_MONTHS)"
        )
    try:
        return replace_partition(
            con,
            "raw_orders",
            month,
            load_sql("raw_orders"),
            params,
            # a month whose every line was quarantined has lines: refused, says why;
            # a month that had lines: see keep_nonempty
            allow_empty=(inside and not held) or bool(before),
            empty_reason=reason + (f"; quarantined: {held}" if held else ""),
            keep_nonempty=not accept_emptied,
        )
    except PartitionEmptiedError as exc:
        raise WarehouseError(
            f"raw_orders: the source has no lines for {month:%Y-%m} any more: {exc.before:,} rows before, 0 after. "
            f"Refused, nothing changed.{_every_line(month, held)} If the source really lost that month, accept "
            f"it with RFM_ACCEPT_EMPTY_MONTHS={month:%Y-%m} (or 'all') and rerun."
        ) from None
    except WarehouseError as exc:
        if "no rows for" not in str(exc):
            raise
        where = (
            f" {month:%Y-%m} is outside the source's span {span[0]:%Y-%m}..{span[1]:%Y-%m}."
            if span and not inside
            else ""
        )
        raise WarehouseError(f"{exc}{where}{_every_line(month, held)}") from None


def _every_line(month: date, held: str) -> str:
    return (
        f" Every line of {month:%Y-%m} was quarantined ({held}); see the quarantined_lines table or the "
        "source's .rejects.parquet."
        if held
        else ""
    )


def _quarantined_note(con: duckdb.DuckDBPyConnection, month: date, rejects_path: Path | None) -> str:
    """'N reason, ...' for the month's lines quarantined at staging ('' when none or unknown)."""
    if rejects_path is None:
        return ""
    held = con.execute(
        "select reason, count(*) from read_parquet(?) where report_month = ? group by 1 order by 1",
        [str(rejects_path), month],
    ).fetchall()
    return ", ".join(f"{n:,} {reason}" for reason, n in held)


def build_quarantined_lines(
    con: duckdb.DuckDBPyConnection, month: date, rejects_path: Path, loaded_at: object
) -> dict[str, int]:
    """Replace ``quarantined_lines`` for ``month`` (often empty); returns the count per reason."""
    params = {"month": month, "rejects_path": str(rejects_path), "loaded_at": loaded_at}
    replace_partition(con, "quarantined_lines", month, load_sql("quarantined_lines"), params, allow_empty=True)
    return quarantined_counts(con, month) or {}


def quarantined_counts(con: duckdb.DuckDBPyConnection, month: date) -> dict[str, int] | None:
    """Quarantined lines of ``month`` per reason, or None when the month has not been built."""
    if month not in built_months(con, "quarantined_lines"):
        return None
    rows = con.execute(
        "select reason, count(*) from quarantined_lines where snapshot_month = ? group by 1 order by 1", [month]
    ).fetchall()
    return {reason: int(n) for reason, n in rows}


def build_cleaned_transactions(con: duckdb.DuckDBPyConnection, month: date) -> CleaningResult:
    """Classify the month's raw lines by the documented rules and keep the valid purchases.

    Empty when raw_orders was built empty for the month (or every line was removed); refused while
    raw_orders has not been built for it."""
    con.execute(f"create or replace temp table __classified as {load_sql('cleaned_transactions')}", {"month": month})
    try:
        counts = dict(
            con.execute(
                "select removal_reason, count(*) from __classified where removal_reason is not null group by 1"
            ).fetchall()
        )
        unknown = set(counts) - set(REMOVAL_RULES)
        if unknown:
            raise ValueError(f"cleaning SQL produced undocumented reasons {sorted(unknown)}")
        raw = ledger_row_count(con, "raw_orders", month)  # None: raw_orders not built, an empty result is refused
        kept = replace_partition(
            con,
            "cleaned_transactions",
            month,
            "select * exclude (removal_reason) from __classified where removal_reason is null",
            allow_empty=raw is not None,
            empty_reason="raw_orders has no lines this month"
            if not raw
            else f"all {raw:,} raw lines removed by the cleaning rules",
        )
        revenue, guests = one_row(
            con,
            "select coalesce(sum(line_revenue), 0), count(*) filter (where customer_id is null) "
            "from __classified where removal_reason is null",
        )
    finally:
        con.execute("drop table if exists __classified")
    return CleaningResult(
        kept=kept,
        removed={rule: int(counts.get(rule, 0)) for rule in REMOVAL_RULES},
        revenue=float(revenue),
        guest_lines=int(guests),
    )


def build_customer_returns(con: duckdb.DuckDBPyConnection, month: date) -> int:
    """Replace ``customer_returns`` for ``month``; a month without returns is a valid empty month."""
    return replace_partition(
        con, "customer_returns", month, load_sql("customer_returns"), {"month": month}, allow_empty=True
    )
