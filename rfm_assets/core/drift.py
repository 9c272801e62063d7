"""Drift (soft) checks: does this month look like the previous ones? Pure pandas, no dagster.

Each function takes a small frame of per-month values (``snapshot_month`` plus the measured
columns), ignores every month after the one checked (point in time), and returns a
:class:`DriftResult` with the numbers it compared. Too little history passes, saying so: a drift
check can only warn about a change it has something to compare with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from rfm_assets.core.months import add_months

TRAILING_MONTHS = 6  # the previous months a trailing median is taken over
MIN_HISTORY = 3  # previous months needed before a trailing comparison means anything
YOUNG_HIGH = 2.5  # upper bound of the volume band while there is under a year of history
CLV_PARAMS = ("r", "alpha", "a", "b", "p", "q", "v")


@dataclass(frozen=True)
class DriftResult:
    """Outcome of one drift check: passed, a sentence a person can act on, and the numbers compared."""

    passed: bool
    description: str
    metadata: dict[str, float | int | str] = field(default_factory=dict)


def _upto(frame: pd.DataFrame, month: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(this month's rows, earlier rows within the trailing window), never a later month."""
    months = pd.to_datetime(frame["snapshot_month"]).dt.date
    current = frame[months == month]
    earlier = frame[(months < month) & (months >= add_months(month, -TRAILING_MONTHS))]
    return current, earlier


def _not_enough(what: str, have: int, need: int) -> DriftResult:
    return DriftResult(True, f"not enough history to judge {what}: {have} earlier month(s), {need} needed",
                       {"history_months": have, "history_needed": need})


def trailing_ratio(
    frame: pd.DataFrame, month: date, column: str, *, what: str, low: float | None = 0.5, high: float | None = 2.0,
    min_history: int = MIN_HISTORY,
) -> DriftResult:
    """Warn when ``column`` this month is outside [low, high] x the median of the previous months'."""
    current, earlier = _upto(frame, month)
    values = earlier[column].dropna()
    if current.empty or pd.isna(current[column].iloc[0]):
        return DriftResult(True, f"no {what} for {month:%Y-%m} yet: nothing to compare", {"history_months": len(values)})
    if len(values) < min_history:
        return _not_enough(what, len(values), min_history)
    value, median = float(current[column].iloc[0]), float(values.median())
    ratio = value / median if median else float("inf") if value else 1.0
    passed = (low is None or ratio >= low) and (high is None or ratio <= high)
    band = f"[{low if low is not None else 0:g}x, {high if high is not None else float('inf'):g}x]"
    verdict = "within" if passed else "OUTSIDE"
    description = (f"{what} {value:,.4g} is {ratio:.2f}x the median {median:,.4g} of the previous "
                   f"{len(values)} month(s): {verdict} {band}")
    return DriftResult(passed, description, {"value": value, "trailing_median": median, "ratio": round(ratio, 4),
                                             "history_months": len(values), "band": band})


def _value(frame: pd.DataFrame, months: pd.Series, month: date, column: str) -> float | None:
    rows = frame.loc[months == month, column].dropna()
    return float(rows.iloc[0]) if len(rows) else None


def volume_drift(
    frame: pd.DataFrame, month: date, column: str, *, what: str, low: float = 0.5, high: float = 2.0,
    young_high: float = YOUNG_HIGH, min_history: int = MIN_HISTORY,
) -> DriftResult:
    """Row count or revenue against its recent past, seasonality and growth allowed for.

    With a year of history, compares year-over-year growth (this month / the same month a year
    earlier) with the median year-over-year growth of the previous 6 months, so a seasonal peak
    that recurs is not drift; warns outside [low, high] x. Before that, the month itself against the
    trailing median, with the upper bound widened to ``young_high``: a young shop grows fast and
    meets its first seasonal peak, which is not drift either.
    """
    months = pd.to_datetime(frame["snapshot_month"]).dt.date
    now, last_year = _value(frame, months, month, column), _value(frame, months, add_months(month, -12), column)
    growths = []
    for k in range(1, TRAILING_MONTHS + 1):
        earlier = _value(frame, months, add_months(month, -k), column)
        base = _value(frame, months, add_months(month, -k - 12), column)
        if earlier is not None and base:
            growths.append(earlier / base)
    if now is None or not last_year or len(growths) < min_history:
        result = trailing_ratio(frame, month, column, what=what, low=low, high=young_high, min_history=min_history)
        note = "; under a year of history, so against the trailing median with a wider band"
        return DriftResult(result.passed, result.description + note, {**result.metadata, "method": "trailing_median"})
    growth, typical = now / last_year, float(pd.Series(growths).median())
    ratio = growth / typical if typical else float("inf")
    passed = low <= ratio <= high
    description = (f"{what} {now:,.4g} is x{growth:.2f} on {add_months(month, -12):%Y-%m}; the previous "
                   f"{len(growths)} month(s) grew a median x{typical:.2f} year over year: {ratio:.2f}x the usual "
                   f"growth, {'within' if passed else 'OUTSIDE'} [{low:g}x, {high:g}x]")
    return DriftResult(passed, description, {
        "value": now, "same_month_last_year": last_year, "yoy_growth": round(growth, 4),
        "median_yoy_growth": round(typical, 4), "ratio": round(ratio, 4), "history_months": len(growths),
        "band": f"[{low:g}x, {high:g}x]", "method": "year_over_year"})


