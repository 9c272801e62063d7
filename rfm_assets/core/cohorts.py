"""Cohort retention (pure DuckDB, no dagster)."""

from __future__ import annotations

from datetime import date

import duckdb

from rfm_assets.core.sqlfiles import load_sql
from rfm_assets.core.warehouse import replace_partition

TRIANGLE_VIEW = "cohort_retention_triangle"


def build_cohort_retention(con: duckdb.DuckDBPyConnection, month: date) -> int:
    """Replace ``cohort_retention`` for ``month``."""
    return replace_partition(con, "cohort_retention", month, load_sql("cohort_retention"), {"month": month})


def refresh_triangle_view(con: duckdb.DuckDBPyConnection, max_age_months: int = 60) -> None:
    """(Re)create the cohort x months-since-first view; columns m00..mNN hold retention rates.

    The column list is fixed (not taken from the data) so BI tools see a stable schema.
    """
    cols = ", ".join(
        f"max(retention_rate) filter (where months_since_first = {i}) as m{i:02d}" for i in range(max_age_months)
    )
    con.execute(
        f"create or replace view {TRIANGLE_VIEW} as "
        f"select cohort_month, max(cohort_size) as cohort_size, {cols} "
        f"from cohort_retention group by cohort_month order by cohort_month"
    )


def triangle(con: duckdb.DuckDBPyConnection, up_to: date | None = None) -> tuple[list[date], list[list[float | None]]]:
    """Cohorts and their retention by months since first purchase (snapshots up to ``up_to``)."""
    rows = con.execute(
        "select cohort_month, months_since_first, retention_rate from cohort_retention "
        "where snapshot_month <= coalesce(?, snapshot_month) order by 1, 2",
        [up_to],
    ).fetchall()
    cohorts = sorted({r[0] for r in rows})
    width = max((r[1] for r in rows), default=-1) + 1
    grid: list[list[float | None]] = [[None] * width for _ in cohorts]
    index = {c: i for i, c in enumerate(cohorts)}
    for cohort, age, rate in rows:
        grid[index[cohort]][age] = rate
    return cohorts, grid
