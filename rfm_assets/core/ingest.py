"""Build the ingestion tables of one month inside the warehouse (pure DuckDB, no dagster)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from rfm_assets.core.sqlfiles import load_sql
from rfm_assets.core.warehouse import replace_partition

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
    con: duckdb.DuckDBPyConnection, month: date, staged_path: Path, loaded_at: object
) -> int:
    """Replace ``raw_orders`` for ``month`` with the staged source's lines of that month."""
    params = {"month": month, "staged_path": str(staged_path), "loaded_at": loaded_at}
    return replace_partition(con, "raw_orders", month, load_sql("raw_orders"), params)


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
