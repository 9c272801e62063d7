"""CLV on data simulated from known BG/NBD and Gamma-Gamma parameters.

Expected values come from the simulation's truth or from lifetimes' own functions on the same rows,
never from rfm_assets.core.clv. Time unit: weeks (days / 7).
"""

from datetime import date

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import ConvergenceError, summary_data_from_transaction_data

from rfm_assets.core.clv import (
    ClvConfig,
    clv_summary,
    fit_clv,
    params_long,
    population_mean_spend,
    score_customers,
)
from rfm_assets_tests.unit.clv_sim import (
    END,
    START,
    TRUE_BG,
    TRUE_GG,
    rel,
    simulate_days,
    summary_from_days,
)

# one worker under `make test` (--dist loadgroup), so the module-scoped fixture is built once
pytestmark = pytest.mark.xdist_group("test_clv")


@pytest.fixture(scope="module")
def fitted(sim):
    summary = clv_summary(sim[0], END)
    return summary, fit_clv(summary)


@pytest.mark.parametrize("as_of", [END, date(2020, 3, 31)])
def test_summary_matches_lifetimes_on_the_same_rows(sim, as_of):
    con, _, lines = sim
    got = clv_summary(con, as_of).set_index("customer_id").sort_index()
    own = lines.dropna(subset=["customer_id"]).assign(date=lambda d: d["invoice_date"].dt.normalize())
    own = own[own["date"] <= pd.Timestamp(as_of)]
    want = summary_data_from_transaction_data(
        own,
        "customer_id",
        "date",
        monetary_value_col="line_revenue",
        observation_period_end=pd.Timestamp(as_of),
        freq="D",
    ).sort_index()
    assert list(got.index) == list(want.index)
    assert (got["frequency"].to_numpy() == want["frequency"].to_numpy()).all()
    np.testing.assert_allclose(got["recency"], want["recency"] / 7, rtol=1e-12)
    np.testing.assert_allclose(got["T"], want["T"] / 7, rtol=1e-12)
    # Day values are summed as decimal(38, 6) (order-independent, so reruns are bit-identical); these
    # simulated line values carry more than 6 decimals, hence micro-unit (not 1e-9) agreement.
    np.testing.assert_allclose(got["monetary_value"], want["monetary_value"], rtol=0, atol=5e-6)
    span = own.groupby("customer_id")["date"].agg(["min", "max"]).sort_index()
    assert (pd.to_datetime(got["first_purchase_date"]) == span["min"]).all()
    assert (pd.to_datetime(got["last_purchase_date"]) == span["max"]).all()


def test_fit_recovers_the_simulation_truth(fitted):
    _, fit = fitted
    assert fit.status == "fitted" and fit.bg_penalizer == 0.0 and fit.gg_penalizer == 0.0
    bg, gg = fit.bg_params, fit.gg_params
    # stated tolerance: 15% on the mean purchase rate, the mean dropout probability and the mean spend
    assert rel(bg["r"] / bg["alpha"], TRUE_BG["r"] / TRUE_BG["alpha"]) < 0.15
    assert rel(bg["a"] / (bg["a"] + bg["b"]), TRUE_BG["a"] / (TRUE_BG["a"] + TRUE_BG["b"])) < 0.15
    true_mean = TRUE_GG["p"] * TRUE_GG["v"] / (TRUE_GG["q"] - 1)
    assert rel(population_mean_spend(gg), true_mean) < 0.15
    assert abs(fit.frequency_monetary_corr) < 0.05  # independent by construction
    assert np.isfinite([fit.bg_log_likelihood, fit.gg_log_likelihood]).all()


