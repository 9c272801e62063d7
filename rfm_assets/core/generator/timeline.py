"""The simulated calendar: daily intensity multipliers, operational time and shop-hour timestamps.

Time inside the simulation is a float number of days since ``start``. Seasonality is a step
function s(u) per day (month multiplier x weekday multiplier); a Poisson process with rate
lambda * s(u) is simulated exactly as a unit-rate one in operational time
Lambda(t) = integral_0^t s(u) du and mapped back with ``np.interp``. A day's fraction is spread over
shop hours, so timestamps fall between 07:00 and 20:00 and never on a Saturday (s = 0 there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from rfm_assets.core.generator.params import (
    MONTH_MULTIPLIERS,
    SHOP_CLOSE_MINUTE,
    SHOP_OPEN_MINUTE,
    WEEKDAY_MULTIPLIERS,
)
from rfm_assets.core.months import add_months


@dataclass(frozen=True)
class Timeline:
    """Per-day calendar facts of the simulated period [start, end)."""

    start: date
    end: date  # first day after the period
    month_of_year: np.ndarray  # 1..12 per day
    weekday: np.ndarray  # 0=Mon..6=Sun per day
    season: np.ndarray  # s(u) per day
    op_knots: np.ndarray  # Lambda at day edges 0..n_days

    @property
    def n_days(self) -> int:
        """Days in the period."""
        return len(self.season)

    @property
    def op_end(self) -> float:
        """Operational time at the end of the period."""
        return float(self.op_knots[-1])

    def to_op(self, t: np.ndarray) -> np.ndarray:
        """Operational time Lambda(t) of calendar times ``t`` (days)."""
        return np.interp(t, np.arange(self.n_days + 1, dtype=np.float64), self.op_knots)

    def from_op(self, op: np.ndarray) -> np.ndarray:
        """Calendar times of operational times (inverse of ``to_op``; flat Saturday segments have
        probability zero of being hit exactly)."""
        return np.interp(op, self.op_knots, np.arange(self.n_days + 1, dtype=np.float64))

    def sample_times(self, rng: np.random.Generator, n: int, day_weight: np.ndarray) -> np.ndarray:
        """``n`` iid times (days) from the density proportional to the step function ``day_weight``."""
        cum = np.concatenate([[0.0], np.cumsum(day_weight, dtype=np.float64)])
        return np.interp(rng.random(n) * cum[-1], cum, np.arange(self.n_days + 1, dtype=np.float64))

    def growth(self, factor: float) -> np.ndarray:
        """Per-day exponential growth from 1 (first day) to ``factor`` (end of period)."""
        return factor ** ((np.arange(self.n_days) + 0.5) / self.n_days)


def build_timeline(start: date, n_months: int) -> Timeline:
    """Daily multipliers and operational-time knots for ``n_months`` months from ``start``."""
    end = add_months(start, n_months)
    days = np.datetime64(start, "D") + np.arange((end - start).days)
    month_of_year = days.astype("datetime64[M]").astype(np.int64) % 12 + 1
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    season = np.asarray(MONTH_MULTIPLIERS)[month_of_year - 1] * np.asarray(WEEKDAY_MULTIPLIERS)[weekday]
    op_knots = np.concatenate([[0.0], np.cumsum(season)])
    return Timeline(start, end, month_of_year, weekday, season, op_knots)


def to_minutes(t: np.ndarray) -> np.ndarray:
    """Whole minutes since the start: the day of ``t`` and its fraction spread over shop hours."""
    day = np.floor(t)
    minute = SHOP_OPEN_MINUTE + np.floor((t - day) * (SHOP_CLOSE_MINUTE - SHOP_OPEN_MINUTE))
    return (day.astype(np.int64) * 1440 + minute.astype(np.int64)).astype(np.int64)
