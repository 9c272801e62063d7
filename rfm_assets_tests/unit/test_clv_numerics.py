"""BG/NBD expected purchases against lifetimes' own BetaGeoFitter, computed at test time.

lifetimes' conditional_expected_number_of_purchases_up_to_time (params_ set by hand) is the
independent reference wherever it is finite; ours must also be finite where it is not.
"""

import itertools

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter

from rfm_assets.core.clv import expected_repeat_purchases


def lifetimes_expected(params, t, x, tx, age):
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series(params)
    with np.errstate(all="ignore"):
        return np.asarray(bgf.conditional_expected_number_of_purchases_up_to_time(t, x, tx, age), dtype=float)


@pytest.mark.parametrize("params", [(0.9765, 8.8252, 0.0199, 0.105), (0.25, 4.0, 0.8, 2.5), (0.9, 7.9, 0.29, 1.34)])
def test_expected_purchases_agree_with_lifetimes_and_stay_finite(params):
    """Where lifetimes is finite the two agree; where it is NaN (a + b < 1, new customers; the first
    params were fitted on 17 weeks of the embedded data) ours is finite and, for x = 0 and T = 0,
    equals the population's unconditional E[X(t)] (eq. 9, a different formula)."""
    named: dict[str, float] = dict(zip(("r", "alpha", "a", "b"), params, strict=True))
    rng = np.random.default_rng(0)
    age = rng.uniform(0, 30, 3000)
    x = rng.integers(0, 10, 3000)
    tx = np.where(x > 0, age * rng.uniform(0, 1, 3000), 0.0)
    x[0], tx[0], age[0] = 0, 0.0, 0.0
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series(named)
    with np.errstate(all="ignore"):
        theirs = bgf.conditional_expected_number_of_purchases_up_to_time(52.0, x, tx, age)
    ours = expected_repeat_purchases(named, 52.0, x, tx, age)
    finite = np.isfinite(theirs)
    assert np.isfinite(ours).all() and (ours >= 0).all()
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-10)
    assert ours[0] == pytest.approx(bgf.expected_number_of_purchases_up_to_time(52.0), rel=1e-10)


def test_long_horizon_heavy_buyer_is_finite_and_matches_lifetimes():
    """The review's case: 2F1(r+x, b+x; c; z) overflows and (1-z)^(r+x) underflows; lifetimes goes
    through Euler's transformation in log space and gets about 1167.09."""
    params = {"r": 0.75, "alpha": 0.5, "a": 0.8, "b": 4.0}
    theirs = lifetimes_expected(params, 520.0, np.array([400.0]), np.array([58.0]), np.array([58.0]))
    ours = expected_repeat_purchases(params, 520.0, np.array([400]), np.array([58.0]), np.array([58.0]))
    assert np.isfinite(theirs).all() and theirs[0] == pytest.approx(1167.09, abs=0.01)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


GRID = {"r": (0.25, 0.75, 2.0), "alpha": (0.5, 4.0, 30.0), "a": (0.3, 0.8, 2.5), "b": (0.5, 4.0, 12.0)}


@pytest.mark.parametrize("t", [4.0, 52.0, 520.0, 2000.0])
def test_a_grid_of_parameters_and_customers_agrees_with_lifetimes(t):
    x = np.array([0, 1, 2, 5, 20, 50, 150, 400, 800], dtype=float)
    age = np.array([1.0, 10.0, 58.0, 104.0, 260.0])
    xs, ages, share = (a.ravel() for a in np.meshgrid(x, age, [0.0, 0.3, 1.0], indexing="ij"))
    tx = np.where(xs > 0, ages * share, 0.0)
    compared = 0
    for values in itertools.product(*GRID.values()):
        params = dict(zip(GRID, values, strict=True))
        theirs = lifetimes_expected(params, t, xs, tx, ages)
        ours = expected_repeat_purchases(params, t, xs, tx, ages)
        finite = np.isfinite(theirs)
        assert np.isfinite(ours).all() and (ours >= -1e-9).all(), (params, xs[~np.isfinite(ours)])
        np.testing.assert_allclose(ours[finite], theirs[finite], rtol=1e-8, atol=1e-9, err_msg=str(params))
        compared += int(finite.sum())
    assert compared > 0.9 * len(xs) * 3**4  # lifetimes is finite on most of the grid
