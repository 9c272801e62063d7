"""The notebook baseline survives a fit that does not converge (issue 19: "the benchmark must run anywhere").

The failures are real lifetimes ``ConvergenceError``s, produced by capping scipy's iterations for
the first attempt (``maxiter`` 1), not mocks. Expected parameters come from a direct lifetimes call
at the penalizer the retry should land on; the expected-spend formula is checked by hand.
"""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.datasets import load_cdnow_summary, load_cdnow_summary_data_with_monetary_value

from benchmarks import baseline, compare_fits
from benchmarks.fits import FitFailed, fit_retrying
from rfm_assets.core.generator import GeneratorConfig, generate

# one worker under `make test` (--dist loadgroup), so the module-scoped fixture is built once
pytestmark = pytest.mark.xdist_group("test_fits")

FIRST_FAILS = {0.0: {"maxiter": 1}}


@pytest.fixture(scope="module")
def cdnow_repeat() -> pd.DataFrame:
    data = load_cdnow_summary_data_with_monetary_value()
    return data[data["frequency"] > 0]


def test_a_converging_fit_is_unpenalized_and_equals_lifetimes(cdnow_repeat):
    fitted = fit_retrying(GammaGammaFitter, [cdnow_repeat["frequency"], cdnow_repeat["monetary_value"]])
    direct = GammaGammaFitter(penalizer_coef=0.0).fit(cdnow_repeat["frequency"], cdnow_repeat["monetary_value"])
    assert fitted.penalizer == 0.0
    assert fitted.attempts == ["GammaGammaFitter penalizer_coef=0: converged"]
    assert fitted.params("pqv") == pytest.approx({k: float(direct.params_[k]) for k in "pqv"}, rel=1e-12)


def test_a_gamma_gamma_convergence_error_retries_with_penalizer_1e4(cdnow_repeat):
    columns = [cdnow_repeat["frequency"], cdnow_repeat["monetary_value"]]
    fitted = fit_retrying(GammaGammaFitter, columns, options=FIRST_FAILS)
    direct = GammaGammaFitter(penalizer_coef=1e-4).fit(*columns)
    assert fitted.penalizer == 1e-4
    assert fitted.attempts[0].startswith("GammaGammaFitter penalizer_coef=0: ConvergenceError")
    assert "Maximum number of iterations" in fitted.attempts[0]
    assert fitted.attempts[1] == "GammaGammaFitter penalizer_coef=0.0001: converged"
    assert fitted.params("pqv") == pytest.approx({k: float(direct.params_[k]) for k in "pqv"}, rel=1e-9)


def test_a_bg_nbd_convergence_error_retries_too():
    data = load_cdnow_summary()
    columns = [data["frequency"], data["recency"], data["T"]]
    fitted = fit_retrying(BetaGeoFitter, columns, options={0.0: {"maxiter": 1}, 1e-4: {"maxiter": 1}})
    direct = BetaGeoFitter(penalizer_coef=1e-3).fit(*columns)
    assert fitted.penalizer == 1e-3
    assert len(fitted.attempts) == 3
    names = ("r", "alpha", "a", "b")
    assert fitted.params(names) == pytest.approx({k: float(direct.params_[k]) for k in names}, rel=1e-9)


def test_every_penalizer_failing_names_each_attempt(cdnow_repeat):
    columns = [cdnow_repeat["frequency"], cdnow_repeat["monetary_value"]]
    with pytest.raises(FitFailed, match=r"(?s)penalizer_coef=0: ConvergenceError.*penalizer_coef=0.001: Conv"):
        fit_retrying(GammaGammaFitter, columns, options={p: {"maxiter": 1} for p in (0.0, 1e-4, 1e-3)})


def test_expected_spend_by_hand():
    # p=2, q=3, v=10: one repeat order of 20 -> 2 * (10 + 20) / (2 + 2) = 15; three of 5 -> 2 * 25 / 8 = 6.25
    spend = compare_fits.expected_spend({"p": 2.0, "q": 3.0, "v": 10.0}, np.array([1.0, 3.0]), np.array([20.0, 5.0]))
    assert spend == pytest.approx([15.0, 6.25])


def test_expected_spend_matches_lifetimes(cdnow_repeat):
    model = GammaGammaFitter().fit(cdnow_repeat["frequency"], cdnow_repeat["monetary_value"])
    x, m = cdnow_repeat["frequency"].to_numpy(float), cdnow_repeat["monetary_value"].to_numpy(float)
    ours = compare_fits.expected_spend({k: float(model.params_[k]) for k in "pqv"}, x, m)
    assert ours == pytest.approx(np.asarray(model.conditional_expected_average_profit(x, m)), rel=1e-10)


def test_penalized_gamma_gamma_is_compared_by_predicted_spend_not_parameters(cdnow_repeat):
    """Penalizer 1e-4 on raw money moves the parameters far but the predicted spend by well under 1%."""
    columns = [cdnow_repeat["frequency"], cdnow_repeat["monetary_value"]]
    plain = fit_retrying(GammaGammaFitter, columns).params("pqv")
    penalized = fit_retrying(GammaGammaFitter, columns, options=FIRST_FAILS).params("pqv")
    summary = cdnow_repeat.assign(recency=0.0, T=1.0)
    project = {"gg_params": plain, "gg_penalizer": 0.0}
    row = compare_fits.gg_notebook(project, {"gamma_gamma": penalized, "gg_penalizer": 1e-4}, summary)
    assert "penalizer_coef 0 vs 0.0001" in row["check"] and "expected spend" in row["check"]
    assert row["passed"], row
    same = compare_fits.gg_notebook(project, {"gamma_gamma": plain, "gg_penalizer": 0.0}, summary)
    assert same["passed"] and same["observed"] == "max rel diff 0.0e+00"
    off = {**penalized, "v": penalized["v"] * 2}  # a real disagreement still fails
    assert not compare_fits.gg_notebook(project, {"gamma_gamma": off, "gg_penalizer": 1e-4}, summary)["passed"]


@pytest.mark.slow
def test_the_notebook_piece_records_the_penalizers_it_needed(tmp_path):
    ds = generate(tmp_path / "src", replace(GeneratorConfig(), n_customers=300, n_months=6, seed=3))
    args = {"month": ds.last_month.isoformat(), "csv": str(ds.csv_path), "out_dir": str(tmp_path / "out")}
    clean = baseline.notebook(args)
    forced = baseline.notebook({**args, "fit_options": {"0": {"maxiter": 1}}, "out_dir": str(tmp_path / "f")})
    assert (clean["bg_penalizer"], clean["gg_penalizer"]) == (0.0, 0.0)
    assert (forced["bg_penalizer"], forced["gg_penalizer"]) == (1e-4, 1e-4)
    assert [a.split(":")[0] for a in forced["fit_attempts"]] == [
        "BetaGeoFitter penalizer_coef=0",
        "BetaGeoFitter penalizer_coef=0.0001",
        "GammaGammaFitter penalizer_coef=0",
        "GammaGammaFitter penalizer_coef=0.0001",
    ]
    # the R, F, M the notebook computes do not depend on the fits
    assert pd.read_parquet(tmp_path / "out" / "rfm.parquet").equals(pd.read_parquet(tmp_path / "f" / "rfm.parquet"))
