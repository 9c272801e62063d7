"""The dormant model's time rules: which anchors are known, trained on, chosen on, calibrated on (no dagster).

An anchor A is usable for month M when its base window lies in the data (A-5 >= first month) and
its outcome is known (A+3 <= M). Every model learns from the newest TRAINING_WINDOW usable anchors
<= its held-out anchor - 3, so no training label overlaps the held-out outcome window.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months, month_start

if TYPE_CHECKING:
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pd = lazy("pandas")

BASE_START, OUTCOME_MONTHS = 5, 3  # base window starts at A-5; outcome window is A+1..A+3
TRAINING_WINDOW = 12  # anchors a model learns from: one year, so each calendar month once


def known_outcome_anchors(first_month: date, month: date) -> list[date]:
    """Anchors A with a complete base window (A-5 >= first_month) and outcome (A+3 <= month), oldest first."""
    first, last = add_months(month_start(first_month), BASE_START), add_months(month_start(month), -OUTCOME_MONTHS)
    out = []
    while first <= last:
        out.append(first)
        first = add_months(first, 1)
    return out


def evaluation_plan(first_month: date, month: date) -> tuple[date | None, list[date]]:
    """(evaluation anchor, training anchors): the newest known anchor E and the newest
    TRAINING_WINDOW known anchors <= E-3."""
    known = known_outcome_anchors(first_month, month)
    if not known:
        return None, []
    latest_training = add_months(known[-1], -OUTCOME_MONTHS)
    return known[-1], [a for a in known if a <= latest_training][-TRAINING_WINDOW:]


def window(anchors: list[date], last: date) -> list[date]:
    """The newest TRAINING_WINDOW of ``anchors`` that are <= ``last``."""
    return [a for a in anchors if a <= last][-TRAINING_WINDOW:]


def holdout(anchors: list[date], anchor: date) -> tuple[date, list[date]] | None:
    """(anchor, its training window <= anchor-3) when ``anchor`` is usable and has one, else None."""
    training = window(anchors, add_months(anchor, -OUTCOME_MONTHS))
    return (anchor, training) if anchor in anchors and training else None


def rows(panel: pd.DataFrame, anchors: list[date] | date) -> pd.DataFrame:
    """The rows of ``panel`` (stacked anchors, as from dormant_anchors.anchor_panel) of ``anchors``."""
    if panel.empty:
        return panel
    wanted = anchors if isinstance(anchors, list) else [anchors]
    return panel[panel["anchor"].isin(wanted)].reset_index(drop=True)


def both_classes(frame: pd.DataFrame) -> bool:
    """True when ``frame`` holds buyers and non-buyers."""
    return not frame.empty and 0 < int(frame["bought_again"].sum()) < len(frame)
