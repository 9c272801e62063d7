"""The seasonal index applied to BG/NBD predictions as an operational clock (pure, no dagster).

BG/NBD with a calendar-varying purchase rate lambda * s(day) is a stationary BG/NBD in operational
time, the running sum of s over days: the number of purchases in a window depends only on the window's
operational length, and a customer's history (recency, T) is read on the same clock. So, with the
stationary fit's parameters unchanged (lifetimes' fit), the seasonally adjusted expectation of a
customer is the stationary formula evaluated at

- recency_op = sum of s over the days (first purchase, last purchase] / 7,
- T_op = sum of s over the days (first purchase, as-of day] / 7,
- the window's operational length, sum of s over its days / 7,

s(day) = the index of the day's calendar month (rfm_assets/core/clv_seasonal.py). With s = 1 every
value is the stationary one. A customer whose T fell in the high season has their rate estimate
deflated (T_op > T), one whose window falls in it gets more purchases (t_op > t): both effects of
the season on a stationary fit.

Horizons in average months (the 12-month columns, lifetimes' CLV steps) take each month's operational
length as its index times the step; the holdout uses the calendar days of its months.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from rfm_assets.core.clv_predict import PATTERN, TIME_UNIT_DAYS, expected_repeat_purchases, pattern_codes
from rfm_assets.core.clv_seasonal import SeasonalIndex
from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months, month_end, month_start

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")

LIFETIMES_MONTH_WEEKS = 4.345  # lifetimes' customer_lifetime_value(freq='W') month


def _days(values: pd.Series | Sequence[date]) -> np.ndarray:
    return pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[D]")


def operational_history(index: SeasonalIndex, summary: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """``summary``'s frequency with recency and T on the index's clock (weeks), as of ``as_of``.

    ``summary`` needs frequency, first_purchase_date and last_purchase_date (sql/clv_summary.sql)."""
    first, last = _days(summary["first_purchase_date"]), _days(summary["last_purchase_date"])
    end = np.datetime64(as_of, "D")
    if len(first) and (last.max() > end or (last < first).any()):
        raise ValueError(f"purchase days must lie between the first purchase and {as_of}")
    origin = first.min() if len(first) else end
    days = origin + np.arange(int((end - origin).astype(int)) + 1)
    weight = np.asarray(index.values)[days.astype("datetime64[M]").astype(int) % 12] / TIME_UNIT_DAYS
    cum = np.concatenate([[0.0], np.cumsum(weight)])  # cum[k + 1]: days origin..origin + k

    def clock(day: np.ndarray) -> np.ndarray:
        return cum[(day - origin).astype(int) + 1]

    start = clock(first)
    return pd.DataFrame(
        {
            "frequency": summary["frequency"].to_numpy(),
            "recency": clock(last) - start,
            "T": cum[-1] - start,
        },
        index=summary.index,
    )


def holdout_boundaries(index: SeasonalIndex, calibration_end: date, holdout_months: int) -> list[float]:
    """Operational weeks from ``calibration_end`` (a month's last day) to the end of each next month."""
    out, first = [0.0], month_start(calibration_end)
    for i in range(1, holdout_months + 1):
        month = add_months(first, i)
        out.append(out[-1] + index.of(month) * ((month_end(month) - month).days + 1) / TIME_UNIT_DAYS)
    return out


def horizon_boundaries(index: SeasonalIndex, as_of: date, months: int, step_weeks: float) -> list[float]:
    """Operational weeks to the end of each of the ``months`` months after ``as_of``, a month being
    ``step_weeks`` weeks of calendar time."""
    out, first = [0.0], month_start(as_of)
    for i in range(1, months + 1):
        out.append(out[-1] + index.of(add_months(first, i)) * step_weeks)
    return out


def windowed_expected(
    bg_params: dict[str, float],
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803
    boundaries: Sequence[float],
    monthly_discount: float = 0.0,
) -> np.ndarray:
    """Sum over i of (E(b_i) - E(b_{i-1})) / (1 + monthly_discount)^i, E = the stationary conditional
    expectation (weeks), b = ``boundaries`` (starting at 0, non-decreasing)."""
    if not len(boundaries) or boundaries[0] != 0:
        raise ValueError(f"boundaries must start at 0: {list(boundaries)}")
    if any(b1 < b0 for b0, b1 in zip(boundaries, boundaries[1:], strict=False)):
        raise ValueError(f"boundaries must not decrease: {list(boundaries)}")
    total = np.zeros(len(np.asarray(frequency)))
    previous = np.zeros_like(total)
    for i, b in enumerate(boundaries[1:], start=1):
        current = np.asarray(expected_repeat_purchases(bg_params, b, frequency, recency, T), dtype=float)
        total += (current - previous) / (1 + monthly_discount) ** i
        previous = current
    return total


def predict_seasonal(
    bg_params: dict[str, float], history: pd.DataFrame, boundaries: Sequence[float], monthly_discount: float = 0.0
) -> np.ndarray:
    """:func:`windowed_expected` for each row of ``history`` (frequency, recency, T on the index's
    clock), computed once per distinct row; raises ValueError if any value is not finite."""
    rows = history[PATTERN].astype(float)
    if not len(rows):
        return np.zeros(0)
    codes, first = pattern_codes(rows, PATTERN)
    unique = rows.to_numpy()[first]
    with np.errstate(all="ignore"):
        values = windowed_expected(bg_params, unique[:, 0], unique[:, 1], unique[:, 2], boundaries, monthly_discount)
    if not np.isfinite(values).all():
        raise ValueError("non-finite seasonally adjusted expected purchases for some (frequency, recency, T) rows")
    return values[codes]


def seasonal_scores(
    bg_params: dict[str, float],
    summary: pd.DataFrame,
    index: SeasonalIndex,
    as_of: date,
    horizon_months: int,
    monthly_discount: float,
    order_value: np.ndarray,
) -> pd.DataFrame:
    """``expected_purchases_12m_seasonal`` and ``clv_12m_seasonal`` of each row of ``summary``: the
    stationary columns' definitions (horizon of average months; lifetimes' discounted 4.345-week
    steps times ``order_value``) on the index's clock."""
    history = operational_history(index, summary, as_of)
    purchases = horizon_boundaries(index, as_of, horizon_months, 365.25 / 12 / TIME_UNIT_DAYS)
    steps = horizon_boundaries(index, as_of, horizon_months, LIFETIMES_MONTH_WEEKS)
    return pd.DataFrame(
        {
            "expected_purchases_12m_seasonal": predict_seasonal(bg_params, history, purchases),
            "clv_12m_seasonal": np.asarray(order_value, dtype=float)
            * predict_seasonal(bg_params, history, steps, monthly_discount),
        },
        index=summary.index,
    )
