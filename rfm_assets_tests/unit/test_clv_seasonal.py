"""The CLV seasonal index (rfm_assets/core/clv_seasonal.py) and its clock (clv_seasonal_predict.py).

Expected values are worked out by hand in the comments, or come from lifetimes' own formulas.
"""

import math
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter
from lifetimes.utils import _customer_lifetime_value

from rfm_assets.core.clv_predict import monthly_discount_rate
from rfm_assets.core.clv_seasonal import (
    SeasonalIndex,
    estimate_index,
    expected_by_month,
    index_params,
    observed_by_month,
)
from rfm_assets.core.clv_seasonal_predict import (
    holdout_boundaries,
    operational_history,
    predict_seasonal,
    seasonal_scores,
    windowed_expected,
)
from rfm_assets.core.months import add_months
from rfm_assets_tests.unit.clv_sim import write_lines

PARAMS = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}
BIG = 1e8  # counts so large that the Poisson variance 1/(O + 0.5) is negligible


def _monthly(log_ratios: list[float], first: date = date(2010, 1, 1)) -> pd.DataFrame:
    """Months from ``first`` whose (observed + 0.5) / (expected + 0.5) is exp(log_ratio), expected = BIG."""
    return pd.DataFrame(
        {
            "month": [add_months(first, i) for i in range(len(log_ratios))],
            "observed": [BIG * math.exp(y) - 0.5 for y in log_ratios],
            "expected": [BIG - 0.5] * len(log_ratios),
        }
    )


def test_under_twelve_months_there_is_no_adjustment():
    index = estimate_index(_monthly([0.5] * 11))
    assert index.status == "flat" and index.values == (1.0,) * 12 and "11 months" in index.message


def test_one_year_is_trusted_half():
    # 12 months, y = +log 1.5 (Jan-Jun) and -log 1.5 (Jul-Dec). No calendar month seen twice, so the
    # year-to-year variance is taken equal to the signal variance tau2: w = tau2 / (tau2 + tau2) = 1/2
    # and the index is 1.5 ** (+-1/2).
    y = math.log(1.5)
    index = estimate_index(_monthly([y] * 6 + [-y] * 6))
    assert index.status == "estimated" and index.year_var is None
    np.testing.assert_allclose(index.values, [1.5**0.5] * 6 + [1.5**-0.5] * 6, rtol=1e-6)
    assert index.signal_var == pytest.approx(y * y / 2, rel=1e-6)  # mean(y^2) = 2 tau2


def test_two_identical_years_are_trusted_fully():
    # the same y in both years: no year-to-year variance (estimated from 12 df), w = 1
    y = math.log(1.5)
    index = estimate_index(_monthly(([y] * 6 + [-y] * 6) * 2))
    assert index.year_var == pytest.approx(0, abs=1e-7) and index.years_seen == (2,) * 12
    np.testing.assert_allclose(index.values, [1.5] * 6 + [1 / 1.5] * 6, rtol=1e-6)


def test_year_to_year_noise_shrinks_the_index():
    # y = a_c + d in the first year and a_c - d in the second, a_c = +-0.4, d = 0.2: within each calendar
    # month the sample variance is 2 d^2 = 0.08 = sigma2; the mean of the two years has variance
    # sigma2 / 2 = 0.04; tau2 = mean(a_c^2) - 0.04 = 0.12; w = 0.12 / (0.12 + 0.04) = 0.75; index exp(+-0.3)
    a = [0.4] * 6 + [-0.4] * 6
    index = estimate_index(_monthly([x + 0.2 for x in a] + [x - 0.2 for x in a]))
    assert index.year_var == pytest.approx(0.08, rel=1e-5) and index.signal_var == pytest.approx(0.12, rel=1e-5)
    np.testing.assert_allclose(index.weights, [0.75] * 12, rtol=1e-5)
    np.testing.assert_allclose(index.values, [math.exp(0.3)] * 6 + [math.exp(-0.3)] * 6, rtol=1e-5)


def test_pure_noise_gives_no_adjustment():
    # observed = expected up to Poisson noise of a few purchases: the months differ by less than their
    # sampling variance, so tau2 = 0 and every index is 1
    monthly = pd.DataFrame(
        {"month": [add_months(date(2010, 1, 1), i) for i in range(12)], "observed": [3, 5] * 6, "expected": [4.0] * 12}
    )
    index = estimate_index(monthly)
    assert index.signal_var == 0 and index.values == (1.0,) * 12


def test_index_params_are_the_stored_rows():
    index = estimate_index(_monthly([0.1] * 6 + [-0.1] * 6))
    rows = index_params(index)
    assert [rows[f"index_{m:02d}"] for m in range(1, 13)] == list(index.values)
    assert rows["history_months"] == 12 and "year_var" not in rows  # not estimated from one year
    # level: days-weighted calendar mean; Jan-Jun have 181 days, Jul-Dec 184
    assert rows["level"] == pytest.approx((181 * index.values[0] + 184 * index.values[11]) / 365)


def test_expected_by_month_is_lifetimes_unconditional_expectation():
    # two customers first buying on 2010-01-01 and one on 2010-02-15; January ends 30 days after Jan 1,
    # February 28 + 30 days after it and 13 days after Feb 15
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series(PARAMS)
    e = bgf.expected_number_of_purchases_up_to_time
    firsts = pd.Series(pd.to_datetime(["2010-01-01", "2010-01-01", "2010-02-15"]))
    got = expected_by_month(PARAMS, firsts, [date(2010, 1, 1), date(2010, 2, 1)])
    want_jan = 2 * e(30 / 7)
    want_feb = 2 * (e(58 / 7) - e(30 / 7)) + e(13 / 7)
    np.testing.assert_allclose(got, [want_jan, want_feb], rtol=1e-10)


