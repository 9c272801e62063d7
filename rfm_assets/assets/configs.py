"""The core builds' configurations, from the ``params`` resource: one mapping, used by the assets and
the benchmarks alike."""

from __future__ import annotations

from pathlib import Path

from rfm_assets.assets.inputs import first_month
from rfm_assets.core.builds.behaviour import RfmConfig
from rfm_assets.core.builds.lifetime_value import HoldoutConfig
from rfm_assets.core.builds.reactivation import DormantConfig
from rfm_assets.core.builds.segments import ClusterConfig
from rfm_assets.core.clv import ClvConfig
from rfm_assets.core.dormant_campaign import CampaignConfig
from rfm_assets.resources import AnalysisParamsResource


def rfm_config(params: AnalysisParamsResource) -> RfmConfig:
    return RfmConfig(
        window_months=params.window_months,
        segment_rules=Path(params.segment_rules) if params.segment_rules else None,
    )


def cluster_config(params: AnalysisParamsResource) -> ClusterConfig:
    return ClusterConfig(k=params.cluster_k)


def clv_config(params: AnalysisParamsResource) -> ClvConfig:
    return ClvConfig(annual_discount_rate=params.clv_discount_rate)


def holdout_config(params: AnalysisParamsResource) -> HoldoutConfig:
    return HoldoutConfig(holdout_months=params.clv_holdout_months, clv=clv_config(params))


def campaign_config(params: AnalysisParamsResource) -> CampaignConfig:
    """The campaign rule from the operator's settings (top-N, share, or profit with a budget)."""
    return CampaignConfig(
        top_n=params.campaign_top_n,
        share=params.campaign_share,
        contact_cost=params.contact_cost,
        margin=params.margin,
        budget=params.campaign_budget,
        control_share=params.control_share,
    )


def dormant_config(params: AnalysisParamsResource) -> DormantConfig:
    return DormantConfig(campaign=campaign_config(params), first_month=first_month())
