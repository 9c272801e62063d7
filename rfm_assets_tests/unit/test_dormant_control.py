"""Control groups of the dormant campaign: shares per persona, reproducible draws, nobody in control exported.

Expected values are written from the documented rule (sql/dormant_targets.yml, campaign_group): in each
persona, round(share x n) of the n selected (halves up) with the smallest sha256('YYYY-MM:<id>') draw.
The test recomputes the draw itself with hashlib.
"""

import hashlib
from datetime import date

import numpy as np
import pandas as pd
import pytest

from rfm_assets.core.dormant_campaign import CampaignConfig, build_targets, campaign_groups, export_csv

DEC = date(2011, 12, 1)


def draw(month: date, customer_id: str) -> float:
    return int(hashlib.sha256(f"{month:%Y-%m}:{customer_id}".encode()).hexdigest()[:16], 16) / 2**64


def group_frame(n: int, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "customer_id": [f"K{i:05d}" for i in range(n)],
            "country": "UK",
            "frequency": rng.integers(1, 6, n),
            "monetary": rng.gamma(2.0, 50.0, n).round(2),
        }
    )
    return frame, rng.uniform(0, 1, n), rng.gamma(2.0, 20.0, n)


def test_control_is_the_smallest_draws_of_each_persona_by_hand():
    targets = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e", "f", "g"],
            "persona": ["Loyal"] * 5 + ["Big Fish"] * 2,
            "selected": [True, True, True, True, True, True, False],
        }
    )
    got = campaign_groups(targets, 0.3, DEC)
    # Loyal: 5 selected x 0.3 = 1.5 -> 2 controls; Big Fish: 1 selected x 0.3 = 0.3 -> 0; g is not selected
    loyal = sorted("abcde", key=lambda c: draw(DEC, c))
    expected = {c: "control" if c in loyal[:2] else "treatment" for c in "abcde"} | {"f": "treatment", "g": None}
    assert got.to_dict() == {i: expected[c] for i, c in enumerate(targets["customer_id"])}


def test_shares_per_persona_within_rounding_and_only_among_the_selected():
    group, probability, spend = group_frame(4000)
    config = CampaignConfig(share=0.4, control_share=0.15)
    targets, _ = build_targets(group, probability, spend, config, DEC)
    assert targets.loc[~targets["selected"], "campaign_group"].isna().all()
    chosen = targets[targets["selected"]]
    assert set(chosen["campaign_group"]) == {"treatment", "control"}
    for persona, rows in chosen.groupby("persona"):
        n_control = int((rows["campaign_group"] == "control").sum())
        assert abs(n_control - 0.15 * len(rows)) <= 0.5, persona
    assert len(chosen) == 1600 and chosen["persona"].nunique() == 4


def test_control_is_random_with_respect_to_rank():
    group, probability, spend = group_frame(20_000, seed=1)
    targets, _ = build_targets(group, probability, spend, CampaignConfig(share=1.0, control_share=0.2), DEC)
    control = targets["campaign_group"] == "control"
    # each rank half holds about 20% controls: 10,000 draws each, standard error 0.4 points
    top = targets["rank"] <= 10_000
    assert abs(control[top].mean() - 0.2) < 0.015 and abs(control[~top].mean() - 0.2) < 0.015
    assert abs(targets.loc[control, "probability"].mean() - targets.loc[~control, "probability"].mean()) < 0.01


def test_groups_are_reproducible_whatever_the_row_order_and_differ_by_month():
    group, probability, spend = group_frame(3000, seed=2)
    config = CampaignConfig(share=0.5)
    first, _ = build_targets(group, probability, spend, config, DEC)
    again, _ = build_targets(group, probability, spend, config, DEC)
    shuffled = np.random.default_rng(9).permutation(len(group))
    backwards, _ = build_targets(
        group.iloc[shuffled].reset_index(drop=True), probability[shuffled], spend[shuffled], config, DEC
    )
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, backwards)
    other, _ = build_targets(group, probability, spend, config, date(2011, 11, 1))
    control_dec = set(first.loc[first["campaign_group"] == "control", "customer_id"])
    control_nov = set(other.loc[other["campaign_group"] == "control", "customer_id"])
    assert len(control_dec) == len(control_nov) > 100
    assert len(control_dec & control_nov) < 0.3 * len(control_dec)  # ~10% overlap if independent


def test_csv_holds_the_treatment_group_only(tmp_path):
    group, probability, spend = group_frame(500, seed=3)
    targets, _ = build_targets(group, probability, spend, CampaignConfig(share=0.3), DEC)
    path = tmp_path / "campaign.csv"
    n = export_csv(targets, path)
    back = pd.read_csv(path, dtype={"customer_id": str})
    treatment = targets[targets["campaign_group"] == "treatment"]
    control = set(targets.loc[targets["campaign_group"] == "control", "customer_id"])
    assert n == len(back) == len(treatment) == 150 - len(control) and len(control) > 5
    assert list(back["customer_id"]) == list(treatment.sort_values("rank")["customer_id"])
    assert not control & set(back["customer_id"])


def test_no_control_group_when_the_share_is_zero_and_bad_shares_fail():
    group, probability, spend = group_frame(200)
    targets, _ = build_targets(group, probability, spend, CampaignConfig(control_share=0.0), DEC)
    assert (targets.loc[targets["selected"], "campaign_group"] == "treatment").all()
    for bad in (1.0, -0.1):
        with pytest.raises(ValueError, match="control_share"):
            CampaignConfig(control_share=bad)