def test_weighted_fit_equals_unweighted_lifetimes_fit():
    summary = summary_from_days(simulate_days(20_000, seed=5)).reset_index()
    fit = fit_clv(summary)
    plain = BetaGeoFitter().fit(summary["frequency"], summary["recency"], summary["T"])
    for k in TRUE_BG:
        assert rel(fit.bg_params[k], plain.params_[k]) < 1e-3, k
    repeat = summary[summary["frequency"] > 0]
    plain_gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"])
    for k in TRUE_GG:
        assert rel(fit.gg_params[k], plain_gg.params_[k]) < 1e-3, k
    assert fit.n_customers == 20_000 and fit.n_repeat_customers == len(repeat)


def degenerate_summary(n=200):
    """Everyone spends exactly 100 and buys every week: lifetimes' optimizers fail without a penalizer."""
    freq = np.random.default_rng(0).integers(1, 5, n)
    return pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "frequency": freq,
            "recency": freq * 1.0,
            "T": 50.0,
            "monetary_value": 100.0,
        }
    )


def test_convergence_failure_falls_back_to_the_next_penalizer():
    summary = degenerate_summary()
    fit = fit_clv(summary)
    assert fit.status == "fitted"
    assert fit.attempts[0].startswith("bg_nbd penalizer_coef=0.0: failed (ConvergenceError")
    assert fit.bg_penalizer == 0.001 and fit.gg_penalizer == 0.001
    assert any(a.startswith("gamma_gamma penalizer_coef=0.0: failed") for a in fit.attempts)
    scores = score_customers(fit, summary, ClvConfig())
    assert np.isfinite(scores.drop(columns="customer_id").to_numpy(dtype=float)).all()
    assert np.isfinite(params_long(fit, date(2020, 12, 1))["value"]).all()


def test_every_penalizer_failing_gives_status_failed(monkeypatch, fitted):
    def never(self, *args, **kwargs):
        raise ConvergenceError("forced")

    monkeypatch.setattr(BetaGeoFitter, "fit", never)
    fit = fit_clv(fitted[0], ClvConfig(penalizers=(0.0, 0.01)))
    assert fit.status == "failed" and "BG/NBD" in fit.message and fit.bg_params == {}
    assert [a.split(":")[0] for a in fit.attempts[:4]] == [  # each penalizer, strict then looser tolerance
        "bg_nbd penalizer_coef=0.0",
        "bg_nbd penalizer_coef=0.0 tol=1e-06",
        "bg_nbd penalizer_coef=0.01",
        "bg_nbd penalizer_coef=0.01 tol=1e-06",
    ]
    with pytest.raises(ValueError, match="not fitted"):
        score_customers(fit, fitted[0], ClvConfig())


def test_insufficient_history_is_a_status_not_an_error(sim):
    summary = clv_summary(sim[0], date(2019, 1, 31))  # one month of data: few repeat customers
    n_repeat = int((summary["frequency"] > 0).sum())
    assert 0 < n_repeat < 50
    fit = fit_clv(summary, ClvConfig(min_history_weeks=0))
    assert fit.status == "insufficient_history" and f"only {n_repeat} of {len(summary)}" in fit.message
    assert fit.bg_params == {} and fit.attempts == []
    with pytest.raises(ValueError, match="insufficient_history"):
        score_customers(fit, summary, ClvConfig())
    with pytest.raises(ValueError):
        params_long(fit, date(2019, 1, 1))


def test_a_history_shorter_than_six_months_is_not_fitted():
    # 200 customers, 133 of them with repeats: enough customers, but every T is under 25 weeks.
    summary = pd.DataFrame(
        {
            "customer_id": [str(i) for i in range(200)],
            "frequency": [i % 3 for i in range(200)],
            "recency": [(i % 3) * 2.0 for i in range(200)],
            "T": [24.9] * 200,
            "monetary_value": [10.0 * (i % 3) for i in range(200)],
        }
    )
    fit = fit_clv(summary)
    assert fit.status == "insufficient_history" and "spans only 24.9 weeks" in fit.message
    assert fit_clv(summary.assign(T=25.0)).status != "insufficient_history"


