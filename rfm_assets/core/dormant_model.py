"""Repurchase models for dormant customers: design matrix, candidates, out-of-time metrics (no dagster).

Candidates (fixed random_state): a random forest like the seed's (300 trees, depth 6, balanced
subsamples), L1 and L2 logistic regressions on standardized signed-log features (the seed's Lasso
and Ridge), and histogram gradient boosting. Each is trained on older anchors and scored on the
evaluation anchor; the reference rows are 'random' targeting and 'rfm_heuristic' (frequency desc,
then recency asc).

Chosen model: the best AUC on the selection anchor, an anchor before the evaluation anchor
(dormant.py; ties: higher precision@k, then candidate order), so the metrics reported on the
evaluation anchor carry no selection bias. AUC is used rather than precision@k because it judges
the whole ranking and is far less noisy than a hit count over the top k customers; precision@k,
lift and captured revenue are reported beside it. Ranking ties are always broken by customer_id, so top-k lists are reproducible.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import threading
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

from threadpoolctl import threadpool_limits

from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")

# sklearn is imported inside the functions that use it: importing the definitions stays cheap.

SEED = 0
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
FOREST_SAMPLES = 20_000  # rows per tree of the random forest (bootstrap sample size cap)
MAX_TRAIN_ROWS = 50_000  # a seeded uniform sample above this: ~20 features need no more, fits stay seconds


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


def _signed_log(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.log1p(np.abs(x))


def candidate_models() -> dict[str, Any]:
    """Fresh, unfitted candidates by name (in tie-break order)."""
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    def logit(l1_ratio: float) -> Any:
        return make_pipeline(
            FunctionTransformer(_signed_log),
            StandardScaler(),
            LogisticRegression(
                l1_ratio=l1_ratio, C=0.1, solver="liblinear", class_weight="balanced", max_iter=1000, random_state=SEED
            ),
        )

    return {
        "random_forest": RandomForestClassifier(
            n_estimators=100,
            max_depth=6,
            class_weight="balanced_subsample",
            min_samples_leaf=5,
            n_jobs=-1,
            random_state=SEED,
        ),
        "logit_l1": logit(1.0),
        "logit_l2": logit(0.0),
        "hist_gradient_boosting": HistGradientBoostingClassifier(
            learning_rate=0.05, max_iter=200, max_leaf_nodes=15, l2_regularization=1.0, random_state=SEED
        ),
    }


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


class FitStore(Protocol):
    """Fitted models by :func:`fit_key` (rfm_assets.core.dormant_fits keeps them in the warehouse)."""

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, model: Any) -> None: ...


def fit_key(name: str, x: np.ndarray, y: np.ndarray) -> str:
    """What a fit depends on: the candidate's definition, the fitting rules, sklearn's version, the data.

    Equal keys give equal models (every candidate is seeded), so a stored fit can stand in for a new one.
    """
    import sklearn

    digest = hashlib.sha256()
    for part in (name, sklearn.__version__, inspect.getsource(candidate_models), inspect.getsource(fit_model)):
        digest.update(part.encode())
    for array in (np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(y, dtype=np.int64)):
        digest.update(str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def fit_models(models: dict[str, Any], x: np.ndarray, y: np.ndarray, store: FitStore | None = None) -> dict[str, Any]:
    """Each of ``models`` fitted by :func:`fit_model`, side by side on the machine's cores.

    liblinear, the trees and the boosting release the GIL while they fit, so threads overlap them;
    every model is seeded and fits alone (the liblinear ones in turn, :data:`LIBLINEAR`), so each
    comes out exactly as fitted one after another.
    With a ``store``, a model fitted before on the same rows (an earlier month's evaluation is this
    month's selection) is taken from it, and new fits are added to it.
    """
    from concurrent.futures import ThreadPoolExecutor

    keys = {name: fit_key(name, x, y) for name in models} if store is not None else {}
    fitted = {name: got for name in keys if (got := store.get(keys[name])) is not None} if store else {}
    todo = {name: model for name, model in models.items() if name not in fitted}
    workers = min(len(todo), os.cpu_count() or 1)
    if workers <= 1:
        new = {name: fit_model(model, x, y) for name, model in todo.items()}
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dormant-fit") as pool:
            futures = {name: pool.submit(fit_model, model, x, y) for name, model in todo.items()}
            new = {name: future.result() for name, future in futures.items()}
    if store is not None:
        for name, model in new.items():
            store.put(keys[name], model)
    return {name: fitted[name] if name in fitted else new[name] for name in models}


# liblinear draws its coordinate order from one random generator shared by the whole process, seeded
# at the start of each fit: two fits at once interleave their draws, and both models change (seen as
# an AUC moving in the 6th digit on the default data). They take turns; the other candidates overlap.
LIBLINEAR = threading.Lock()


def uses_liblinear(model: Any) -> bool:
    """True for a LogisticRegression with solver liblinear, alone or as a pipeline's last step."""
    last = model.steps[-1][1] if hasattr(model, "steps") else model
    return getattr(last, "solver", None) == "liblinear"


def fit_model(model: Any, x: np.ndarray, y: np.ndarray) -> Any:
    """``model`` fitted on (x, y): a seeded sample above MAX_TRAIN_ROWS, forest trees on at most
    FOREST_SAMPLES rows, one OpenMP thread."""
    from sklearn.ensemble import RandomForestClassifier

    # Above MAX_TRAIN_ROWS every candidate learns from the same seeded sample (same rows whatever the
    # model): at 10M lines a year of anchors is ~150k rows and liblinear alone took 12 s on them.
    if len(y) > MAX_TRAIN_ROWS:
        keep = np.sort(np.random.default_rng(SEED).choice(len(y), MAX_TRAIN_ROWS, replace=False))
        x, y = x[keep], y[keep]
    # Each tree of the forest sees a bootstrap sample of at most FOREST_SAMPLES rows: depth-6 trees
    # gain nothing from more, and the fit stays seconds at 10M lines (it was 20 s+ on all rows).
    if isinstance(model, RandomForestClassifier) and len(y) > FOREST_SAMPLES:
        model.set_params(max_samples=FOREST_SAMPLES)
    # One OpenMP thread: on small machines HistGradientBoosting's thread pool oversubscribes badly
    # (15x slower on 2 vCPUs for tens of thousands of rows); the forest still uses joblib workers.
    # liblinear fits one at a time (LIBLINEAR): see its definition.
    with threadpool_limits(limits=1, user_api="openmp"), LIBLINEAR if uses_liblinear(model) else nullcontext():
        model.fit(x, y)
    # The forest's predict_proba adds the trees' votes from several threads in whatever order they
    # finish, so its last bits varied between reruns; one job adds them in tree order (bit-identical).
    if isinstance(model, RandomForestClassifier):
        model.set_params(n_jobs=1)
    return model


def with_selection(metrics: pd.DataFrame, chooser: Evaluation | None) -> pd.DataFrame:
    """E's metrics with the anchor the choice was made on and each model's AUC there."""
    if chooser is None:
        return metrics.assign(selection_anchor=metrics["evaluation_anchor"], selection_auc=metrics["auc"])
    auc = chooser.metrics.set_index("model")["auc"]
    return metrics.assign(selection_anchor=chooser.anchor, selection_auc=metrics["model"].map(auc))
