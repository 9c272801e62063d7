"""Repurchase models for dormant customers: design matrix, candidates, out-of-time metrics (no dagster).

Candidates: rfm_assets.core.dormant_candidates (what they are and how they are fitted). Each is
trained on older anchors and scored on the evaluation anchor; the reference rows are 'random'
targeting and 'rfm_heuristic' (frequency desc, then recency asc).

Chosen model: the best AUC on the selection anchor, an anchor before the evaluation anchor
(dormant.py; ties: higher precision@k, then candidate order), so the metrics reported on the
evaluation anchor carry no selection bias. AUC is used rather than precision@k because it judges
the whole ranking and is far less noisy than a hit count over the top k customers; precision@k,
lift and captured revenue are reported beside it. Ranking ties are always broken by customer_id, so top-k lists are reproducible.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from rfm_assets.core.dormant_candidates import FitStore, candidate_models, fit_models
from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")

# sklearn is imported inside the functions that use it: importing the definitions stays cheap.

NUMERIC_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "avg_order_value",
    "lines_per_order",
    "units_per_order",
    "distinct_products",
    "base_orders",
    "base_revenue",
    "active_months",
    "revenue_last3_active",
    "recent_revenue_share",
    "revenue_slope",
)
CLV_FEATURES = ("p_alive", "expected_purchases_12m", "clv_12m")
TOP_COUNTRIES = 5
OTHER_COUNTRY = "Other"
RANDOM, HEURISTIC = "random", "rfm_heuristic"


@dataclass(frozen=True)
class FeatureSpec:
    """The model's columns, fixed on the training rows and applied unchanged to every later frame."""

    numeric: tuple[str, ...]
    countries: tuple[str, ...]  # one-hot columns; every other country becomes OTHER_COUNTRY

    @classmethod
    def fit(cls, train: pd.DataFrame, use_clv: bool) -> FeatureSpec:
        """The TOP_COUNTRIES most frequent countries of ``train`` (ties alphabetical); CLV columns if asked."""
        counts = train["country"].value_counts()
        top = sorted(counts.index, key=lambda c: (-counts[c], c))[:TOP_COUNTRIES]
        return cls(NUMERIC_FEATURES + (CLV_FEATURES if use_clv else ()), tuple(top))

    @property
    def columns(self) -> list[str]:
        """Names of the design matrix columns."""
        return [*self.numeric, *(f"country_{c}" for c in (*self.countries, OTHER_COUNTRY))]

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """Float design matrix; missing numbers (no quantities, no CLV row) become 0."""
        numbers = frame[list(self.numeric)].astype(float).fillna(0.0).to_numpy()
        country = frame["country"].where(frame["country"].isin(self.countries), OTHER_COUNTRY)
        onehot = [(country == c).to_numpy(dtype=float) for c in (*self.countries, OTHER_COUNTRY)]
        return np.column_stack([numbers, *onehot])


def heuristic_score(frame: pd.DataFrame) -> np.ndarray:
    """The RFM rule as a score: more orders first, then the more recent; equal (F, R) tie."""
    recency = frame["recency_days"].to_numpy(dtype=float)
    return frame["frequency"].to_numpy(dtype=float) - recency / (recency.max(initial=0.0) + 1.0)


def ranking(scores: np.ndarray, customer_ids: np.ndarray) -> np.ndarray:
    """Row order best first: score descending, ties by customer_id ascending."""
    return np.lexsort((np.asarray(customer_ids, dtype=str), -np.asarray(scores, dtype=float)))


def _row(name: str, y: np.ndarray, revenue: np.ndarray, picked: np.ndarray, auc: float) -> dict:
    n, k, buyers = len(y), len(picked), int(y.sum())
    hits = int(y[picked].sum())
    return {
        "model": name,
        "n_customers": n,
        "n_buyers": buyers,
        "base_rate": buyers / n,
        "k": k,
        "buyers_in_top_k": hits,
        "precision_at_k": hits / k,
        "recall_at_k": hits / buyers if buyers else np.nan,
        "auc": auc,
        "revenue_top_k": float(revenue[picked].sum()),
        "revenue_random_k": float(revenue.mean() * k),
    }


def _auc(y: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, scores)) if 0 < y.sum() < len(y) else np.nan


