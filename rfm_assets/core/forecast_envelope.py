"""The envelope every published revenue forecast stays inside (pure numpy, no dagster).

A model fitted on a short, steep or odd history can extrapolate without limit: a multiplicative
trend or error on a 12-month exponential ramp put 95% bounds at 10^3-10^19 times the history. The
envelope bounds what the history itself can support, for horizon month h = 1..H:

    0 <= lo_95 <= ... <= hi_95 <= upper(h) = HEADROOM * L * (1 + g) ** h
    forecast <= point_upper(h) = POINT_HEADROOM * L * (1 + g) ** h

- L: the history's largest monthly total (its own scale);
- g: the observed monthly growth, clipped to [0, MAX_MONTHLY_GROWTH] (10%: 3.1x a year, 9.8x in
  two). Observed growth compares the medians (so one spike month does not read as growth) of the
  last w months and of w earlier months, lag months before: from 13 months on, w = min(12, n - 12)
  and lag = 12, the same calendar months a year earlier (so a season does not read as growth);
  before, w = lag = n // 2. g_obs = (later median / earlier median) ** (1 / lag) - 1; infinite when
  only the later median is positive, 0 under 2 months;
- POINT_HEADROOM (2) leaves room for a seasonal peak above the trend; HEADROOM (4) also for the
  interval's width.

So for a flat or shrinking history the point forecast may reach 2x its largest month and the
bounds 4x; for a history growing 10% a month or more, 19.7x and 39x 24 months ahead. How it is
used (``forecasting._series``): a candidate whose point forecast leaves point_upper is dropped for
the next-ranked one, down to the Naive forecast (flat at the last month, always inside); the chosen
model's values are then clipped to [0, upper]. Both are reported as warnings naming the series,
the model and by how much. Clipping is monotone, so lo_95 <= lo_80 <= forecast <= hi_80 <= hi_95
still holds. Measured on simulated healthy series (trend within +-4%/month, seasonal amplitude
10-50%, noise 10-30%, 24-month horizon), bounds are clipped for about 1 series in 30.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np = lazy("numpy")
HEADROOM = 4.0
POINT_HEADROOM = 2.0
MAX_MONTHLY_GROWTH = 0.10
SEASON = 12  # months: growth is measured year over year once there is a year to compare


def observed_growth(y: np.ndarray) -> float:
    """Monthly growth between the medians of the last w months and of w months lag earlier (module doc)."""
    n = len(y)
    if n < 2:
        return 0.0
    w, lag = (min(SEASON, n - SEASON), SEASON) if n > SEASON else (n // 2, n // 2)
    later, earlier = float(np.median(y[n - w :])), float(np.median(y[n - w - lag : n - lag]))
    if earlier > 0:
        return (later / earlier) ** (1 / lag) - 1 if later > 0 else -1.0
    return math.inf if later > 0 else 0.0


def _ratio(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    return np.divide(a, b, out=np.full(np.shape(a), np.inf), where=np.asarray(b) > 0)


@dataclass(frozen=True)
class Envelope:
    """The bounds of one series; index h - 1 is horizon month h. The lower bound is 0."""

    scale: float  # L, the largest monthly total of the history
    observed_growth: float  # g_obs per month (may be inf, or negative)
    growth: float  # g, the growth extrapolated: g_obs clipped to [0, MAX_MONTHLY_GROWTH]
    upper: np.ndarray  # every value
    point_upper: np.ndarray  # the point forecast

    def _allows(self, bound: np.ndarray, h: int) -> str:
        obs = f"{self.observed_growth:+.1%}" if math.isfinite(self.observed_growth) else "undefined"
        if self.scale <= 0:
            return "0 (an all-zero history)"
        return (
            f"{bound[h - 1] / self.scale:.3g}x the history's largest month at month {h} "
            f"(observed growth {obs}/month, extrapolated {self.growth:.1%})"
        )

    def point_breach(self, forecast: np.ndarray) -> str | None:
        """Why a point forecast leaves point_upper (at its worst month), or None when it stays inside."""
        bad = ~(np.isfinite(forecast) & (forecast <= self.point_upper))
        if not bad.any():
            return None
        h = int(np.argmax(np.where(bad, np.nan_to_num(_ratio(forecast, self.point_upper), nan=np.inf), -1))) + 1
        size = (
            f"{forecast[h - 1] / self.scale:.3g}x the history's largest month"
            if self.scale > 0
            else f"{forecast[h - 1]:.3g}"
        )
        return f"its forecast reaches {size} at month {h}; the envelope allows {self._allows(self.point_upper, h)}"

    def clip(self, values: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], str | None]:
        """Every column clipped to [0, upper]; with a note when something had to be clipped (else None)."""
        over = np.zeros(len(self.upper), dtype=bool)
        for v in values.values():
            over |= v > self.upper * (1 + 1e-9)
        out = {k: np.clip(v, 0.0, self.upper) for k, v in values.items()}
        if not over.any():
            return out, None
        worst = max(float(np.max(_ratio(v, self.upper)[over])) for v in values.values())
        h = int(np.argmax(over)) + 1
        return out, (
            f"bounds clipped to the envelope in {int(over.sum())} of {len(over)} months, from month "
            f"{h} on (up to {worst:.3g}x the envelope, which allows {self._allows(self.upper, h)})"
        )


def envelope(history: np.ndarray, horizon: int) -> Envelope:
    """The envelope of a monthly history (zero-filled, oldest first) over ``horizon`` months."""
    y = np.clip(np.nan_to_num(np.asarray(history, dtype=float), nan=0.0, posinf=0.0), 0.0, None)
    scale = float(y.max(initial=0.0))
    g_obs = observed_growth(y)
    g = min(max(g_obs, 0.0), MAX_MONTHLY_GROWTH)
    trend = scale * (1 + g) ** np.arange(1, horizon + 1)
    return Envelope(scale, g_obs, g, HEADROOM * trend, POINT_HEADROOM * trend)
