"""Builds of the clusters: KMeans on the month's RFM snapshot, and the clusters' profiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from rfm_assets.core.clusters import ClusterResult, fit_clusters
from rfm_assets.core.lazy import lazy
from rfm_assets.core.sqlfiles import load_sql
from rfm_assets.core.warehouse import replace_partition, replace_partition_frame

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pd, pl = lazy("pandas"), lazy("polars")


@dataclass(frozen=True)
class ClusterConfig:
    k: int | None  # None: chosen by silhouette


@dataclass(frozen=True)
class ClustersBuild:
    rows: int
    fit: ClusterResult  # assignments, centroids, k and how it was chosen, silhouettes


@dataclass(frozen=True)
class ProfilesBuild:
    rows: int
    profile: pd.DataFrame  # the month's rows without snapshot_month, by cluster_id


def build_customer_clusters(con: duckdb.DuckDBPyConnection, month: date, cfg: ClusterConfig) -> ClustersBuild:
    """customer_clusters for ``month`` from its rfm_snapshots."""
    rfm = con.execute(
        "select customer_id, recency_days, frequency, monetary from rfm_snapshots where snapshot_month = ?",
        [month],
    ).pl()
    result = fit_clusters(rfm, k=cfg.k)
    frame = result.assignments.with_columns(pl.lit(month).alias("snapshot_month")).select(
        "snapshot_month", "customer_id", "cluster_id", "cluster_name", "recency_days", "frequency", "monetary"
    )
    return ClustersBuild(replace_partition_frame(con, "customer_clusters", month, frame), result)


def build_cluster_profiles(con: duckdb.DuckDBPyConnection, month: date, cfg: None = None) -> ProfilesBuild:
    """cluster_profiles for ``month`` (`sql/cluster_profiles.sql`)."""
    rows = replace_partition(con, "cluster_profiles", month, load_sql("cluster_profiles"), {"month": month})
    profile = con.execute(
        "select * exclude (snapshot_month) from cluster_profiles where snapshot_month = ? order by cluster_id",
        [month],
    ).df()
    return ProfilesBuild(rows, profile)
