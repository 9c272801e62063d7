"""A Gamma-Gamma fit that stops on scipy's "precision loss" next to its optimum is retried at the same
penalizer with a looser gradient tolerance, not with a penalizer that changes the model (rfm_assets.core.clv).

The shop below has spend rates that hardly differ between customers (q large), the B2C benchmark's case:
BFGS ends with a gradient of ~1e-7 and lifetimes raises ConvergenceError; penalizer 0.001 would pull q
from hundreds down to single digits. The optimum is checked with a hand-written Gamma-Gamma likelihood
and Nelder-Mead, independent of lifetimes and of its gradient.
"""

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize
from scipy.special import gammaln

from rfm_assets.core.clv import ClvConfig, fit_clv


def _shop(seed: int = 0, n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.integers(1, 12, n).astype(float)  # repeat purchase days
    nu = rng.gamma(269, 1 / 2695, n)  # each customer's spend rate: nearly the same for everyone
    m = np.array([rng.gamma(2.34, 1 / rate, int(k)).mean() for rate, k in zip(nu, x, strict=True)]).round(2)
    t = np.full(n, 104.0)
    recency = np.minimum(t, rng.uniform(20, 104, n))
    return pd.DataFrame(
        {"customer_id": [f"c{i}" for i in range(n)], "frequency": x, "recency": recency, "T": t, "monetary_value": m}
    )


def _gg_log_likelihood(p: float, q: float, v: float, x: np.ndarray, m: np.ndarray) -> float:
    """Fader, Hardie & Lee (2005), eq. 2 times the density of m given x: summed over customers."""
    px = p * x
    return float(
        np.sum(
            gammaln(px + q)
            - gammaln(px)
            - gammaln(q)
            + q * np.log(v)
            + (px - 1) * np.log(m)
            + px * np.log(x)
            - (px + q) * np.log(x * m + v)
        )
    )


def test_precision_loss_is_retried_at_the_same_penalizer_and_lands_on_the_optimum():
    summary = _shop()
    fit = fit_clv(summary)
    gg_tries = [a for a in fit.attempts if a.startswith("gamma_gamma")]
    # the case under test happens: the strict fit fails, the looser one at penalizer 0 succeeds
    assert gg_tries[0].startswith("gamma_gamma penalizer_coef=0.0: failed (ConvergenceError")
    assert gg_tries[1] == "gamma_gamma penalizer_coef=0.0 tol=1e-06: converged"
    assert fit.status == "fitted" and fit.gg_penalizer == 0.0

    x, m = summary["frequency"].to_numpy(), summary["monetary_value"].to_numpy()
    found = fit.gg_params
    ll_found = _gg_log_likelihood(found["p"], found["q"], found["v"], x, m)
    assert fit.gg_log_likelihood == pytest.approx(ll_found, rel=1e-9)

    def nll(log_params: np.ndarray) -> float:
        p, q, v = (float(z) for z in np.exp(log_params))
        return -_gg_log_likelihood(p, q, v, x, m)

    for start in ([0.0, 1.0, 1.0], np.log([found["p"], found["q"], found["v"]])):
        best = minimize(nll, start, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-8, "maxiter": 20_000})
        assert ll_found >= -best.fun - 1e-3  # nothing Nelder-Mead finds is better

    # what the penalizer would have given instead: a different model, clearly less likely
    penalized = fit_clv(summary, ClvConfig(penalizers=(0.001,), gradient_tolerances=(1e-7,)))
    assert penalized.gg_penalizer == 0.001 and penalized.gg_params["q"] < found["q"] / 5
    assert _gg_log_likelihood(**penalized.gg_params, x=x, m=m) < ll_found - 10


def test_one_tolerance_keeps_the_old_ladder():
    fit = fit_clv(_shop(), ClvConfig(gradient_tolerances=(1e-7,)))
    gg_tries = [a for a in fit.attempts if a.startswith("gamma_gamma")]
    assert [a.split(":")[0] for a in gg_tries] == [
        "gamma_gamma penalizer_coef=0.0",
        "gamma_gamma penalizer_coef=0.001",
    ]
    assert fit.gg_penalizer == 0.001
