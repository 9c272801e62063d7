"""Monthly RFM snapshots and their segment rules (pure DuckDB / polars, no dagster)."""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from rfm_assets.core.lazy import pl
from rfm_assets.core.months import add_months
from rfm_assets.core.sqlfiles import SQL_DIR, load_sql
from rfm_assets.core.warehouse import built_months, replace_partition

DEFAULT_RULES = SQL_DIR / "rfm_segment_rules.csv"
UNLABELLED = "Unlabelled"


@dataclass(frozen=True)
class SegmentRule:
    """``segment`` applies where r_min <= r_score <= r_max and fm_min <= fm_score <= fm_max."""

    segment: str
    r_min: int
    r_max: int
    fm_min: int
    fm_max: int


def fm_score(f_score: int, m_score: int) -> int:
    """Mean of the F and M scores rounded half up (3 and 4 give 4)."""
    return (f_score + m_score + 1) // 2


def load_segment_rules(path: Path = DEFAULT_RULES) -> list[SegmentRule]:
    """Read a rules table (CSV: segment, r_min, r_max, fm_min, fm_max[, meaning]); first match wins."""
    with Path(path).open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    required = {"segment", "r_min", "r_max", "fm_min", "fm_max"}
    if not rows or not required <= set(rows[0]):
        raise ValueError(f"{path}: a segment rules table needs the columns {sorted(required)}")
    rules = []
    for i, row in enumerate(rows, 2):
        try:
            bounds = [int(row[k]) for k in ("r_min", "r_max", "fm_min", "fm_max")]
        except ValueError as exc:
            raise ValueError(f"{path} line {i}: score bounds must be integers 1-5: {row}") from exc
        if not all(1 <= b <= 5 for b in bounds) or bounds[0] > bounds[1] or bounds[2] > bounds[3]:
            raise ValueError(f"{path} line {i}: bounds must satisfy 1 <= min <= max <= 5: {row}")
        rules.append(SegmentRule(row["segment"].strip(), *bounds))
    return rules


def segment_map(rules: list[SegmentRule]) -> pl.DataFrame:
    """All 125 (r, f, m) score cells with their segment; refuses a table that leaves a cell unlabelled.

    A rules table may leave customers unlabelled only explicitly, with a rule naming 'Unlabelled'.
    """
    rows, missing = [], []
    for r, f, m in itertools.product(range(1, 6), repeat=3):
        fm = fm_score(f, m)
        match = next((x.segment for x in rules if x.r_min <= r <= x.r_max and x.fm_min <= fm <= x.fm_max), None)
        if match is None:
            missing.append(f"r={r} fm={fm}")
        rows.append((r, f, m, match))
    if missing:
        cells = sorted(set(missing))
        raise ValueError(
            f"segment rules leave {len(cells)} (r, fm) cells unlabelled: {', '.join(cells)}; "
            f"add rules for them (or map them to '{UNLABELLED}' explicitly)"
        )
    return pl.DataFrame(rows, schema=["r_score", "f_score", "m_score", "rfm_segment"], orient="row").with_columns(
        pl.col("r_score", "f_score", "m_score").cast(pl.Int8)
    )


def missing_months(con: duckdb.DuckDBPyConnection, table: str, months: list[date]) -> list[date]:
    """Which of ``months`` of ``table`` were never built (point-in-time inputs not there yet)."""
    present = built_months(con, table)
    return [m for m in months if m not in present]


def _replace_from_sql(con: duckdb.DuckDBPyConnection, table: str, month: date, **params: object) -> int:
    """Replace ``month`` of ``table`` with what ``sql/<table>.sql`` selects for ``$month`` and ``params``."""
    return replace_partition(con, table, month, load_sql(table), {"month": month, **params})


def build_rfm_snapshot(con: duckdb.DuckDBPyConnection, month: date, window_months: int, segments: pl.DataFrame) -> int:
    """Replace ``rfm_snapshots`` for ``month`` from cleaned_transactions and customer_returns."""
    if window_months < 1:
        raise ValueError(f"window_months must be >= 1, got {window_months}")
    con.register("segment_map", segments.to_arrow())
    try:
        return _replace_from_sql(con, "rfm_snapshots", month, window_months=window_months)
    finally:
        con.unregister("segment_map")


def window_months_list(month: date, window_months: int, first_month: date) -> list[date]:
    """The months of the trailing window that exist in the data (the window clipped at its start)."""
    return [m for m in (add_months(month, -i) for i in range(window_months)) if m >= first_month][::-1]


def build_segment_migration(con: duckdb.DuckDBPyConnection, month: date, previous_month: date) -> int:
    """Replace ``segment_migration`` for ``month`` (moves from ``previous_month``'s snapshot)."""
    return _replace_from_sql(con, "segment_migration", month, previous_month=previous_month)
