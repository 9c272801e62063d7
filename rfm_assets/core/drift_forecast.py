"""Volume drift against last month's company revenue forecast. Pure pandas, no dagster.

A month's revenue (or purchase lines) is anomalous when it is outside the 95% interval that the
company forecast made at the end of the previous month gave for it, *and* its miss is unusual for
that forecast: beyond the robust band (median ± K x 1.4826 x MAD) of the forecast's own one-step
misses in the months before, and beyond x1.5 either way. The second condition is the forecast's track
record correcting its intervals: a model that has not yet seen a full season cannot know a shop's
first Q4 peak (+41% on October in the default data) or the January drop after it, and says so with
intervals that are too narrow, which is not drift in the data.
"""

from __future__ import annotations

import math
from datetime import date

from rfm_assets.core.drift import (
    LOOKBACK,
    MIN_CHANGES,
    MIN_HISTORY,
    DriftResult,
    K,
    _months,
    _not_enough,
    _nothing,
    _series,
    change_drift,
    robust_band,
)
from rfm_assets.core.lazy import pd
from rfm_assets.core.months import add_months

FORECAST_FLOOR = math.log(1.5)  # a miss within x1.5 of the point forecast (-33% to +50%) never warns
RATE_MONTHS = 6  # revenue per line: the median over this many months before the month judged


def _per_unit(frame: pd.DataFrame, column: str, month: date) -> float:
    """Median revenue per unit of ``column`` over the ``RATE_MONTHS`` months before ``month``."""
    months = _months(frame)
    recent = frame[(months < month) & (months >= add_months(month, -RATE_MONTHS))]
    rates = (recent["revenue"] / recent[column]).replace([math.inf, -math.inf], math.nan).dropna()
    return float(rates.median()) if len(rates) else math.nan


def _expected(
    frame: pd.DataFrame, column: str, forecasts: pd.DataFrame, month: date, per_revenue: bool
) -> tuple[float, float, float] | None:
    """(point, lo_95, hi_95) for ``month`` in the units of ``column``, or None without a usable forecast."""
    rows = forecasts[forecasts["ds"] == month]
    if rows.empty or rows[["forecast", "lo_95", "hi_95"]].isna().any(axis=None):
        return None
    scale = _per_unit(frame, column, month) if per_revenue else 1.0
    if not scale > 0:
        return None
    row = rows.iloc[0]
    return float(row["forecast"]) / scale, float(row["lo_95"]) / scale, float(row["hi_95"]) / scale


def _miss(value: float, point: float) -> float:
    return math.log(value / point) if value > 0 and point > 0 else math.copysign(math.inf, value - point)


def forecast_drift(
    frame: pd.DataFrame,
    month: date,
    column: str,
    forecasts: pd.DataFrame | None,
    *,
    what: str,
    per_revenue: bool = False,
    floor: float = FORECAST_FLOOR,
    k: float = K,
    min_history: int = MIN_HISTORY,
) -> DriftResult:
    """Judge ``column`` of ``frame`` (snapshot_month, column[, revenue]) at ``month`` against
    ``forecasts`` (ds, forecast, lo_95, hi_95: the company revenue forecast made the month before ds).
    ``per_revenue``: the forecast is in revenue; divide it by the median revenue per unit of
    ``column`` of the 6 months before. Without a forecast for the month (not built, or failed): the
    month's change against the earlier changes on a log scale (:func:`~rfm_assets.core.drift.change_drift`)."""
    series = _series(frame, column, month)
    if month not in series.index:
        return _nothing(what, month)
    earlier = series[series.index < month]
    if len(earlier) < min_history:
        return _not_enough(what, len(earlier), min_history)
    forecasts = forecasts if forecasts is not None else pd.DataFrame(columns=["ds", "forecast", "lo_95", "hi_95"])
    forecasts = forecasts.assign(ds=pd.to_datetime(forecasts["ds"]).dt.date)
    expected = _expected(frame, column, forecasts, month, per_revenue)
    if expected is None:
        result = change_drift(frame, month, column, what=what, floor=floor, transform="log", unit="log")
        return DriftResult(
            result.passed,
            result.description + " (no forecast from last month to compare with)",
            {**result.metadata, "method": "change_band"},
        )
    value, (point, low, high) = float(series[month]), expected
    misses = []  # of forecasts that had min_history months to learn from, like this month's
    for past in earlier.index[min_history:]:
        if past < add_months(month, -LOOKBACK):
            continue
        before = _expected(frame, column, forecasts, past, per_revenue)
        if before is not None and earlier[past] > 0 and before[0] > 0:
            misses.append(_miss(float(earlier[past]), before[0]))
    center, half = robust_band(misses, k=k, floor=floor) if len(misses) >= MIN_CHANGES else (0.0, floor)
    usual_low, usual_high = min(center - half, -floor), max(center + half, floor)
    miss = _miss(value, point)
    inside, usual = low <= value <= high, usual_low <= miss <= usual_high
    usual_text = f"its usual misses ({math.exp(usual_low) - 1:+.0%} to {math.exp(usual_high) - 1:+.0%})"
    verdict = (
        "within the 95% interval"
        if inside
        else f"outside the 95% interval, but within {usual_text}"
        if usual
        else f"OUTSIDE the 95% interval and beyond {usual_text}"
    )
    unit = ", at the recent revenue per unit" if per_revenue else ""
    description = (
        f"{what} {value:,.6g}; last month's company forecast expected {point:,.6g} "
        f"(95%: {low:,.6g} to {high:,.6g}{unit}), {math.exp(miss) - 1:+.0%}: {verdict}"
    )
    return DriftResult(
        inside or usual,
        description,
        {
            "value": value,
            "forecast": round(point, 4),
            "lo_95": round(low, 4),
            "hi_95": round(high, 4),
            "relative_error": round(math.exp(miss) - 1, 6),
            "usual_miss_low": round(math.exp(usual_low) - 1, 6),
            "usual_miss_high": round(math.exp(usual_high) - 1, 6),
            "past_misses": len(misses),
            "history": len(earlier),
            "method": "company_forecast",
        },
    )
