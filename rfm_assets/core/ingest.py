"""Build the ingestion tables of one month inside the warehouse (pure DuckDB, no dagster)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from rfm_assets.core.sqlfiles import load_sql
from rfm_assets.core.warehouse import WarehouseError, built_months, replace_partition

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
    con: duckdb.DuckDBPyConnection, month: date, staged_path: Path, loaded_at: object,
    rejects_path: Path | None = None,
) -> int:
    """Replace ``raw_orders`` for ``month`` with the staged source's lines of that month.

    A month without lines is refused; with ``rejects_path`` the refusal also counts the month's
    quarantined lines, so a month whose every line was quarantined says so.
    """
    params = {"month": month, "staged_path": str(staged_path), "loaded_at": loaded_at}
    try:
        return replace_partition(con, "raw_orders", month, load_sql("raw_orders"), params)
    except WarehouseError as exc:
        if rejects_path is None:
            raise
        held = con.execute("select reason, count(*) from read_parquet(?) where report_month = ? group by 1 "
                           "order by 1", [str(rejects_path), month]).fetchall()
        if not held:
            raise
        reasons = ", ".join(f"{n:,} {reason}" for reason, n in held)
        raise WarehouseError(f"{exc} Every line of {month:%Y-%m} was quarantined ({reasons}); "
                             "see the quarantined_lines table or the source's .rejects.parquet.") from None


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
    """Classify the month's raw lines by the documented rules and keep the valid purchases."""
    con.execute(
        f"create or replace temp table __classified as {load_sql('cleaned_transactions')}", {"month": month}
    )
    try:
        counts = dict(
            con.execute(
                "select removal_reason, count(*) from __classified where removal_reason is not null group by 1"
            ).fetchall()
        )
        unknown = set(counts) - set(REMOVAL_RULES)
        if unknown:
            raise ValueError(f"cleaning SQL produced undocumented reasons {sorted(unknown)}")
        kept = replace_partition(
            con,
            "cleaned_transactions",
            month,
            "select * exclude (removal_reason) from __classified where removal_reason is null",
        )
        revenue, guests = con.execute(
            "select coalesce(sum(line_revenue), 0), count(*) filter (where customer_id is null) "
            "from __classified where removal_reason is null"
        ).fetchone()
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
