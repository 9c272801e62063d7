"""The reactivation campaign for dormant customers: size, ranked target list, personas, CSV, gain chart.

Personas follow the seed's value x frequency matrix, with thresholds = medians of the current target
group's monetary and frequency; "high" means strictly above the median (with the usual median
frequency of 1, every repeat buyer is high-frequency):
  Loyal = high value & high frequency, Regular = low value & high frequency,
  Big Fish = high value & low frequency, One-time = low value & low frequency.

Control group: of the selected customers, a random ``control_share`` (RFM_CONTROL_SHARE, 10% by
default) is held out, stratified by persona: round(share x n) of each persona's n selected (halves
round up), the ones with the smallest draw u = hash(month, customer_id) in [0, 1). The draw
depends on nothing but the month and the id, so a rerun (in any backfill order, on any machine)
gives the same groups, and it is independent of rank and features. ``campaign_group`` is
'treatment' or 'control' for the selected and null for everyone else; the CSV holds the treatment
group only.
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")
ACTIONS = {
    "Loyal": "Membership / VIP offer: exclusive discount to welcome them back",
    "Big Fish": "Personalised high-value product recommendations",
    "Regular": "Bundle or volume coupon on their usual products",
    "One-time": "Low-cost reminder with a referral code",
}
TREATMENT, CONTROL = "treatment", "control"
EXPORT_COLUMNS = ["customer_id", "rank", "probability", "expected_revenue", "persona", "suggested_action", "country"]


@dataclass(frozen=True)
class CampaignConfig:
    """Who is contacted.

    Profit rule (``contact_cost`` and ``margin`` given): everyone with expected profit
    margin x expected_revenue - contact_cost > 0, best expected profit first, capped by ``top_n``
    and by ``budget`` // contact_cost contacts when given. Otherwise the ``top_n`` best ranked, or
    else the best ``share`` of the target group (rounded up). Model evaluation uses
    :func:`evaluation_k` (top_n or share), since a profit rule would give every model its own k.
    """

    top_n: int | None = None
    share: float = 0.10
    contact_cost: float | None = None
    margin: float | None = None
    budget: float | None = None
    control_share: float = 0.10  # of the selected, held out as a control group (per persona)

    def __post_init__(self) -> None:
        if self.top_n is not None and self.top_n < 1:
            raise ValueError(f"top_n must be >= 1, got {self.top_n}")
        if not 0 < self.share <= 1:
            raise ValueError(f"share must be in (0, 1], got {self.share}")
        if (self.contact_cost is None) != (self.margin is None):
            raise ValueError("the profit rule needs both contact_cost and margin")
        if self.contact_cost is not None and self.margin is not None and (self.contact_cost < 0 or self.margin <= 0):
            raise ValueError("contact_cost must be >= 0 and margin > 0")
        if self.budget is not None and (self.contact_cost is None or self.budget < 0):
            raise ValueError("a budget needs the profit rule (contact_cost, margin) and must be >= 0")
        if not 0 <= self.control_share < 1:
            raise ValueError(f"control_share must be in [0, 1), got {self.control_share}")

    @property
    def profit_rule(self) -> bool:
        """True when customers are selected by expected profit."""
        return self.contact_cost is not None

    def profit_terms(self) -> tuple[float, float]:
        """``(margin, contact_cost)`` of the profit rule; an error when the rule is not in use."""
        if self.margin is None or self.contact_cost is None:
            raise ValueError("the profit rule needs both contact_cost and margin")
        return self.margin, self.contact_cost


def evaluation_k(n_customers: int, config: CampaignConfig) -> int:
    """Campaign size used to compare models on a group of ``n_customers``: top_n, else share (rounded up)."""
    if n_customers <= 0:
        return 0
    k = config.top_n if config.top_n is not None else math.ceil(config.share * n_customers)
    return max(1, min(k, n_customers))


def personas(frame: pd.DataFrame) -> tuple[pd.Series, dict[str, float]]:
    """Persona per row and the thresholds used (medians of the frame's monetary and frequency)."""
    thresholds = {"monetary": float(frame["monetary"].median()), "frequency": float(frame["frequency"].median())}
    high_value = frame["monetary"] > thresholds["monetary"]
    high_freq = frame["frequency"] > thresholds["frequency"]
    names = np.select(
        [high_value & high_freq, ~high_value & high_freq, high_value & ~high_freq],
        ["Loyal", "Regular", "Big Fish"],
        default="One-time",
    )
    return pd.Series(names, index=frame.index, name="persona"), thresholds


def select(targets: pd.DataFrame, config: CampaignConfig) -> np.ndarray:
    """Boolean mask of the contacted rows of ``targets`` (needs rank, expected_revenue)."""
    n = len(targets)
    if not config.profit_rule:
        return targets["rank"].to_numpy() <= evaluation_k(n, config)
    margin, contact_cost = config.profit_terms()
    profit = margin * targets["expected_revenue"].to_numpy(dtype=float) - contact_cost
    caps = [n]
    if config.top_n is not None:
        caps.append(config.top_n)
    if config.budget is not None and contact_cost > 0:
        caps.append(int(config.budget // contact_cost))
    order = np.lexsort((targets["rank"].to_numpy(), -profit))
    chosen = [i for i in order if profit[i] > 0][: min(caps)]
    mask = np.zeros(n, dtype=bool)
    mask[chosen] = True
    return mask


def control_draw(month: date, customer_ids: pd.Series | np.ndarray) -> np.ndarray:
    """Uniform draw in [0, 1) per customer, a function of (month, customer_id) only: SHA-256 of
    'YYYY-MM:<customer_id>', first 8 bytes as an integer / 2**64."""
    prefix = f"{month:%Y-%m}:"
    return np.array(
        [
            int.from_bytes(hashlib.sha256((prefix + str(c)).encode()).digest()[:8], "big") / 2.0**64
            for c in customer_ids
        ],
        dtype=float,
    )


def campaign_groups(targets: pd.DataFrame, share: float, month: date) -> pd.Series:
    """'treatment' / 'control' for the selected rows of ``targets`` (customer_id, persona, selected),
    None for the others: in each persona, the round(share x n) selected with the smallest
    :func:`control_draw` (halves up; ties by customer_id) are the control group."""
    out = pd.Series([None] * len(targets), index=targets.index, dtype=object, name="campaign_group")
    chosen = targets[targets["selected"].astype(bool)]
    draw = pd.Series(control_draw(month, chosen["customer_id"]), index=chosen.index)
    for _, rows in chosen.groupby("persona", sort=True):
        n_control = math.floor(share * len(rows) + 0.5)
        order = np.lexsort((rows["customer_id"].to_numpy(dtype=str), draw[rows.index].to_numpy()))
        control = rows.index[order[:n_control]]
        out[rows.index] = TREATMENT
        out[control] = CONTROL
    return out


def build_targets(
    group: pd.DataFrame, probability: np.ndarray, spend: np.ndarray, config: CampaignConfig, month: date
) -> tuple[pd.DataFrame, dict[str, float]]:
    """The month's ``dormant_targets``: one row per dormant customer, rank 1 = most likely to return.

    ``group`` holds customer_id, country, frequency and monetary; ``spend`` is the expected spend
    given a purchase, so expected_revenue = probability x spend. The selected are split into
    treatment and a persona-stratified control group (:func:`campaign_groups`). Returns the frame
    (ordered by rank) and the persona thresholds.
    """
    out = group[["customer_id", "country", "frequency", "monetary"]].reset_index(drop=True).copy()
    out.insert(0, "snapshot_month", month)
    out["probability"] = np.clip(np.asarray(probability, dtype=float), 0.0, 1.0)
    out["expected_revenue"] = out["probability"] * np.asarray(spend, dtype=float)
    if config.profit_rule:
        margin, contact_cost = config.profit_terms()
        out["expected_profit"] = margin * out["expected_revenue"] - contact_cost
    else:
        out["expected_profit"] = np.nan
    order = np.lexsort((out["customer_id"].to_numpy(dtype=str), -out["probability"].to_numpy()))
    out["rank"] = 0
    out.loc[order, "rank"] = np.arange(1, len(out) + 1)
    persona, thresholds = personas(out)
    out["persona"] = persona
    out["suggested_action"] = out["persona"].map(ACTIONS)
    out["selected"] = select(out, config)
    out["campaign_group"] = campaign_groups(out, config.control_share, month)
    return out.sort_values("rank").reset_index(drop=True), thresholds


def export_csv(targets: pd.DataFrame, path: str | Path, *, treatment_only: bool = True) -> int:
    """Write the campaign list (EXPORT_COLUMNS, by rank) for email tools, atomically. Returns the row count.

    By default only the treatment group: the control group is selected but never contacted."""
    rows = targets[targets["campaign_group"] == TREATMENT] if treatment_only else targets
    rows = rows.sort_values("rank")[EXPORT_COLUMNS]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", newline="") as fh:
            rows.to_csv(fh, index=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(rows)