def test_scores_are_finite_and_agree_with_lifetimes(fitted):
    summary, fit = fitted
    config = ClvConfig()
    scores = score_customers(fit, summary, config)
    assert list(scores["customer_id"]) == list(summary["customer_id"])
    assert np.isfinite(scores.drop(columns="customer_id").to_numpy(dtype=float)).all()
    assert scores["p_alive"].between(0, 1).all()
    p, q, v = (fit.gg_params[k] for k in "pqv")
    no_repeat = scores[scores["frequency"] == 0]
    np.testing.assert_allclose(no_repeat["expected_avg_order_value"], p * v / (q - 1), rtol=1e-12)
    bgf, ggf = BetaGeoFitter(), GammaGammaFitter()
    bgf.params_, ggf.params_ = pd.Series(fit.bg_params), pd.Series(fit.gg_params)
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time
    assert ggf.conditional_expected_average_profit(np.array([0.0]), np.array([0.0]))[0] == p * v / (q - 1)
    s = summary.sample(300, random_state=0)
    rate = 1.10 ** (1 / 12) - 1
    clv = ggf.customer_lifetime_value(
        bgf, s["frequency"], s["recency"], s["T"], s["monetary_value"], time=12, discount_rate=rate, freq="W"
    )
    np.testing.assert_allclose(scores["clv_12m"].loc[s.index], clv, rtol=1e-9)
    expected = bgf.conditional_expected_number_of_purchases_up_to_time(365.25 / 7, s["frequency"], s["recency"], s["T"])
    np.testing.assert_allclose(scores["expected_purchases_12m"].loc[s.index], expected, rtol=1e-12)


def test_params_long_rows_are_complete_and_finite(fitted):
    _, fit = fitted
    out = params_long(fit, date(2020, 12, 1))
    rows = {(m, k): v for m, k, v in zip(out["model"], out["param"], out["value"], strict=True)}
    common = {"time_unit_days", "log_likelihood", "n_customers", "penalizer_coef"}
    assert {k for m, k in rows if m == "bg_nbd"} == {"r", "alpha", "a", "b"} | common
    assert {k for m, k in rows if m == "gamma_gamma"} == {
        "p",
        "q",
        "v",
        "frequency_monetary_corr",
        "population_mean_spend",
    } | common
    assert rows[("bg_nbd", "time_unit_days")] == 7 and rows[("bg_nbd", "n_customers")] == fit.n_customers
    assert rows[("gamma_gamma", "n_customers")] == fit.n_repeat_customers
    assert np.isfinite(out["value"]).all() and (out["snapshot_month"] == date(2020, 12, 1)).all()


@pytest.mark.slow
def test_a_million_customers_fit_in_seconds():
    days = simulate_days(1_000_000, seed=3)
    first = days.groupby("customer")["day"].transform("min")
    per = days.groupby("customer").agg(first=("day", "min"), last=("day", "max"), n=("day", "size"))
    spend = days[days["day"] > first].groupby("customer")["value"].mean()
    n_days = (END - START).days + 1
    summary = pd.DataFrame(
        {
            "customer_id": per.index.astype(str),
            "frequency": per["n"] - 1,
            "recency": (per["last"] - per["first"]) / 7,
            "T": (n_days - 1 - per["first"]) / 7,
            "monetary_value": spend.reindex(per.index).fillna(0.0),
        }
    ).reset_index(drop=True)
    fit = fit_clv(summary)
    assert fit.status == "fitted" and fit.n_customers == 1_000_000
    assert fit.fit_seconds < 60  # measured about 6 s
    bg = fit.bg_params
    assert rel(bg["r"] / bg["alpha"], TRUE_BG["r"] / TRUE_BG["alpha"]) < 0.10
    assert rel(bg["a"] / (bg["a"] + bg["b"]), TRUE_BG["a"] / (TRUE_BG["a"] + TRUE_BG["b"])) < 0.10
    assert rel(population_mean_spend(fit.gg_params), 300.0) < 0.05
