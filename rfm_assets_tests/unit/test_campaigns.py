"""campaign_outcomes' statistics (core/campaigns.py): CIs by hand, coverage of a known uplift over many
simulated campaigns, no uplift found when there is none, and 'not measurable' below the minimum group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rfm_assets.core.campaigns import (
    OutcomeConfig,
    bootstrap_mean_diff_ci,
    campaign_outcomes,
    two_proportion_ci,
)
from rfm_assets_tests.frames import row_at

PERSONAS = {"Loyal": 0.35, "Regular": 0.25, "Big Fish": 0.20, "One-time": 0.10}  # base repurchase rates


def simulate(seed: int, uplift: float, n: int = 4000, control_share: float = 0.5, spend: float = 100.0) -> pd.DataFrame:
    """A campaign with known truth: persona base rates, +uplift points for the treatment group, each
    buyer spending Exponential(spend)."""
    rng = np.random.default_rng(seed)
    persona = rng.choice(list(PERSONAS), n)
    base = np.array([PERSONAS[p] for p in persona])
    group = np.where(rng.random(n) < control_share, "control", "treatment")
    reactivated = rng.random(n) < base + np.where(group == "treatment", uplift, 0.0)
    return pd.DataFrame(
        {
            "campaign_group": group,
            "persona": persona,
            "probability": base,
            "contacted": group == "treatment",
            "reactivated": reactivated,
            "revenue": np.where(reactivated, rng.exponential(spend, n), 0.0),
        }
    )


def test_two_proportion_ci_by_hand() -> None:
    # 30/100 vs 20/100: se = sqrt(0.3*0.7/100 + 0.2*0.8/100) = sqrt(0.0037) = 0.060828
    diff, low, high = two_proportion_ci(30, 100, 20, 100)
    assert diff == pytest.approx(0.1)
    assert (low, high) == pytest.approx((0.1 - 1.959964 * 0.060828, 0.1 + 1.959964 * 0.060828), abs=1e-5)


def test_bootstrap_agrees_with_the_normal_interval_on_large_samples() -> None:
    rng = np.random.default_rng(3)
    t, c = rng.exponential(50, 3000), rng.exponential(40, 3000)
    diff, low, high = bootstrap_mean_diff_ci(t, c, 2000, np.random.default_rng(1))
    half = 1.96 * np.sqrt(t.var(ddof=1) / len(t) + c.var(ddof=1) / len(c))
    assert diff == pytest.approx(t.mean() - c.mean())
    assert (high - low) / 2 == pytest.approx(half, rel=0.1)
    assert (low + high) / 2 == pytest.approx(diff, abs=0.15 * half)


@pytest.mark.slow
@pytest.mark.parametrize("uplift", [0.05, 0.0])
def test_the_rate_interval_covers_the_truth_about_95_percent_of_the_time(uplift: float) -> None:
    config = OutcomeConfig(n_boot=50)
    covered = []
    for seed in range(150):
        row = campaign_outcomes(simulate(seed, uplift), config).iloc[0]
        covered.append(row["uplift_ci_low"] <= uplift <= row["uplift_ci_high"])
    assert 0.89 <= np.mean(covered) <= 0.995


@pytest.mark.parametrize("seed", [11, 12, 13, 14, 15])
def test_an_injected_uplift_is_recovered_and_none_is_found_without_one(seed: int) -> None:
    with_effect = campaign_outcomes(simulate(seed, 0.05, n=20_000)).set_index("segment")
    all_ = row_at(with_effect, "all")
    assert all_["uplift_ci_low"] <= 0.05 <= all_["uplift_ci_high"]
    assert all_["uplift_ci_low"] > 0  # 20k customers: +5 points is told apart from 0
    # revenue: +5 points of buyers spending 100 on average = +5 per customer
    assert all_["revenue_uplift_ci_low"] <= 5.0 <= all_["revenue_uplift_ci_high"]
    assert all_["incremental_revenue"] == pytest.approx(all_["revenue_uplift"] * all_["n_treatment"])
    none = row_at(campaign_outcomes(simulate(seed, 0.0, n=20_000)).set_index("segment"), "all")
    assert none["uplift_ci_low"] <= 0 <= none["uplift_ci_high"]
    assert none["revenue_uplift_ci_low"] <= 0 <= none["revenue_uplift_ci_high"]


def test_segments_and_the_model_rate() -> None:
    frame = simulate(1, 0.0)
    out = campaign_outcomes(frame, OutcomeConfig(n_boot=100)).set_index("segment")
    assert list(out.index) == ["all", *sorted(PERSONAS)]
    assert out.loc[list(PERSONAS), "n_treatment"].sum() == out.loc["all", "n_treatment"]
    control = frame[frame["campaign_group"] == "control"]
    assert out.loc["all", "predicted_rate_control"] == pytest.approx(control["probability"].mean())
    assert out.loc["Loyal", "rate_control"] == pytest.approx(
        control.loc[control["persona"] == "Loyal", "reactivated"].mean()
    )


def test_small_groups_are_not_measurable_yet() -> None:
    frame = simulate(2, 0.05, n=300, control_share=0.05)  # about 15 control customers
    out = campaign_outcomes(frame, OutcomeConfig(min_group=30)).set_index("segment")
    assert not out["measurable"].any()
    assert out["uplift"].isna().all() and out["revenue_uplift_ci_low"].isna().all()
    assert "cannot be measured yet" in row_at(out, "all")["status"]
    assert out.loc["all", "rate_treatment"] == pytest.approx(
        frame.loc[frame["campaign_group"] == "treatment", "reactivated"].mean()
    )


def test_bad_input_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="lack column"):
        campaign_outcomes(pd.DataFrame({"campaign_group": ["treatment"]}))
    frame = simulate(1, 0.0, n=50)
    frame.loc[0, "campaign_group"] = "holdout"
    with pytest.raises(ValueError, match="unknown campaign_group"):
        campaign_outcomes(frame)
