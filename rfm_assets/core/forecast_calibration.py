"""Interval calibration of the published forecasts (pure numpy/pandas).

Two regimes, per series and horizon h (months ahead):
- **Conformal**, once the series has CONFORMAL_MIN realized errors at h: the forecasts published at
  the CONFORMAL_ORIGINS most recent earlier origins that had at least MIN_ORIGIN_HISTORY months of
  history, compared with the months that came (``forecast_accuracy.realized_pairs``). The error is
  e = |log((actual + eps) / (forecast + eps))|, eps = 1% of the series' mean month (so a zero month
  is a large error, not an undefined one); the level-L bound is q = the ceil((n + 1) L)-th smallest
  e (split-conformal order statistic), and the interval is [forecast e^-q, forecast e^q]. When
  ceil((n + 1) L) exceeds n (95% needs n >= 19 errors, more than CONFORMAL_ORIGINS gives), no order
  statistic carries the guarantee: the bound is then the wider of the largest error's interval and
  the model's own interval from the rule below, so that a few calm months never make it narrow. q never shrinks with the horizon (a running maximum over the
  calibrated horizons: with 6-12 errors each, a far horizon could otherwise come out narrower than
  a near one). Horizons past the last calibrated one h* take q(h*) sqrt(h / h*).
- **Before that**, under 24 months of history, the wider of two intervals: the model's own,
  widened by max(backtest scale, ``widen_rule``: SHORT_WIDEN, x2), and a random walk's on log
  revenue (``random_walk_floor``): forecast e^(+-z sigma sqrt(h)), sigma the standard deviation of
  the last FLOOR_CHANGES month-to-month log changes. From 24 months on, the model's own widened by
  the backtest scale (seasonal models then; month-to-month changes would mostly be the season). Under two seasons the models
  cannot know the season, and their own intervals held 44-70% (80%) of the months in the default
  data's first year (issue 15); some (AutoTheta on a smooth ramp) are nearly zero wide, which no
  factor widens, hence the floor from the history's own month-to-month volatility.
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import TYPE_CHECKING

from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")
CONFORMAL_MIN = 6  # realized errors at a horizon before conformal intervals replace the model's
CONFORMAL_ORIGINS = 12  # the most recent origins used
MIN_ORIGIN_HISTORY = 6  # only forecasts made with a backtest behind them (forecasting.MIN_MONTHS)
SHORT_WIDEN = 2.0
SEASONS_FOR_OWN = 24  # months of history from which the models' own intervals are taken as they are
FLOOR_CHANGES = 12  # month-to-month changes the random-walk floor's sigma is estimated from

Quantiles = dict[int, dict[int, float]]  # horizon -> level -> q (on the log scale)


def widen_rule(n_months: int) -> float:
    """Factor the chosen model's own intervals are widened by before any conformal calibration."""
    return SHORT_WIDEN if n_months < SEASONS_FOR_OWN else 1.0


def random_walk_floor(values: dict[str, np.ndarray], y: np.ndarray, levels: tuple[int, ...]) -> dict:
    """``values`` with each bound at least as wide as a random walk's on log revenue (module doc);
    unchanged when the history has fewer than 2 positive month-to-month changes."""
    pos = np.asarray(y, dtype=float)
    pos = pos[pos > 0]
    changes = np.diff(np.log(pos))[-FLOOR_CHANGES:]
    if len(changes) < 2:
        return values
    sigma, f = float(np.std(changes, ddof=1)), values["forecast"]
    root_h = np.sqrt(np.arange(1, len(f) + 1))
    out = dict(values)
    for lv in levels:
        half = NormalDist().inv_cdf(0.5 + lv / 200) * sigma * root_h
        out[f"lo_{lv}"] = np.minimum(values[f"lo_{lv}"], f * np.exp(-half))
        out[f"hi_{lv}"] = np.maximum(values[f"hi_{lv}"], f * np.exp(half))
    return out


def log_errors(pairs: pd.DataFrame) -> np.ndarray:
    """|log((actual + eps) / (forecast + eps))| of realized pairs of one series (eps: module doc)."""
    a, f = pairs["actual"].to_numpy(float), np.clip(pairs["forecast"].to_numpy(float), 0, None)
    eps = max(0.01 * float(np.mean(np.abs(a))), 1e-9) if len(a) else 1e-9
    return np.abs(np.log((a + eps) / (f + eps)))


def conformal_quantile(errors: np.ndarray, level: int) -> float:
    """The split-conformal bound of ``errors`` at ``level`` percent (the largest when n is too small)."""
    e = np.sort(np.asarray(errors, dtype=float))
    k = math.ceil((len(e) + 1) * level / 100)
    return float(e[min(k, len(e)) - 1])


def conformal_exact(n: int, level: int) -> bool:
    """True when n errors are enough for a split-conformal bound at ``level`` percent (ceil((n+1)L) <= n)."""
    return math.ceil((n + 1) * level / 100) <= n


def conformal_quantiles(pairs: pd.DataFrame, levels: tuple[int, ...]) -> dict[str, Quantiles]:
    """Per series, per horizon with enough realized errors: q per level (module doc)."""
    out: dict[str, Quantiles] = {}
    usable = pairs[pairs["history_months"] >= MIN_ORIGIN_HISTORY]
    for series, g in usable.groupby("series"):
        per_h: Quantiles = {}
        for h, gh in g.groupby("horizon"):
            if not isinstance(h, (int, np.integer)):
                raise TypeError(f"forecast pair horizons must be integers, got {h!r}")
            recent = gh.sort_values("origin").tail(CONFORMAL_ORIGINS)
            if len(recent) >= CONFORMAL_MIN:
                e = log_errors(recent)
                # an inexact level is stored negated: apply_conformal then keeps the wider interval
                per_h[int(h)] = {
                    lv: conformal_quantile(e, lv) * (1 if conformal_exact(len(e), lv) else -1) for lv in levels
                }
        if per_h:
            out[str(series)] = per_h
    return out


def apply_conformal(values: dict[str, np.ndarray], quantiles: Quantiles, levels: tuple[int, ...]) -> dict:
    """``values`` (forecast, lo_<l>, hi_<l>) with conformal bounds at the calibrated horizons and beyond
    the last calibrated one; earlier uncalibrated horizons keep theirs. Nested by construction."""
    if not quantiles:
        return values
    out, f = {k: v.copy() for k, v in values.items()}, values["forecast"]
    exact = {lv: all(quantiles[h][lv] >= 0 for h in quantiles) for lv in levels}
    running, monotone = dict.fromkeys(levels, 0.0), {}
    for h in sorted(quantiles):  # q never shrinks with the horizon (module doc)
        running = {lv: max(running[lv], abs(quantiles[h][lv])) for lv in levels}
        monotone[h] = running
    quantiles, last = monotone, max(quantiles)
    for i in range(len(f)):
        h = i + 1
        if h in quantiles:
            q = quantiles[h]
        elif h > last:
            q = {lv: quantiles[last][lv] * math.sqrt(h / last) for lv in levels}
        else:
            continue
        for lv in levels:
            lo, hi = f[i] * math.exp(-q[lv]), f[i] * math.exp(q[lv])
            if not exact[lv]:  # too few errors for this level: never narrower than the model's own
                lo, hi = min(lo, values[f"lo_{lv}"][i]), max(hi, values[f"hi_{lv}"][i])
            out[f"lo_{lv}"][i], out[f"hi_{lv}"][i] = lo, hi
    return out