def _index(**by_month: float) -> SeasonalIndex:
    names = [m.lower() for m in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")]
    return SeasonalIndex(values=tuple(by_month.get(n, 1.0) for n in names), status="estimated")


def test_the_clock_counts_each_day_at_its_months_index():
    summary = pd.DataFrame(
        {
            "frequency": [1, 0],
            "first_purchase_date": pd.to_datetime(["2010-12-31", "2010-12-01"]),
            "last_purchase_date": pd.to_datetime(["2011-01-10", "2010-12-01"]),
        }
    )
    hist = operational_history(_index(jan=2.0), summary, date(2011, 1, 31))
    # customer 1: Jan 1..10 at 2 -> 20/7; Jan 1..31 at 2 -> 62/7
    # customer 2: no repeat; Dec 2..31 at 1 and Jan at 2 -> (30 + 62) / 7
    np.testing.assert_allclose(hist["recency"], [20 / 7, 0.0])
    np.testing.assert_allclose(hist["T"], [62 / 7, 92 / 7])
    # holdout after 2010-12-31: January (31 days at 2), then February (28 days at 1)
    np.testing.assert_allclose(holdout_boundaries(_index(jan=2.0), date(2010, 12, 31), 2), [0, 62 / 7, 90 / 7])


def test_a_flat_index_reproduces_the_stationary_predictions(sim):
    from rfm_assets.core.clv import ClvConfig, clv_summary, fit_clv, score_customers

    con = sim[0]
    as_of = date(2020, 12, 31)
    summary = clv_summary(con, as_of)
    fit = fit_clv(summary)
    flat = SeasonalIndex()
    hist = operational_history(flat, summary, as_of)
    np.testing.assert_allclose(hist["recency"], summary["recency"], atol=1e-9)
    np.testing.assert_allclose(hist["T"], summary["T"], atol=1e-9)
    scores = score_customers(fit, summary, ClvConfig())
    seasonal = seasonal_scores(
        fit.bg_params,
        summary,
        flat,
        as_of,
        12,
        monthly_discount_rate(0.1),
        scores["expected_avg_order_value"].to_numpy(),
    )
    np.testing.assert_allclose(seasonal["expected_purchases_12m_seasonal"], scores["expected_purchases_12m"], rtol=1e-9)
    np.testing.assert_allclose(seasonal["clv_12m_seasonal"], scores["clv_12m"], rtol=1e-9)


def test_windowed_expectation_is_lifetimes_discounted_sum():
    bgf = BetaGeoFitter()
    bgf.params_ = pd.Series(PARAMS)
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # what fit() sets
    f, r, t = pd.Series([0.0, 3.0, 10.0]), pd.Series([0.0, 20.0, 50.0]), pd.Series([30.0, 40.0, 60.0])
    rate = monthly_discount_rate(0.1)
    want = _customer_lifetime_value(bgf, f, r, t, pd.Series(1.0, index=f.index), 12, rate, freq="W")
    got = windowed_expected(PARAMS, f.to_numpy(), r.to_numpy(), t.to_numpy(), [4.345 * i for i in range(13)], rate)
    np.testing.assert_allclose(got, want.to_numpy(), rtol=1e-9)
    history = pd.DataFrame({"frequency": f, "recency": r, "T": t})
    # one window of 26 weeks, rows repeated: lifetimes' conditional expectation, row by row
    once = bgf.conditional_expected_number_of_purchases_up_to_time(26.0, f, r, t).to_numpy()
    np.testing.assert_allclose(predict_seasonal(PARAMS, pd.concat([history, history]), [0, 26.0]), [*once, *once])
    with pytest.raises(ValueError, match="start at 0"):
        windowed_expected(PARAMS, f.to_numpy(), r.to_numpy(), t.to_numpy(), [1.0, 2.0])
    with pytest.raises(ValueError, match="decrease"):
        windowed_expected(PARAMS, f.to_numpy(), r.to_numpy(), t.to_numpy(), [0.0, 2.0, 1.0])


def test_observed_repeat_days_by_month_by_hand():
    # A buys on Jan 5 (two lines), Jan 20 and Feb 3; B first on Feb 10; a guest on Jan 7.
    # Jan: A's first day and one repeat day; Feb: A's repeat day, B's first day (after Feb 5: not seen)
    lines = pd.DataFrame(
        {
            "order_id": ["o1", "o2", "o3", "o4", "o5", "o6"],
            "line_revenue": [1.0] * 6,
            "invoice_date": pd.to_datetime(
                [
                    "2010-01-05 10:00",
                    "2010-01-05 11:00",
                    "2010-01-20 10:00",
                    "2010-02-03 10:00",
                    "2010-02-10 10:00",
                    "2010-01-07 10:00",
                ]
            ),
            "customer_id": ["A", "A", "A", "A", "B", None],
        }
    )
    con = duckdb.connect()
    write_lines(con, lines)
    got = observed_by_month(con, date(2010, 2, 28))
    assert got.to_dict("list") == {
        "month": [pd.Timestamp("2010-01-01"), pd.Timestamp("2010-02-01")],
        "repeat_purchase_days": [1, 1],
        "first_purchase_days": [1, 1],
    }
    early = observed_by_month(con, date(2010, 2, 5))
    assert list(early["repeat_purchase_days"]) == [1, 1] and list(early["first_purchase_days"]) == [1, 0]
