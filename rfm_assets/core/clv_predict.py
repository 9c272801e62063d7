"""BG/NBD and Gamma-Gamma predictions from fitted parameters (pure numpy/scipy/lifetimes, no dagster).

Time unit: weeks (``TIME_UNIT_DAYS`` = 7 days). lifetimes and scipy are imported where they are used:
importing lifetimes costs ~2 s of code-load time.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")
TIME_UNIT_DAYS = 7
PATTERN = ["frequency", "recency", "T"]
BG_PARAMS = ("r", "alpha", "a", "b")
GG_PARAMS = ("p", "q", "v")


def pattern_codes(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(code per row, position of each code's first row): rows equal on ``keys`` share a code.

    A hash group-by: 14x faster than ``np.unique(axis=0)``'s sort of the rows as raw bytes at 830k rows.
    """
    codes = frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    _, first = np.unique(codes, return_index=True)
    return codes, first


class Rejected(ValueError):
    """A fit that converged to something unusable (non-finite parameters or predictions)."""


def population_mean_spend(gg_params: dict[str, float]) -> float:
    """Gamma-Gamma's population mean spend per purchase, p * v / (q - 1) (needs q > 1)."""
    p, q, v = (gg_params[k] for k in GG_PARAMS)
    if q <= 1:
        raise ValueError(f"q = {q} <= 1: the population mean spend p*v/(q-1) is undefined")
    return p * v / (q - 1)


def monthly_discount_rate(annual_discount_rate: float) -> float:
    """The monthly rate equivalent to ``annual_discount_rate``: (1 + annual)^(1/12) - 1."""
    return (1 + annual_discount_rate) ** (1 / 12) - 1


def horizon_weeks(horizon_months: int) -> float:
    """``horizon_months`` in the models' time unit: 365.25 / 7 * months / 12."""
    return 365.25 / TIME_UNIT_DAYS * horizon_months / 12


def _signed_power_product(f: np.ndarray, exponent: np.ndarray, log_base: np.ndarray) -> np.ndarray:
    """f * base ** exponent computed as sign(f) * exp(log|f| + exponent * log(base)): no overflow
    of f or of the power on their own, only of the product."""
    return np.sign(f) * np.exp(np.log(np.abs(f)) + exponent * log_base)


def expected_repeat_purchases(
    params: dict[str, float],
    t: float,
    frequency: np.ndarray,
    recency: np.ndarray,
    T: np.ndarray,  # noqa: N803
) -> np.ndarray:
    """BG/NBD E[X(t) | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10), as lifetimes computes it, sign-safe.

    The formula needs 2F1(r+x, b+x; c; z) * (1-z)^(r+x), c = a+b+x-1, z = t / (alpha+T+t). lifetimes
    takes log(2F1), which is NaN where 2F1 is negative: for new customers (x = 0) when a + b < 1,
    which short histories produce. Here the product is formed in log space with 2F1's sign kept.
    Where 2F1 overflows (long horizons, large x), Euler's transformation
    2F1(a', b'; c; z) = (1-z)^(c-a'-b') 2F1(c-a', c-b'; c; z) is used with the exponents combined:
    (c-a'-b') + (r+x) = c-b-x = a-1, so the product is 2F1(c-r-x, c-b-x; c; z) * (1-z)^(a-1),
    with no huge factor times a tiny one.
    """
    from scipy.special import hyp2f1

    r, alpha, a, b = (params[k] for k in BG_PARAMS)
    shape = np.broadcast_shapes(*(np.shape(v) for v in (frequency, recency, T)))
    x, tx, age = (np.broadcast_to(np.asarray(v, dtype=float), shape).ravel() for v in (frequency, recency, T))
    c = a + b + x - 1
    z = t / (alpha + age + t)
    log_1mz = np.log((alpha + age) / (alpha + age + t))  # log(1 - z), without 1 - z's rounding
    with np.errstate(all="ignore"):
        direct = hyp2f1(r + x, b + x, c, z)
        term = _signed_power_product(direct, r + x, log_1mz)
        far = ~np.isfinite(direct)
        if far.any():  # only there: the transformed 2F1 costs as much as the direct one
            cf, xf = c[far], x[far]
            term[far] = _signed_power_product(hyp2f1(cf - r - xf, cf - b - xf, cf, z[far]), cf - b - xf, log_1mz[far])
        log_ratio = (r + x) * np.log((alpha + age) / (alpha + tx))
        ratio = np.where(x > 0, a / np.where(x > 0, b + x - 1, 1.0) * np.exp(log_ratio), 0.0)
        return (c / (a - 1) * (1 - term) / (1 + ratio)).reshape(shape)


def bg_fitter(params: dict[str, float]) -> Any:
    """A lifetimes BetaGeoFitter with these parameters whose expectations use the sign-safe formula."""
    from lifetimes import BetaGeoFitter

    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series({k: params[k] for k in BG_PARAMS})
    robust = partial(expected_repeat_purchases, params)  # also what lifetimes' CLV sums (via predict)
    bgf.conditional_expected_number_of_purchases_up_to_time = robust
    bgf.predict = robust
    return bgf


def gg_fitter(params: dict[str, float]) -> Any:
    """A lifetimes GammaGammaFitter with these parameters."""
    from lifetimes import GammaGammaFitter

    ggf = GammaGammaFitter()
    ggf.params_ = pd.Series({k: params[k] for k in GG_PARAMS})
    return ggf


def pattern_predictions(
    bg_params: dict[str, float],
    pat: pd.DataFrame,
    horizon_months: int,
    annual_discount_rate: float,
    discounted: bool = True,
) -> pd.DataFrame:
    """Expected purchases over the horizon, P(alive) [and discounted purchases] per pattern, finite.

    ``discounted`` = lifetimes' customer_lifetime_value(freq='W') with an order value of 1. Raises
    :class:`Rejected` on any non-finite prediction.
    """
    from lifetimes.utils import _customer_lifetime_value

    bgf = bg_fitter(bg_params)
    f, r, t_ = (pat[k].astype(float) for k in PATTERN)
    with np.errstate(all="ignore"):
        out = pd.DataFrame(
            {
                "expected": bgf.conditional_expected_number_of_purchases_up_to_time(
                    horizon_weeks(horizon_months), f.to_numpy(), r.to_numpy(), t_.to_numpy()
                ),
                "p_alive": bgf.conditional_probability_alive(f.to_numpy(), r.to_numpy(), t_.to_numpy()),
            }
        )
        if discounted:
            out["discounted"] = _customer_lifetime_value(
                bgf,
                f,
                r,
                t_,
                pd.Series(1.0, index=f.index),
                horizon_months,
                monthly_discount_rate(annual_discount_rate),
                freq="W",
            ).to_numpy()
    bad = int((~np.isfinite(out.to_numpy())).any(axis=1).sum())
    if bad:
        raise Rejected(f"non-finite predictions for {bad} of {len(pat)} (frequency, recency, T) patterns")
    return out