@dataclass(frozen=True)
class Evaluation:
    """Out-of-time comparison on one evaluation anchor."""

    anchor: date
    metrics: pd.DataFrame  # one row per candidate + 'rfm_heuristic' + 'random'
    chosen: str
    k: int
    customer_ids: np.ndarray  # evaluation customers (row order of the evaluation frame)
    y: np.ndarray  # their bought_again
    scores: dict[str, np.ndarray]  # candidate / heuristic -> scores on the evaluation anchor
    models: dict[str, Any]  # candidate -> the model fitted on the training anchors
    spec: FeatureSpec  # their design matrix


def evaluate_candidates(
    train: pd.DataFrame,
    evaluation: pd.DataFrame,
    spec: FeatureSpec,
    k: int,
    anchor: date,
    *,
    chosen: str | None = None,
    store: FitStore | None = None,
) -> Evaluation:
    """Fit every candidate on ``train``, rank ``evaluation`` and compare them at the campaign size ``k``.

    ``chosen``: the model chosen elsewhere (on an earlier anchor); None = the best AUC here.
    ``store``: fitted models to reuse and keep (:func:`fit_models`).

    Both frames hold features + labels (bought_again, future_revenue). Metrics: base rate,
    precision/recall of the top k, lift over random (precision@k / base rate) and over the
    heuristic (precision@k / heuristic precision@k), AUC, revenue of the top k against the expected
    revenue of k random customers (mean future revenue x k).
    """
    if not 0 < k <= len(evaluation):
        raise ValueError(f"campaign size k={k} must be between 1 and the {len(evaluation)} evaluated customers")
    x_train, x_eval = spec.matrix(train), spec.matrix(evaluation)
    y_train = train["bought_again"].to_numpy(dtype=int)
    y = evaluation["bought_again"].to_numpy(dtype=int)
    revenue = evaluation["future_revenue"].to_numpy(dtype=float)
    ids = evaluation["customer_id"].to_numpy(dtype=str)
    scores: dict[str, np.ndarray] = {}
    models = fit_models(candidate_models(), x_train, y_train, store)
    for name, model in models.items():
        scores[name] = model.predict_proba(x_eval)[:, 1]
    scores[HEURISTIC] = heuristic_score(evaluation)
    rows = [_row(name, y, revenue, ranking(s, ids)[:k], _auc(y, s)) for name, s in scores.items()]
    random_row = _row(RANDOM, y, revenue, np.arange(k), 0.5)
    random_row.update(
        buyers_in_top_k=np.nan, precision_at_k=y.mean(), recall_at_k=k / len(y), revenue_top_k=float(revenue.mean() * k)
    )
    metrics = pd.DataFrame([*rows, random_row])
    heuristic_precision = metrics.loc[metrics["model"] == HEURISTIC, "precision_at_k"].iloc[0]
    metrics["lift_vs_random"] = metrics["precision_at_k"] / metrics["base_rate"]
    metrics["lift_vs_heuristic"] = metrics["precision_at_k"] / heuristic_precision if heuristic_precision else np.nan
    metrics["revenue_lift"] = metrics["revenue_top_k"] / metrics["revenue_random_k"].replace(0.0, np.nan)
    candidates = metrics[~metrics["model"].isin([HEURISTIC, RANDOM])].reset_index(drop=True)
    best = candidates.assign(order=candidates.index).sort_values(
        ["auc", "precision_at_k", "order"], ascending=[False, False, True], na_position="last"
    )
    chosen = chosen or str(best["model"].iloc[0])
    metrics["chosen"] = metrics["model"] == chosen
    metrics.insert(0, "evaluation_anchor", anchor)
    return Evaluation(anchor, metrics, chosen, k, ids, y, scores, models, spec)


def with_selection(metrics: pd.DataFrame, chooser: Evaluation | None) -> pd.DataFrame:
    """E's metrics with the anchor the choice was made on and each model's AUC there."""
    if chooser is None:
        return metrics.assign(selection_anchor=metrics["evaluation_anchor"], selection_auc=metrics["auc"])
    auc = chooser.metrics.set_index("model")["auc"]
    return metrics.assign(selection_anchor=chooser.anchor, selection_auc=metrics["model"].map(auc))
