"""Build of the reactivation layer: the dormant's features, the out-of-time model choice, the targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from rfm_assets.core import dormant
from rfm_assets.core.builds import frames
from rfm_assets.core.dormant_campaign import CampaignConfig
from rfm_assets.core.sqlfiles import load_sql
from rfm_assets.core.warehouse import replace_partition, replace_partition_frame


@dataclass(frozen=True)
class DormantConfig:
    campaign: CampaignConfig  # who is contacted: top-N, share, or profit within a budget
    first_month: date  # the first month of the partitions: anchors start there


def build_dormant_reactivation(
    con: duckdb.DuckDBPyConnection, month: date, cfg: DormantConfig
) -> dormant.DormantResult:
    """dormant_features, dormant_model_metrics, dormant_calibration and dormant_targets for ``month``
    (each may be empty). Anchors' features and labels are kept in dormant_anchor_panel (core.dormant_anchors)."""
    replace_partition(
        con,
        "dormant_features",
        month,
        load_sql("dormant_features"),
        {"anchor_month": month},
        allow_empty=True,
    )
    result = dormant.run_dormant(
        con, month, cfg.campaign, first_month=cfg.first_month, features_table="dormant_features"
    )
    metrics = result.metrics.assign(snapshot_month=month) if not result.metrics.empty else result.metrics
    replace_partition_frame(
        con,
        "dormant_model_metrics",
        month,
        frames.dormant_metrics(metrics),
        allow_empty=True,
        select="* replace (evaluation_anchor::date as evaluation_anchor, selection_anchor::date as selection_anchor)",
    )
    calibration = (
        result.calibration.assign(snapshot_month=month) if not result.calibration.empty else result.calibration
    )
    replace_partition_frame(
        con,
        "dormant_calibration",
        month,
        frames.dormant_calibration(calibration),
        allow_empty=True,
        select="* replace (evaluation_anchor::date as evaluation_anchor, calibration_anchor::date as calibration_anchor)",
    )
    replace_partition_frame(con, "dormant_targets", month, frames.dormant_targets(result.targets), allow_empty=True)
    return result
