"""Drift (soft) checks: is this month unusual *for this series*? Pure pandas/numpy, no dagster.

Every expectation comes from the series' own past, point in time (only months before the one
checked), never from a fixed band:

- revenue and purchase lines: the 95% interval that last month's company forecast gave for this
  month, and that forecast's own track record of misses (``drift_forecast.py``);
- shares (guest lines, RFM segments, clusters) and CLV parameters: this month's change against a
  robust band of the previous months' changes, median ± K x 1.4826 x MAD (:func:`change_drift`,
  :func:`group_change_drift`), so a series that trends or decays smoothly is not drift;
- the forecast's backtest error: its level against a robust band of its own earlier levels, upwards
  only (:func:`level_drift`).

Each band has a floor, so a series that barely moved so far (MAD near 0) does not warn on tiny
noise. Too little history passes, saying so: a drift check can only warn about a change it has
something to compare with.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypedDict, Unpack

from rfm_assets.core.lazy import np, pd
from rfm_assets.core.months import add_months

K = 4.0  # robust z: a change more than K robust standard deviations from the usual one warns
MAD_TO_SD = 1.4826  # MAD x 1.4826 estimates the standard deviation of a normal series
LOOKBACK = 12  # months of history a band is estimated from
MIN_HISTORY = 3  # earlier months a forecast comparison needs
MIN_CHANGES = 5  # earlier month-to-month changes a change band needs: a MAD of fewer is too noisy
CLV_PARAMS = ("r", "alpha", "a", "b", "p", "q", "v")


@dataclass(frozen=True)
class DriftResult:
    """Outcome of one drift check: passed, a sentence a person can act on, and the numbers compared."""

    passed: bool
    description: str
    metadata: dict[str, float | int | str] = field(default_factory=dict)


class BandOptions(TypedDict, total=False):
    """Options of every drift rule: the band is ``k`` robust sd wide (default ``K``) and needs ``min_history``
    earlier values (default ``MIN_CHANGES`` for changes, ``MIN_HISTORY`` for levels)."""

    k: float
    min_history: int


class ChangeOptions(BandOptions, total=False):
    """:class:`BandOptions` plus, for the change rules: ``transform='log'`` judges changes of log values
    (ratios), and ``unit`` says how changes are written ("points" of a share, "log" as x ratios, else plain)."""

    transform: str
    unit: str


@dataclass(frozen=True)
class ChangeRule:
    """One change rule, with the defaults of :class:`ChangeOptions`: ``what`` names the series in the
    sentence, and a change within ±``floor`` never warns."""

    what: str
    floor: float
    transform: str = "linear"
    unit: str = "points"
    k: float = K
    min_history: int = MIN_CHANGES


def robust_band(history: Sequence[float] | np.ndarray, *, k: float = K, floor: float = 0.0) -> tuple[float, float]:
    """(center, half-width) of the band for ``history``: its median, and max(k x 1.4826 x MAD, floor)."""
    values = np.asarray(history, dtype=float)
    if values.size == 0:
        raise ValueError("robust_band needs at least one value")
    center = float(np.median(values))
    spread = MAD_TO_SD * float(np.median(np.abs(values - center)))
    return center, max(k * spread, floor)


def _log(series: pd.Series) -> pd.Series:
    """Natural log, keeping the index (np.log of a Series does too; its stub says ndarray)."""
    return pd.Series(np.log(series.to_numpy(dtype=float)), index=series.index)


def _months(frame: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(frame["snapshot_month"]).dt.date


def _series(frame: pd.DataFrame, column: str, month: date, lookback: int = LOOKBACK) -> pd.Series:
    """``column`` by month for the ``lookback`` months before ``month`` and ``month`` itself, NaN dropped."""
    months = _months(frame)
    keep = (months <= month) & (months >= add_months(month, -lookback - 1))
    series = pd.Series(frame.loc[keep, column].to_numpy(dtype=float), index=months[keep]).dropna()
    return series.groupby(level=0).sum().sort_index()


def _not_enough(what: str, have: int, need: int) -> DriftResult:
    text = f"not enough history to judge {what}: {have} earlier value(s), {need} needed"
    return DriftResult(True, text, {"history": have, "history_needed": need})


def _nothing(what: str, month: date) -> DriftResult:
    return DriftResult(True, f"no {what} for {month:%Y-%m}: nothing to compare", {"history": 0})


def _change_band(series: pd.Series, month: date, transform: str, floor: float, k: float) -> tuple | None:
    """(change now, center, half-width, n changes) of ``series`` at ``month``, or None without a value."""
    values = _log(series.clip(lower=1e-300)) if transform == "log" else series
    if month not in values.index:
        return None
    earlier = values[values.index < month]
    changes = earlier.diff().dropna()
    if len(changes) < 1:
        return float("nan"), float("nan"), float("nan"), 0
    center, half = robust_band(changes.to_numpy(), k=k, floor=floor)
    return float(values[month] - earlier.iloc[-1]), center, half, len(changes)


def _fmt(value: float, unit: str) -> str:
    if unit == "points":
        return f"{100 * value:+.1f} points"
    return f"x{math.exp(value):.2f}" if unit == "log" else f"{value:+.4g}"


def _floor(floor: float, unit: str) -> str:
    return f"±{100 * floor:.1f} points" if unit == "points" else f"x{math.exp(floor):.2f} either way"


def change_drift(
    frame: pd.DataFrame, month: date, column: str, *, what: str, floor: float, **options: Unpack[ChangeOptions]
) -> DriftResult:
    """Warn when this month's change of ``column`` (since the latest earlier month; on ``log`` values
    when ``transform='log'``) is outside median ± max(k x 1.4826 x MAD, floor) of the earlier
    month-to-month changes of the ``LOOKBACK`` months before; a change within ±floor never warns."""
    rule = ChangeRule(what, floor, **options)
    unit, k = rule.unit, rule.k
    band = _change_band(_series(frame, column, month), month, rule.transform, floor, k)
    if band is None:
        return _nothing(what, month)
    change, center, half, n = band
    if n < rule.min_history:
        return _not_enough(what, n, rule.min_history)
    low, high = min(center - half, -floor), max(center + half, floor)
    passed = low <= change <= high
    description = (
        f"{what} changed {_fmt(change, unit)} this month; the previous {n} monthly changes suggest "
        f"{_fmt(low, unit)} to {_fmt(high, unit)} (median {_fmt(center, unit)} ± "
        f"{'floor' if half == floor else f'{k:g} x robust sd'}; {_floor(floor, unit)} never warns): "
        f"{'within' if passed else 'OUTSIDE'}"
    )
    compared = {"change": change, "usual_change": center, "band_low": low, "band_high": high}
    rounded = {key: round(number, 6) for key, number in compared.items()}
    return DriftResult(passed, description, {**rounded, "floor": floor, "history": n, "scale": rule.transform})


def group_change_drift(
    frame: pd.DataFrame,
    month: date,
    *,
    group: str,
    value: str,
    what: str,
    floor: float,
    **options: Unpack[ChangeOptions],
) -> DriftResult:
    """:func:`change_drift` for every group (segment, cluster, parameter) of a long frame
    (snapshot_month, ``group``, ``value``); a group absent in a month has value 0 there when the
    values are shares (``transform='linear'``). Warns when any group is outside its band."""
    rule = ChangeRule(what, floor, **options)
    wide = frame.pivot_table(index="snapshot_month", columns=group, values=value, aggfunc="sum")
    if rule.transform == "linear":
        wide = wide.fillna(0.0)
    wide.index = pd.to_datetime(wide.index).date
    if month not in set(wide.index):
        return _nothing(what, month)
    rows, worst, worst_score, failed = [], None, -1.0, []
    for name in wide.columns:
        frame_g = pd.DataFrame({"snapshot_month": wide.index, "v": wide[name].to_numpy()})
        result = change_drift(frame_g, month, "v", what=f"{what} {name}", floor=floor, **options)
        meta = result.metadata
        if "change" not in meta:
            continue
        change, usual = float(meta["change"]), float(meta["usual_change"])
        low, high = float(meta["band_low"]), float(meta["band_high"])
        score = abs(change - usual) / max(abs((high if change >= usual else low) - usual), 1e-12)
        if score > worst_score:
            worst, worst_score = (name, result), score
        failed += [] if result.passed else [str(name)]
        rows.append(
            f"| {name} | {_fmt(change, rule.unit)} | {_fmt(low, rule.unit)} .. "
            f"{_fmt(high, rule.unit)} | {'ok' if result.passed else '**outside**'} |"
        )
    if worst is None:
        return _not_enough(what, max((len(wide[wide.index < month]) - 1), 0), rule.min_history)
    name, result = worst
    table = "\n".join(["| group | change | usual range | verdict |", "|---|---:|---:|---|", *rows])
    lead = f"{len(failed)} of {len(rows)} outside their usual range ({', '.join(failed)}); " if failed else ""
    return DriftResult(
        not failed,
        lead + "largest: " + result.description,
        {**result.metadata, "group": str(name), "groups_outside": len(failed), "groups": table},
    )


def level_drift(
    frame: pd.DataFrame,
    month: date,
    column: str,
    *,
    what: str,
    floor: float,
    minimum: float,
    **options: Unpack[BandOptions],
) -> DriftResult:
    """Warn when ``column`` (positive) rose above its earlier levels' band on a log scale,
    median + max(k x 1.4826 x MAD, floor), and above ``minimum``; falls never warn."""
    series = _series(frame, column, month)
    series = series[series > 0]
    if month not in series.index:
        return _nothing(what, month)
    k, min_history = options.get("k", K), options.get("min_history", MIN_HISTORY)
    earlier = _log(series[series.index < month]).iloc[-LOOKBACK:]
    if len(earlier) < min_history:
        return _not_enough(what, len(earlier), min_history)
    value = float(series[month])
    center, half = robust_band(earlier.to_numpy(), k=k, floor=floor)
    limit = max(math.exp(center + half), minimum)
    passed = value <= limit
    description = (
        f"{what} {value:.3g}; the previous {len(earlier)} month(s) had a median of "
        f"{math.exp(center):.3g}, so up to {limit:.3g} is usual: {'within' if passed else 'ABOVE'}"
    )
    return DriftResult(
        passed,
        description,
        {"value": value, "usual": round(math.exp(center), 6), "limit": round(limit, 6), "history": len(earlier)},
    )
