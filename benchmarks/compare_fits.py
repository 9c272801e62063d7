"""Agreement of the fitted models: parameters when both sides minimized the same objective, predictions
when they did not (one side needed a penalizer the other did not).

A penalizer adds ``c * sum(params**2)`` to lifetimes' per-customer mean negative log-likelihood, so
a penalized fit lands on other parameters: on raw money values (the notebook's Gamma-Gamma, v ~ 100)
even 1e-4 moves p, q and v by several times, while the spend the model predicts barely moves.
Comparing parameters across different penalizers would report a false disagreement; comparing what
the models predict for the same customers is what the CLV depends on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

TOL_BG = 1e-3  # relative, BG/NBD parameters (same objective)
TOL_GG = 1e-2  # relative, Gamma-Gamma parameters: project (weighted, rescaled) vs notebook (unweighted, raw)
TOL_PREDICTION = 1e-2  # relative, a model's summed prediction when the two sides needed different penalizers
HORIZON_WEEKS = 52


def rel(a: dict[str, float], b: dict[str, float]) -> float:
    return max(abs(a[k] - b[k]) / abs(b[k]) for k in b)


def expected_spend(gg: dict[str, float], frequency: np.ndarray, monetary: np.ndarray) -> np.ndarray:
    """Gamma-Gamma's expected average spend per order, E(M | x, m) = p (v + x m) / (p x + q - 1)
    (Fader, Hardie and Lee 2005, eq. 5), written out here rather than taken from lifetimes."""
    p, q, v = gg["p"], gg["q"], gg["v"]
    return p * (v + frequency * monetary) / (p * frequency + q - 1)


def expected_purchases(bg: dict[str, float], summary: pd.DataFrame, weeks: float = HORIZON_WEEKS) -> float:
    """BG/NBD's expected purchases of ``summary``'s customers in the next ``weeks``, summed."""
    from lifetimes import BetaGeoFitter

    model = BetaGeoFitter()
    model.params_ = pd.Series(bg)
    found = model.conditional_expected_number_of_purchases_up_to_time(
        weeks, summary["frequency"], summary["recency"], summary["T"]
    )
    return float(np.sum(found))


def _penalizers(a: float | None, b: float | None) -> str:
    return f"penalizer_coef {a:g} vs {b:g}" if a is not None and b is not None else "penalizer unknown"


def bg_weighting(weighting: dict[str, Any]) -> dict[str, Any]:
    """Weighted (project) vs unweighted BG/NBD on the same summary rows and the same penalizer."""
    pw, pu = weighting.get("bg_weighted_penalizer", 0.0), weighting.get("bg_unweighted_penalizer", 0.0)
    diff = weighting["bg_max_rel_diff"]
    return {
        "check": f"BG/NBD weighted (project) vs unweighted, same summary rows ({_penalizers(pw, pu)})",
        "tolerance": f"rel {TOL_BG:g}, same penalizer",
        "observed": f"max rel diff {diff:.1e}",
        "passed": pw == pu and diff <= TOL_BG,
    }


def bg_notebook(project: dict[str, Any], notebook: dict[str, Any], summary: pd.DataFrame) -> dict[str, Any]:
    """BG/NBD project vs notebook: parameters at the same penalizer, else 52-week expected purchases."""
    pp, pn = project.get("bg_penalizer", 0.0), notebook.get("bg_penalizer", 0.0)
    if pp == pn:
        diff = rel(notebook["bg_nbd"], project["bg_params"])
        return {
            "check": f"BG/NBD project vs notebook (unweighted, its own summary; {_penalizers(pp, pn)})",
            "tolerance": f"rel {TOL_BG:g}",
            "observed": f"max rel diff {diff:.1e}",
            "passed": diff <= TOL_BG,
        }
    mine, theirs = expected_purchases(project["bg_params"], summary), expected_purchases(notebook["bg_nbd"], summary)
    diff = abs(mine - theirs) / abs(theirs)
    return {
        "check": f"BG/NBD project vs notebook, {_penalizers(pp, pn)}: expected purchases in {HORIZON_WEEKS} weeks",
        "tolerance": f"total rel {TOL_PREDICTION:g}",
        "observed": f"total rel diff {diff:.1e} ({mine:,.0f} vs {theirs:,.0f}); params max rel diff "
        f"{rel(notebook['bg_nbd'], project['bg_params']):.1e}",
        "passed": diff <= TOL_PREDICTION,
    }


def gg_notebook(project: dict[str, Any], notebook: dict[str, Any], summary: pd.DataFrame) -> dict[str, Any]:
    """Gamma-Gamma project vs notebook: parameters when neither was penalized (the project rescales money,
    so only penalizer 0 is the same objective), else the expected spend of the repeat customers."""
    pp, pn = project.get("gg_penalizer", 0.0), notebook.get("gg_penalizer", 0.0)
    diff_params = rel(notebook["gamma_gamma"], project["gg_params"])
    if pp == pn == 0:
        return {
            "check": "Gamma-Gamma project (weighted, rescaled) vs notebook (unweighted, raw), both unpenalized",
            "tolerance": f"rel {TOL_GG:g}",
            "observed": f"max rel diff {diff_params:.1e}",
            "passed": diff_params <= TOL_GG,
        }
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    x, m = repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy(float)
    mine = float(expected_spend(project["gg_params"], x, m).sum())
    theirs = float(expected_spend(notebook["gamma_gamma"], x, m).sum())
    diff = abs(mine - theirs) / abs(theirs)
    return {
        "check": f"Gamma-Gamma project vs notebook, {_penalizers(pp, pn)}: expected spend of repeat customers",
        "tolerance": f"total rel {TOL_PREDICTION:g}",
        "observed": f"total rel diff {diff:.1e}; params max rel diff {diff_params:.1e}",
        "passed": diff <= TOL_PREDICTION,
    }


def fit_rows(
    project: dict[str, Any], notebook: dict[str, Any], weighting: dict[str, Any], out: Path
) -> list[dict[str, Any]]:
    """The three model rows of the agreement table, on the notebook's own summary (``out/summary.parquet``)."""
    summary = pd.read_parquet(out / "summary.parquet")
    return [bg_weighting(weighting), bg_notebook(project, notebook, summary), gg_notebook(project, notebook, summary)]
