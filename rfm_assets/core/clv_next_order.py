"""Each customer's next order from the fitted BG/NBD: its median date and P(an order within t days).

Pure numpy/pandas, no dagster. Derivation (docs/methods.md, "Expected next order"):

BG/NBD: while alive a customer buys as a Poisson process of rate lambda ~ Gamma(r, alpha); after each
purchase they drop out with probability p ~ Beta(a, b). Dropout happens only right after a purchase,
so a customer alive at T (the as-of day) makes at least one more purchase. Given the data (x, t_x, T)
and alive at T, the likelihood in lambda is lambda^x exp(-lambda T), so lambda | alive ~ Gamma(r + x,
alpha + T) (rate), and the waiting time tau from T to the next purchase has the survival function

    S(t) = P(tau > t | alive) = E[exp(-lambda t)] = ((alpha + T) / (alpha + T + t)) ** (r + x),

a Lomax (Pareto II) law with median (alpha + T) * (2 ** (1 / (r + x)) - 1). A customer no longer alive
never orders again, so P(at least one order within t) = p_alive * (1 - S(t)).

``expected_next_order_date`` is the as-of day plus the median given alive, rounded up to a whole day
(an order at continuous time tau falls on day ceil(tau)); it is read together with ``p_alive``. When the
median is beyond ``MAX_MEDIAN_DAYS`` (a customer with an almost-zero rate) the date is null.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rfm_assets.core.clv_predict import BG_PARAMS, TIME_UNIT_DAYS
from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")

MAX_MEDIAN_DAYS = 36525.0  # 100 years: beyond that a "date" says nothing; stored as null
HORIZONS_DAYS = (30, 90)


def _shape_rate(params: dict[str, float], frequency: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # noqa: N803
    missing = [k for k in BG_PARAMS if k not in params]
    if missing:
        raise ValueError(f"BG/NBD parameters missing: {missing}")
    x, age = np.asarray(frequency, dtype=float), np.asarray(T, dtype=float)
    if (x < 0).any() or (age < 0).any():
        raise ValueError("frequency and T must be >= 0")
    return params["r"] + x, params["alpha"] + age


def survival_given_alive(
    params: dict[str, float],
    t_weeks: float | np.ndarray,
    frequency: np.ndarray,
    T: np.ndarray,  # noqa: N803
) -> np.ndarray:
    """P(no purchase in the next ``t_weeks`` | alive at T, data) = ((alpha+T) / (alpha+T+t)) ** (r+x)."""
    shape, rate = _shape_rate(params, frequency, T)
    t = np.asarray(t_weeks, dtype=float)
    return np.exp(-shape * np.log1p(t / rate))


def median_weeks_given_alive(params: dict[str, float], frequency: np.ndarray, T: np.ndarray) -> np.ndarray:  # noqa: N803
    """Median waiting time (weeks) from T to the next purchase of a customer alive at T."""
    shape, rate = _shape_rate(params, frequency, T)
    return rate * np.expm1(np.log(2.0) / shape)


def p_order_within(
    params: dict[str, float],
    days: float,
    frequency: np.ndarray,
    T: np.ndarray,  # noqa: N803
    p_alive: np.ndarray,
) -> np.ndarray:
    """P(at least one order in the next ``days`` days) = p_alive * (1 - S(days / 7))."""
    alive = np.asarray(p_alive, dtype=float)
    return alive * -np.expm1(np.log(survival_given_alive(params, days / TIME_UNIT_DAYS, frequency, T)))


def next_order_columns(params: dict[str, float], scores: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """``expected_next_order_date``, ``p_order_30d``, ``p_order_90d`` for each row of ``scores``
    (columns frequency, T, p_alive), as of the day ``as_of``."""
    freq, age = scores["frequency"].to_numpy(dtype=float), scores["T"].to_numpy(dtype=float)
    days = np.ceil(median_weeks_given_alive(params, freq, age) * TIME_UNIT_DAYS)
    days = np.where(np.isfinite(days) & (days <= MAX_MEDIAN_DAYS), np.maximum(days, 1.0), np.nan)
    dates = pd.Timestamp(as_of) + pd.to_timedelta(days, unit="D")
    out = pd.DataFrame({"expected_next_order_date": dates.astype("datetime64[s]")}, index=scores.index)
    for horizon in HORIZONS_DAYS:
        out[f"p_order_{horizon}d"] = p_order_within(params, horizon, freq, age, scores["p_alive"].to_numpy())
    return out
