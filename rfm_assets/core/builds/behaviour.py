"""Builds of the customer-behaviour layer: cohort retention, RFM snapshots, segment migration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from rfm_assets.core import cohorts, rfm
from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months

if TYPE_CHECKING:
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pd = lazy("pandas")


@dataclass(frozen=True)
class RfmConfig:
    window_months: int  # trailing window in calendar months
    segment_rules: Path | None = None  # None: sql/rfm_segment_rules.csv


@dataclass(frozen=True)
class CohortBuild:
    rows: int
    cohorts: list[date]  # every cohort up to the month, the heatmap's rows
    grid: list[list[float | None]]  # retention by cohort x months since first purchase


@dataclass(frozen=True)
class RfmBuild:
    rows: int
    segment_profile: pd.DataFrame  # per segment: customers, mean R/F/M, revenue share


@dataclass(frozen=True)
class MigrationBuild:
    rows: int
    previous: date
    moves: list[tuple[str, str, int, float]]  # from_segment, to_segment, customers, share_of_from


def build_cohort_retention(con: duckdb.DuckDBPyConnection, month: date, cfg: None = None) -> CohortBuild:
    """cohort_retention for ``month``, the triangle view refreshed, and the triangle up to ``month``."""
    rows = cohorts.build_cohort_retention(con, month)
    cohorts.refresh_triangle_view(con)
    labels, grid = cohorts.triangle(con, up_to=month)
    return CohortBuild(rows, labels, grid)


def build_rfm_snapshots(con: duckdb.DuckDBPyConnection, month: date, cfg: RfmConfig) -> RfmBuild:
    """rfm_snapshots for ``month`` over the trailing window, segments from the rules table."""
    rules = rfm.load_segment_rules(cfg.segment_rules) if cfg.segment_rules else rfm.load_segment_rules()
    rows = rfm.build_rfm_snapshot(con, month, cfg.window_months, rfm.segment_map(rules))
    profile = con.execute(
        """select rfm_segment, count(*) as customers, round(avg(recency_days), 1) as mean_recency_days,
                  round(avg(frequency), 2) as mean_frequency, round(avg(monetary), 2) as mean_monetary,
                  round(sum(monetary) / sum(sum(monetary)) over (), 4) as revenue_share
           from rfm_snapshots where snapshot_month = ? group by 1 order by customers desc""",
        [month],
    ).df()
    return RfmBuild(rows, profile)


def build_segment_migration(con: duckdb.DuckDBPyConnection, month: date, cfg: None = None) -> MigrationBuild:
    """segment_migration for ``month``: moves from last month's snapshot to this month's."""
    previous = add_months(month, -1)
    rows = rfm.build_segment_migration(con, month, previous)
    moves = con.execute(
        "select from_segment, to_segment, customers, share_of_from from segment_migration where snapshot_month = ?",
        [month],
    ).fetchall()
    return MigrationBuild(rows, previous, moves)
