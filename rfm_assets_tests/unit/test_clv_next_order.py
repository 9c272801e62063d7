"""Next-order formulas (core/clv_next_order) against independent computations.

- 2-D numerical integration of the BG/NBD likelihood over the prior of (lambda, p): P(an order within
  t | data) and the median waiting time given alive, computed without the Gamma-posterior shortcut;
- Monte-Carlo simulation of the BG/NBD process itself (purchases, dropout after each purchase) for the
  customers with no repeat purchase by T.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, stats

from rfm_assets.core.clv_next_order import (
    median_weeks_given_alive,
    next_order_columns,
    p_order_within,
    survival_given_alive,
)
from rfm_assets.core.clv_predict import bg_fitter

PARAMS = {"r": 0.8, "alpha": 6.0, "a": 0.9, "b": 3.0}
CASES = [(0, 0.0, 20.0), (1, 4.0, 30.0), (3, 25.0, 30.0), (5, 10.0, 52.0)]  # (x, t_x, T) in weeks


def _posterior_integrals(x: int, tx: float, T: float, t: float) -> tuple[float, float, float]:  # noqa: N803
    """(total evidence, alive-at-T evidence, alive and an order within t evidence) by quadrature over
    lambda ~ Gamma(r, alpha) and p ~ Beta(a, b), from the raw BG/NBD likelihood
    (1-p)^x lambda^x e^(-lambda T) [alive] + p (1-p)^(x-1) lambda^x e^(-lambda t_x) [dropped at t_x];
    each term is a product of a lambda integral and a p integral."""
    r, alpha, a, b = (PARAMS[k] for k in ("r", "alpha", "a", "b"))

    def prior_l(lam: float) -> float:  # Gamma(r, alpha) density
        return float(stats.gamma.pdf(lam, r, scale=1 / alpha))

    def prior_p(p: float) -> float:  # Beta(a, b) density
        return float(stats.beta.pdf(p, a, b))

    def over_lambda(f) -> float:  # noqa: ANN001
        return integrate.quad(lambda lam: f(lam) * prior_l(lam), 0, np.inf, limit=200, epsabs=0, epsrel=1e-10)[0]

    def over_p(f) -> float:  # noqa: ANN001
        return integrate.quad(lambda p: f(p) * prior_p(p), 0, 1, limit=200, epsabs=0, epsrel=1e-10)[0]

    stay = over_p(lambda p: (1 - p) ** x)
    alive = stay * over_lambda(lambda lam: lam**x * np.exp(-lam * T))
    order = stay * over_lambda(lambda lam: lam**x * np.exp(-lam * T) * -np.expm1(-lam * t))
    dead = over_p(lambda p: p * (1 - p) ** (x - 1)) * over_lambda(lambda lam: lam**x * np.exp(-lam * tx)) if x else 0
    return alive + dead, alive, order


@pytest.mark.parametrize("x,tx,T", CASES)
def test_p_order_and_p_alive_match_integration(x: int, tx: float, T: float) -> None:  # noqa: N803
    p_alive_lifetimes = float(np.ravel(bg_fitter(PARAMS).conditional_probability_alive(x, tx, T))[0])
    for days in (30, 90):
        total, alive, order = _posterior_integrals(x, tx, T, days / 7)
        assert p_alive_lifetimes == pytest.approx(alive / total, rel=1e-6)
        got = p_order_within(PARAMS, days, np.array([x]), np.array([T]), np.array([p_alive_lifetimes]))[0]
        assert got == pytest.approx(order / total, rel=1e-6)


def _alive_order_share(x: int, T: float, t: float) -> float:  # noqa: N803
    """P(an order within t | alive at T, data) by 1-D quadrature over lambda ~ Gamma(r, alpha): given alive,
    p's factor (1 - p)^x does not depend on lambda and cancels, so only lambda's likelihood is integrated."""

    def weight(lam: float) -> float:
        return lam**x * np.exp(-lam * T) * stats.gamma.pdf(lam, PARAMS["r"], scale=1 / PARAMS["alpha"])

    alive, _ = integrate.quad(weight, 0, np.inf, limit=200)
    order, _ = integrate.quad(lambda lam: weight(lam) * -np.expm1(-lam * t), 0, np.inf, limit=200)
    return order / alive


@pytest.mark.slow
@pytest.mark.parametrize("x,tx,T", CASES)
def test_median_given_alive_matches_integration(x: int, tx: float, T: float) -> None:  # noqa: N803
    median = optimize.brentq(lambda t: _alive_order_share(x, T, t) - 0.5, 1e-3, 1e4, xtol=1e-8)
    assert isinstance(median, float)  # the root alone (no full_output)
    assert median_weeks_given_alive(PARAMS, np.array([x]), np.array([T]))[0] == pytest.approx(median, rel=1e-4)
    assert survival_given_alive(PARAMS, median, np.array([x]), np.array([T]))[0] == pytest.approx(0.5, rel=1e-4)


def test_monte_carlo_of_the_process_for_customers_without_repeats() -> None:
    """Simulate the BG/NBD process from a first purchase at 0; keep those without a purchase in (0, T];
    their waiting time from T to the next purchase (inf once dropped out) gives P(order within 30/90 days)
    and the median given alive. With x = 0 the customer is alive at T for sure (dropout follows purchases)."""
    rng = np.random.default_rng(7)
    n, T = 400_000, 20.0  # noqa: N806
    lam = rng.gamma(PARAMS["r"], 1 / PARAMS["alpha"], n)
    first_gap = rng.exponential(1 / lam)  # no dropout before the first repeat purchase
    kept = first_gap > T
    wait = first_gap[kept] - T  # memoryless: the same law as a fresh exponential from T
    for days in (30, 90):
        expected = p_order_within(PARAMS, days, np.array([0]), np.array([T]), np.array([1.0]))[0]
        assert np.mean(wait <= days / 7) == pytest.approx(expected, abs=0.005)
    assert np.median(wait) == pytest.approx(median_weeks_given_alive(PARAMS, np.array([0]), np.array([T]))[0], rel=0.03)


def test_columns_dates_and_bounds() -> None:
    scores = pd.DataFrame({"frequency": [0, 3, 2], "T": [20.0, 30.0, 40.0], "p_alive": [1.0, 0.4, 0.0]})
    out = next_order_columns(PARAMS, scores, date(2011, 1, 31))
    # by hand: x=0, T=20: (6 + 20) * (2 ** (1 / 0.8) - 1) = 35.83 weeks = 250.8 days -> 251 days
    assert out["expected_next_order_date"].iloc[0] == pd.Timestamp(2011, 1, 31) + pd.Timedelta(days=251)
    assert (out["expected_next_order_date"] > pd.Timestamp(2011, 1, 31)).all()
    assert (out["p_order_30d"] <= out["p_order_90d"]).all() and (out["p_order_90d"] <= scores["p_alive"]).all()
    assert out["p_order_90d"].iloc[2] == 0.0  # a customer surely gone never orders


def test_an_almost_zero_rate_gives_no_date() -> None:
    params = {**PARAMS, "r": 0.01}
    out = next_order_columns(params, pd.DataFrame({"frequency": [0], "T": [50.0], "p_alive": [1.0]}), date(2011, 1, 31))
    assert out["expected_next_order_date"].isna().all()


def test_missing_parameters_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match="missing"):
        median_weeks_given_alive({"r": 1.0}, np.array([0]), np.array([1.0]))
