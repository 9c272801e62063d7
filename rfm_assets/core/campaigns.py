"""Campaign outcomes: treatment vs control, uplift with 95% CIs (pure pandas/numpy, no dagster).

Input: one row per selected customer of a campaign (``dormant_targets`` of month C, ``campaign_group``
'treatment' or 'control'), with ``persona``, the model's ``probability`` of an order in the outcome
window, and what they did in the window (C+1..C+3): ``reactivated`` (at least one order) and ``revenue``.
The comparison is intention-to-treat: the whole treatment group against the whole control group, whether
or not each treatment customer was reached (``contacted`` only informs ``n_contacted``).

Per segment ('all' and each persona):
- rates and mean revenue per customer of each group;
- uplift = rate_treatment - rate_control, 95% CI by the two-proportion (Wald, unpooled) normal
  approximation: +-1.96 * sqrt(p_t (1 - p_t) / n_t + p_c (1 - p_c) / n_c);
- revenue_uplift = difference of the mean revenue per customer, 95% CI by a percentile bootstrap
  (``n_boot`` resamples of each group, seeded: the same numbers on every rerun);
- incremental_revenue = revenue_uplift * n_treatment (what the contacts added over no campaign);
- predicted_rate_* = the model's mean probability in each group, next to the realized rates.
Below ``min_group`` customers in either group the segment is 'not measurable yet': rates are shown,
uplifts and CIs are null, ``status`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")
TREATMENT, CONTROL = "treatment", "control"
Z95 = 1.959963984540054
OUTCOME_COLUMNS = [
    "segment",
    "n_treatment",
    "n_control",
    "n_contacted",
    "rate_treatment",
    "rate_control",
    "uplift",
    "uplift_ci_low",
    "uplift_ci_high",
    "revenue_treatment",
    "revenue_control",
    "revenue_uplift",
    "revenue_uplift_ci_low",
    "revenue_uplift_ci_high",
    "incremental_revenue",
    "predicted_rate_treatment",
    "predicted_rate_control",
    "measurable",
    "status",
]


@dataclass(frozen=True)
class OutcomeConfig:
    min_group: int = 30  # customers per group below which an uplift is not reported
    n_boot: int = 2000
    seed: int = 0


def two_proportion_ci(x_t: int, n_t: int, x_c: int, n_c: int) -> tuple[float, float, float]:
    """(difference, low, high) of the 95% Wald interval of p_t - p_c."""
    if min(n_t, n_c) <= 0:
        raise ValueError("both groups need at least one customer")
    p_t, p_c = x_t / n_t, x_c / n_c
    half = Z95 * np.sqrt(p_t * (1 - p_t) / n_t + p_c * (1 - p_c) / n_c)
    return p_t - p_c, p_t - p_c - half, p_t - p_c + half


def bootstrap_mean_diff_ci(
    treat: np.ndarray, control: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[float, float, float]:
    """(mean(treat) - mean(control), 2.5% and 97.5% percentiles over ``n_boot`` paired resamples)."""
    treat, control = np.asarray(treat, dtype=float), np.asarray(control, dtype=float)
    if min(len(treat), len(control)) == 0 or n_boot < 1:
        raise ValueError("the bootstrap needs both groups non-empty and n_boot >= 1")
    chunk = max(1, 2_000_000 // max(len(treat), len(control)))  # resamples per batch: bounded memory
    diffs = np.concatenate(
        [
            treat[rng.integers(0, len(treat), (k, len(treat)))].mean(axis=1)
            - control[rng.integers(0, len(control), (k, len(control)))].mean(axis=1)
            for k in (min(chunk, n_boot - lo) for lo in range(0, n_boot, chunk))
        ]
    )
    low, high = np.percentile(diffs, [2.5, 97.5])
    return float(treat.mean() - control.mean()), float(low), float(high)


def _segment(name: str, frame: pd.DataFrame, config: OutcomeConfig, rng: np.random.Generator) -> dict:
    t, c = frame[frame["campaign_group"] == TREATMENT], frame[frame["campaign_group"] == CONTROL]
    row: dict = dict.fromkeys(OUTCOME_COLUMNS)
    row |= {
        "segment": name,
        "n_treatment": len(t),
        "n_control": len(c),
        "n_contacted": int(t["contacted"].sum()),
        "rate_treatment": float(t["reactivated"].mean()) if len(t) else None,
        "rate_control": float(c["reactivated"].mean()) if len(c) else None,
        "revenue_treatment": float(t["revenue"].mean()) if len(t) else None,
        "revenue_control": float(c["revenue"].mean()) if len(c) else None,
        "predicted_rate_treatment": float(t["probability"].mean()) if len(t) else None,
        "predicted_rate_control": float(c["probability"].mean()) if len(c) else None,
    }
    if min(len(t), len(c)) < config.min_group:
        row["measurable"] = False
        row["status"] = (
            f"uplift cannot be measured yet: {len(t)} treatment and {len(c)} control customers, "
            f"at least {config.min_group} needed in each group"
        )
        return row
    diff, low, high = two_proportion_ci(int(t["reactivated"].sum()), len(t), int(c["reactivated"].sum()), len(c))
    rev, rev_low, rev_high = bootstrap_mean_diff_ci(
        t["revenue"].to_numpy(), c["revenue"].to_numpy(), config.n_boot, rng
    )
    row |= {
        "uplift": diff,
        "uplift_ci_low": low,
        "uplift_ci_high": high,
        "revenue_uplift": rev,
        "revenue_uplift_ci_low": rev_low,
        "revenue_uplift_ci_high": rev_high,
        "incremental_revenue": rev * len(t),
        "measurable": True,
        "status": "measured",
    }
    return row


def campaign_outcomes(customers: pd.DataFrame, config: OutcomeConfig = OutcomeConfig()) -> pd.DataFrame:
    """OUTCOME_COLUMNS, one row for 'all' then one per persona (sorted). ``customers`` needs
    campaign_group, persona, probability, contacted, reactivated, revenue."""
    missing = {"campaign_group", "persona", "probability", "contacted", "reactivated", "revenue"} - set(customers)
    if missing:
        raise ValueError(f"campaign customers lack column(s) {sorted(missing)}")
    groups = set(customers["campaign_group"].dropna())
    if not groups <= {TREATMENT, CONTROL}:
        raise ValueError(f"unknown campaign_group value(s) {sorted(groups - {TREATMENT, CONTROL})}")
    rng = np.random.default_rng(config.seed)
    rows = [_segment("all", customers, config, rng)]
    rows += [
        _segment(str(p), part, config, rng)
        for p, part in sorted(customers.groupby("persona"), key=lambda kv: str(kv[0]))
    ]
    out = pd.DataFrame(rows, columns=OUTCOME_COLUMNS)
    out["measurable"] = out["measurable"].astype(bool)
    return out