def share_level(
    frame: pd.DataFrame, month: date, column: str, *, what: str, max_change: float = 0.10,
    min_history: int = MIN_HISTORY,
) -> DriftResult:
    """Warn when a share (0..1) moves more than ``max_change`` (absolute) from its trailing median."""
    current, earlier = _upto(frame, month)
    values = earlier[column].dropna()
    if current.empty:
        return DriftResult(True, f"no {what} for {month:%Y-%m} yet: nothing to compare", {"history_months": len(values)})
    if len(values) < min_history:
        return _not_enough(what, len(values), min_history)
    value, median = float(current[column].iloc[0]), float(values.median())
    change = value - median
    passed = abs(change) <= max_change
    description = (f"{what} {value:.1%} vs a median of {median:.1%} over the previous {len(values)} month(s): "
                   f"{change:+.1%} ({'within' if passed else 'MORE than'} ±{max_change:.0%})")
    return DriftResult(passed, description, {"value": value, "trailing_median": median, "change": round(change, 6),
                                             "max_change": max_change, "history_months": len(values)})


def _earlier_months(months: pd.Series, month: date) -> list[date]:
    return sorted({m for m in months if add_months(month, -TRAILING_MONTHS) <= m < month})


def share_shift(
    frame: pd.DataFrame, month: date, *, group: str, share: str, what: str, max_shift: float = 0.15,
    min_history: int = MIN_HISTORY,
) -> DriftResult:
    """Warn when any group's share moved more than ``max_shift`` (absolute) since the latest earlier month.

    Needs ``min_history`` earlier months in the trailing window: a young customer base reshuffles
    its segments every month, which is growth rather than drift.
    """
    months = pd.to_datetime(frame["snapshot_month"]).dt.date
    earlier_months = _earlier_months(months, month)
    current = frame[months == month]
    if current.empty:
        return DriftResult(True, f"no {what} for {month:%Y-%m} yet: nothing to compare", {})
    if len(earlier_months) < min_history:
        return _not_enough(what, len(earlier_months), min_history)
    previous_month = earlier_months[-1]
    now = current.groupby(group)[share].sum()
    before = frame[months == previous_month].groupby(group)[share].sum()
    shifts = now.reindex(now.index.union(before.index), fill_value=0.0) - before.reindex(
        now.index.union(before.index), fill_value=0.0)
    label = shifts.abs().idxmax()
    biggest = float(shifts[label])
    passed = abs(biggest) <= max_shift
    table = "\n".join(["| group | before | now | change |", "|---|---:|---:|---:|"] + [
        f"| {g} | {before.get(g, 0.0):.1%} | {now.get(g, 0.0):.1%} | {shifts[g]:+.1%} |"
        for g in shifts.abs().sort_values(ascending=False).index])
    description = (f"largest {what} change since {previous_month:%Y-%m}: {label} {biggest:+.1%} "
                   f"({before.get(label, 0.0):.1%} -> {now.get(label, 0.0):.1%}); "
                   f"{'within' if passed else 'MORE than'} ±{max_shift:.0%}")
    return DriftResult(passed, description, {"largest_change": round(biggest, 6), "group": str(label),
                                             "compared_with": previous_month.isoformat(), "max_shift": max_shift,
                                             "shares": table})


def parameter_drift(
    frame: pd.DataFrame, month: date, *, params: Sequence[str] = CLV_PARAMS, max_relative: float = 0.5,
    min_history: int = MIN_HISTORY,
) -> DriftResult:
    """Warn when a model parameter changed by more than ``max_relative`` of its value since the latest
    earlier month that has parameters (``frame``: snapshot_month, param, value); needs ``min_history``
    fitted months in the trailing window, as the first fits on a short history move a lot."""
    frame = frame[frame["param"].isin(params)]
    months = pd.to_datetime(frame["snapshot_month"]).dt.date
    current = frame[months == month].set_index("param")["value"]
    earlier_months = _earlier_months(months, month)
    if current.empty:
        return DriftResult(True, f"no fitted parameters for {month:%Y-%m} (too little history to fit): nothing to "
                                 "compare", {})
    if len(earlier_months) < min_history:
        return _not_enough("parameter drift", len(earlier_months), min_history)
    previous_month = earlier_months[-1]
    before = frame[months == previous_month].set_index("param")["value"]
    common = [p for p in params if p in current.index and p in before.index]
    changes = {p: (float(current[p]) - float(before[p])) / abs(float(before[p])) if before[p] else float("inf")
               for p in common}
    worst = max(common, key=lambda p: abs(changes[p]))
    passed = abs(changes[worst]) <= max_relative
    description = (f"largest parameter change since {previous_month:%Y-%m}: {worst} {float(before[worst]):.4g} -> "
                   f"{float(current[worst]):.4g} ({changes[worst]:+.0%}); "
                   f"{'within' if passed else 'MORE than'} ±{max_relative:.0%}")
    metadata: dict[str, float | int | str] = {"compared_with": previous_month.isoformat(), "param": worst,
                                              "max_relative": max_relative}
    metadata.update({f"change_{p}": round(changes[p], 6) for p in common})
    return DriftResult(passed, description, metadata)
