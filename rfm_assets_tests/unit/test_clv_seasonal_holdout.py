"""The seasonal adjustment on a simulated seasonal BG/NBD: purchases at rate lambda * S(calendar month),
simulated exactly in operational time. A stationary BG/NBD under-predicts a holdout that holds the
peak; the adjusted prediction must be clearly closer, with an index estimated from the calibration
history alone."""

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from rfm_assets.core.clv_holdout import holdout_metrics
from rfm_assets_tests.frames import row_at
from rfm_assets_tests.unit.clv_sim import END, START, TRUE_BG, to_lines, write_lines

SEASON = (0.7, 0.7, 0.8, 0.8, 0.9, 0.9, 0.9, 1.0, 1.1, 1.3, 1.8, 1.5)  # per calendar month
MONTH, H = date(2020, 12, 1), 6  # holdout Jul-Dec 2020, calibration 2019-01..2020-06


def simulate_seasonal_days(n: int, seed: int) -> pd.DataFrame:
    """(customer, day, value) purchase days of a BG/NBD whose rate is lambda * SEASON[month of the day]."""
    rng = np.random.default_rng(seed)
    n_days = (END - START).days + 1
    calendar_days = pd.date_range(START, END)
    s = np.asarray(SEASON)[calendar_days.month.to_numpy() - 1]
    knots = np.concatenate([[0.0], np.cumsum(s)])  # operational days at the start of each day
    first = rng.integers(0, int(n_days * 0.85), n)
    lam = rng.gamma(TRUE_BG["r"], 1 / TRUE_BG["alpha"], n) / 7  # per operational day
    drop = rng.beta(TRUE_BG["a"], TRUE_BG["b"], n)
    op = knots[first] + 0.5 * s[first]
    cust, day = [np.arange(n)], [first]
    active = np.arange(n)
    while active.size:  # a purchase after each exponential gap (operational time), then death w.p. drop
        op[active] += rng.exponential(1 / lam[active])
        t = np.interp(op[active], knots, np.arange(n_days + 1))
        inside = op[active] < knots[-1]
        active, t = active[inside], t[inside]
        cust.append(active)
        day.append(np.floor(t).astype(int))
        active = active[rng.random(active.size) >= drop[active]]
    days = pd.DataFrame({"customer": np.concatenate(cust), "day": np.concatenate(day)}).drop_duplicates()
    days["value"] = rng.gamma(6.0, 50.0, len(days))
    return days.reset_index(drop=True)


@pytest.fixture(scope="module")
def seasonal_lines():
    return to_lines(simulate_seasonal_days(6000, seed=5))


def test_adjusted_holdout_error_is_clearly_smaller(seasonal_lines):
    con = duckdb.connect()
    write_lines(con, seasonal_lines)
    result = holdout_metrics(con, MONTH, H)
    total = row_at(result.metrics.set_index("frequency_class"), "all")
    error, adjusted = float(total["pct_error"]), float(total["pct_error_seasonal"])
    # Jul-Dec holds the peak: the stationary fit under-predicts it by far more than sampling noise
    assert error < -10
    # seeds 1, 2, 3, 5 gave -18.9/-27.4/-25.5/-22.6% unadjusted and +2.8/-9.0/-8.7/-2.4% adjusted: the
    # thresholds hold for all of them, not only for the seed used here
    assert abs(adjusted) < 10 and abs(adjusted) < abs(error) / 2
    # the estimated shape is the simulated one: November / January = 1.8 / 0.7 = 2.57, within 30%
    # (seeds 1, 2, 3, 5: 2.26, 2.71, 1.88, 2.46; one year of November, shrunk slightly toward 1)
    index = result.index
    assert index.status == "estimated" and index.years_seen == (2,) * 6 + (1,) * 6
    assert index.values[10] / index.values[0] == pytest.approx(1.8 / 0.7, rel=0.3)


def test_the_index_never_sees_the_holdout(seasonal_lines):
    con = duckdb.connect()
    write_lines(con, seasonal_lines)
    full = holdout_metrics(con, MONTH, H)
    calibration_only = duckdb.connect()
    write_lines(calibration_only, seasonal_lines[seasonal_lines["invoice_date"] < pd.Timestamp("2020-07-01")])
    blind = holdout_metrics(calibration_only, MONTH, H)
    assert blind.index == full.index and blind.fit.bg_params == full.fit.bg_params
    pd.testing.assert_series_equal(
        blind.metrics["predicted_purchases_seasonal"], full.metrics["predicted_purchases_seasonal"]
    )
    assert (blind.metrics["actual_purchases"] == 0).all() and (full.metrics["actual_purchases"] > 0).all()
