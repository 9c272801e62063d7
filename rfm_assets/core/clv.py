"""Customer lifetime value with BG/NBD + Gamma-Gamma (lifetimes 0.11.3); pure, no dagster.

Fitting and scoring live here; predictions from fitted parameters in ``clv_predict`` (re-exported).

Inputs come from ``sql/clv_summary.sql``: every customer's FULL history up to an as-of day (usually
a month's last day), one purchase per distinct purchase day, ``recency`` and ``T`` in weeks
(``TIME_UNIT_DAYS`` = 7 days, as floats days / 7); the models here assume that unit.

Outcomes of :func:`fit_clv` (``ClvFit.status``):
  - ``'fitted'``: both models converged with finite parameters and finite predictions.
  - ``'insufficient_history'``: fewer than ``ClvConfig.min_repeat_customers`` customers have a repeat
    purchase, or the oldest customer's T is under ``ClvConfig.min_history_weeks`` (about six months:
    dropout cannot be told apart from a low purchase rate in less; such fits diverge); ``message`` says which. Nothing is fitted and :func:`score_customers`
    refuses to run (ValueError): a month this early has no CLV, which callers report, not an error.
  - ``'failed'``: every penalizer in ``ClvConfig.penalizers`` failed for a model; ``attempts`` lists
    each try and its outcome. Callers raise.
Each model retries with the next ``penalizer_coef`` after a ConvergenceError, non-finite parameters
or non-finite predictions, so a fitted result never carries NaN. Before moving to a penalizer it
retries the same penalizer with a looser gradient tolerance (``ClvConfig.gradient_tolerances``):
scipy's BFGS reports "precision loss" when it cannot improve a fit whose gradient is already ~1e-7
on the mean log-likelihood, and a penalizer would then change the model, not the convergence (on a
B2C benchmark month, Gamma-Gamma's q went from 269 to 8 and the log-likelihood fell by 8,900).

Speed: BG/NBD is fitted on identical (frequency, recency, T) rows compressed into lifetimes'
``weights`` (same likelihood, same optimum), Gamma-Gamma likewise on (frequency, monetary_value),
and predictions are computed once per (frequency, recency, T) pattern. Gamma-Gamma is fitted on
monetary values divided by their mean (v is scaled back; p and q do not depend on the currency
unit), which keeps the optimizer well conditioned and makes its penalizer scale-free, as lifetimes
itself does for time in BG/NBD. Log-likelihoods are reported unpenalized, summed over customers, in
the original units (weeks, currency).

clv_12m is lifetimes' discounted ``customer_lifetime_value(freq='W')``: monthly steps of 4.345 weeks
over ``horizon_months``, discounted at the monthly rate (1 + annual)^(1/12) - 1; it is computed as
Gamma-Gamma's expected average order value times the discounted expected purchases of the customer's
pattern, which is exactly what that method sums. The ``_12m`` columns hold ``horizon_months``.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import duckdb

from rfm_assets.core.clv_predict import (  # noqa: F401 - re-exported: the CLV API lives here
    BG_PARAMS,
    GG_PARAMS,
    PATTERN,
    TIME_UNIT_DAYS,
    Rejected,
    bg_fitter,
    expected_repeat_purchases,
    gg_fitter,
    horizon_weeks,
    monthly_discount_rate,
    pattern_codes,
    pattern_predictions,
    population_mean_spend,
)
from rfm_assets.core.lazy import np, pd
from rfm_assets.core.sqlfiles import load_sql

# lifetimes is imported where it is used (~2 s of code-load time).


@dataclass(frozen=True)
class ClvConfig:
    """Horizon, discounting, the least history worth fitting, and the penalizers tried in order."""

    horizon_months: int = 12
    annual_discount_rate: float = 0.10
    min_repeat_customers: int = 50
    # About six months (Jan-Jun is 25.9 weeks): shorter histories cannot separate dropout from a low
    # purchase rate; a and b collapse towards 0 and lifetimes' predictions overflow (seen on the
    # embedded dataset at 13-21 weeks, fine from 25.7 weeks on).
    min_history_weeks: float = 25.0
    penalizers: tuple[float, ...] = (0.0, 0.001, 0.01, 0.1)
    # scipy's gtol on the mean negative log-likelihood: lifetimes' default, then one step looser.
    gradient_tolerances: tuple[float, ...] = (1e-7, 1e-6)


@dataclass
class ClvFit:
    """Fitted BG/NBD (r, alpha, a, b; alpha in weeks) and Gamma-Gamma (p, q, v) parameters."""

    status: str  # 'fitted' | 'insufficient_history' | 'failed'
    message: str = ""
    bg_params: dict[str, float] = field(default_factory=dict)
    gg_params: dict[str, float] = field(default_factory=dict)
    bg_log_likelihood: float | None = None
    gg_log_likelihood: float | None = None
    n_customers: int = 0
    n_repeat_customers: int = 0  # frequency > 0 and monetary_value > 0: Gamma-Gamma's customers
    bg_penalizer: float | None = None
    gg_penalizer: float | None = None
    attempts: list[str] = field(default_factory=list)
    frequency_monetary_corr: float | None = None  # Pearson, repeat customers; None if undefined
    fit_seconds: float = 0.0


def clv_summary(con: duckdb.DuckDBPyConnection, as_of_date: date, time_unit_days: int = TIME_UNIT_DAYS) -> pd.DataFrame:
    """Per customer frequency, recency, T, monetary_value (sql/clv_summary.sql) as of ``as_of_date``."""
    params = {"as_of_date": as_of_date, "time_unit_days": time_unit_days}
    return con.execute(load_sql("clv_summary"), params).df()


def _patterns(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """(code per row, one row per distinct ``keys`` combination with its ``weight``), code = row of it."""
    codes, first = pattern_codes(frame, keys)
    unique = frame.iloc[first][keys].reset_index(drop=True)
    unique["weight"] = np.bincount(codes)
    return codes, unique


def predict_purchases(fit: ClvFit, summary: pd.DataFrame, t: float) -> np.ndarray:
    """Expected repeat purchases of each row of ``summary`` in the next ``t`` weeks (BG/NBD)."""
    codes, pat = _patterns(summary, PATTERN)
    with np.errstate(all="ignore"):
        values = bg_fitter(fit.bg_params).conditional_expected_number_of_purchases_up_to_time(
            t, *(pat[k].to_numpy(dtype=float) for k in PATTERN)
        )
    values = np.asarray(values, dtype=float)
    if not np.isfinite(values).all():
        raise ValueError(f"non-finite expected purchases over {t} weeks for some (frequency, recency, T) patterns")
    return values[codes]


def _fit_bg(pat: pd.DataFrame, penalizer: float, config: ClvConfig, tol: float) -> tuple[dict[str, float], float]:
    from lifetimes import BetaGeoFitter

    f, r, t_, w = (pat[k].to_numpy() for k in [*PATTERN, "weight"])
    with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):  # lifetimes prints on failure
        bgf = BetaGeoFitter(penalizer_coef=penalizer).fit(f, r, t_, weights=w, tol=tol)
    params = {k: float(bgf.params_[k]) for k in BG_PARAMS}
    if not all(np.isfinite(v) and v > 0 for v in params.values()):
        raise Rejected(f"parameters not finite and positive: {params}")
    nll = BetaGeoFitter._negative_log_likelihood(np.log(list(params.values())), f, r, t_, w, 0.0)
    if not np.isfinite(nll):
        raise Rejected("non-finite log-likelihood")
    pattern_predictions(params, pat, config.horizon_months, config.annual_discount_rate, discounted=False)
    return params, float(-nll * w.sum())


def _fit_gg(repeat: pd.DataFrame, penalizer: float, tol: float) -> tuple[dict[str, float], float]:
    from lifetimes import GammaGammaFitter

    _, pat = _patterns(repeat, ["frequency", "monetary_value"])
    x, m, w = (pat[k].to_numpy(dtype=float) for k in ["frequency", "monetary_value", "weight"])
    scale = float(np.average(m, weights=w))
    with contextlib.redirect_stdout(io.StringIO()), np.errstate(all="ignore"):
        ggf = GammaGammaFitter(penalizer_coef=penalizer).fit(x, m / scale, weights=w, tol=tol)
    params = {"p": float(ggf.params_["p"]), "q": float(ggf.params_["q"]), "v": float(ggf.params_["v"]) * scale}
    if not all(np.isfinite(v) and v > 0 for v in params.values()):
        raise Rejected(f"parameters not finite and positive: {params}")
    if params["q"] <= 1:
        raise Rejected(f"q = {params['q']:.4g} <= 1, so the population mean spend p*v/(q-1) is undefined")
    nll = GammaGammaFitter._negative_log_likelihood(np.log(list(params.values())), x, m, w, 0.0)
    if not np.isfinite(nll):
        raise Rejected("non-finite log-likelihood")
    return params, float(-nll * w.sum())


def _with_fallback(
    model: str,
    fit_one: Callable[[float, float], tuple],
    penalizers: tuple[float, ...],
    attempts: list[str],
    tolerances: tuple[float, ...],
) -> tuple[float, tuple] | None:
    """The first (penalizer, tolerance) whose fit succeeds, penalizer by penalizer and each with every
    tolerance in turn, with its result; None when all fail. Logs every try."""
    for penalizer in penalizers:
        for i, tol in enumerate(tolerances):
            label = f"{model} penalizer_coef={penalizer}" + (f" tol={tol:g}" if i else "")
            try:
                result = fit_one(penalizer, tol)
            except (ValueError, ArithmeticError, np.linalg.LinAlgError) as exc:  # ConvergenceError: ValueError
                reason = " ".join(str(exc).split()) or type(exc).__name__
                attempts.append(f"{label}: failed ({type(exc).__name__}: {reason})")
                continue
            attempts.append(f"{label}: converged")
            return penalizer, result
    return None


def _pearson(x: pd.Series, y: pd.Series) -> float | None:
    if len(x) < 2 or x.std() == 0 or y.std() == 0:
        return None
    value = float(np.corrcoef(x.to_numpy(dtype=float), y.to_numpy(dtype=float))[0, 1])
    return value if np.isfinite(value) else None


def fit_clv(summary: pd.DataFrame, config: ClvConfig = ClvConfig()) -> ClvFit:
    """Fit BG/NBD on all customers of ``summary`` and Gamma-Gamma on its repeat customers."""
    start = time.perf_counter()
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    fit = ClvFit(status="fitted", n_customers=len(summary), n_repeat_customers=len(repeat))
    needed = max(1, config.min_repeat_customers)
    span = float(summary["T"].max()) if len(summary) else 0.0
    if span < config.min_history_weeks:
        fit.status = "insufficient_history"
        fit.message = (
            f"the history spans only {span:.1f} weeks (the oldest customer's T); at least "
            f"{config.min_history_weeks:g} weeks are needed to fit BG/NBD + Gamma-Gamma"
        )
    elif len(repeat) < needed:
        fit.status = "insufficient_history"
        fit.message = (
            f"only {len(repeat)} of {len(summary)} customers have a repeat purchase day with positive "
            f"value; at least {needed} are needed to fit BG/NBD + Gamma-Gamma"
        )
    else:
        fit.frequency_monetary_corr = _pearson(repeat["frequency"], repeat["monetary_value"])
        _, pat = _patterns(summary, PATTERN)
        tols = config.gradient_tolerances
        bg = _with_fallback(
            "bg_nbd", lambda pen, tol: _fit_bg(pat, pen, config, tol), config.penalizers, fit.attempts, tols
        )
        gg = _with_fallback(
            "gamma_gamma", lambda pen, tol: _fit_gg(repeat, pen, tol), config.penalizers, fit.attempts, tols
        )
        if bg is not None:
            fit.bg_penalizer, (fit.bg_params, fit.bg_log_likelihood) = bg
        if gg is not None:
            fit.gg_penalizer, (fit.gg_params, fit.gg_log_likelihood) = gg
        failed = [name for name, result in (("BG/NBD", bg), ("Gamma-Gamma", gg)) if result is None]
        if failed:
            fit.status = "failed"
            fit.message = (
                f"{' and '.join(failed)} did not fit with any penalizer_coef in {config.penalizers}: "
                + "; ".join(fit.attempts)
            )
        else:
            fit.message = (
                f"fitted on {fit.n_customers} customers ({fit.n_repeat_customers} with repeats), "
                f"penalizer_coef {fit.bg_penalizer} (BG/NBD) / {fit.gg_penalizer} (Gamma-Gamma)"
            )
    fit.fit_seconds = time.perf_counter() - start
    return fit


def _require_fitted(fit: ClvFit) -> None:
    if fit.status != "fitted":
        raise ValueError(f"the CLV models are not fitted (status {fit.status!r}): {fit.message}")


def score_customers(fit: ClvFit, summary: pd.DataFrame, config: ClvConfig = ClvConfig()) -> pd.DataFrame:
    """P(alive), expected purchases, expected order value and discounted CLV over the horizon."""
    _require_fitted(fit)
    codes, pat = _patterns(summary, PATTERN)
    per_pattern = pattern_predictions(fit.bg_params, pat, config.horizon_months, config.annual_discount_rate)
    aov = gg_fitter(fit.gg_params).conditional_expected_average_profit(
        summary["frequency"].to_numpy(dtype=float), summary["monetary_value"].to_numpy(dtype=float)
    )
    out = summary[["customer_id", *PATTERN, "monetary_value"]].reset_index(drop=True)
    out["p_alive"] = per_pattern["p_alive"].to_numpy()[codes]
    out["expected_purchases_12m"] = per_pattern["expected"].to_numpy()[codes]
    out["expected_avg_order_value"] = np.asarray(aov, dtype=float)
    out["clv_12m"] = out["expected_avg_order_value"] * per_pattern["discounted"].to_numpy()[codes]
    if not np.isfinite(out.iloc[:, 5:].to_numpy(dtype=float)).all():
        raise ValueError("non-finite CLV scores; check monetary_value of the summary")
    return out


def params_long(fit: ClvFit, snapshot_month: date) -> pd.DataFrame:
    """One row per (model, param): the parameters and fit facts of a fitted ClvFit, all finite."""
    _require_fitted(fit)
    common = {"time_unit_days": float(TIME_UNIT_DAYS)}
    bg = {
        **fit.bg_params,
        **common,
        "log_likelihood": fit.bg_log_likelihood,
        "n_customers": fit.n_customers,
        "penalizer_coef": fit.bg_penalizer,
    }
    gg = {
        **fit.gg_params,
        **common,
        "log_likelihood": fit.gg_log_likelihood,
        "n_customers": fit.n_repeat_customers,
        "penalizer_coef": fit.gg_penalizer,
        "population_mean_spend": population_mean_spend(fit.gg_params),
    }
    if fit.frequency_monetary_corr is not None:
        gg["frequency_monetary_corr"] = fit.frequency_monetary_corr
    rows = [
        (snapshot_month, model, k, float(v))
        for model, values in (("bg_nbd", bg), ("gamma_gamma", gg))
        for k, v in values.items()
    ]
    return pd.DataFrame(rows, columns=["snapshot_month", "model", "param", "value"])
