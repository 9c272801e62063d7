"""The dormant model's candidates and how they are fitted: seeded, side by side, reused when stored (no dagster).

Candidates (fixed random_state): a random forest like the seed's (depth 6, balanced subsamples),
L1 and L2 logistic regressions on standardized signed-log features (the seed's Lasso and Ridge),
and histogram gradient boosting. rfm_assets.core.dormant_model compares them out of time.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import threading
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any, Protocol

from threadpoolctl import threadpool_limits

from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np = lazy("numpy")

# sklearn is imported inside the functions that use it: importing the definitions stays cheap.

SEED = 0
FOREST_SAMPLES = 20_000  # rows per tree of the random forest (bootstrap sample size cap)
MAX_TRAIN_ROWS = 50_000  # a seeded uniform sample above this: ~20 features need no more, fits stay seconds


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


class FitStore(Protocol):
    """Fitted models by :func:`fit_key` (rfm_assets.core.dormant_fits keeps them in the warehouse)."""

    def get(self, key: str) -> Any | None: ...

    def put(self, key: str, model: Any) -> None: ...


def rows_digest(x: np.ndarray, y: np.ndarray) -> str:
    """sha256 of the training rows (shape and bytes of x as float64 and y as int64)."""
    digest = hashlib.sha256()
    for array in (np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(y, dtype=np.int64)):
        digest.update(str(array.shape).encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def fit_key(name: str, x: np.ndarray, y: np.ndarray, rows: str | None = None) -> str:
    """What a fit depends on: the candidate's definition, the fitting rules, sklearn's version, the data.

    Equal keys give equal models (every candidate is seeded), so a stored fit can stand in for a new one.
    ``rows``: :func:`rows_digest` of (x, y) when already known (one hash serves every candidate).
    """
    import sklearn

    parts = (name, sklearn.__version__, inspect.getsource(candidate_models), inspect.getsource(fit_model))
    return hashlib.sha256("|".join((*parts, rows or rows_digest(x, y))).encode()).hexdigest()


def fit_models(models: dict[str, Any], x: np.ndarray, y: np.ndarray, store: FitStore | None = None) -> dict[str, Any]:
    """Each of ``models`` fitted by :func:`fit_model`, side by side on the machine's cores.

    liblinear, the trees and the boosting release the GIL while they fit, so threads overlap them;
    every model is seeded and fits alone (the liblinear ones in turn, :data:`LIBLINEAR`), so each
    comes out exactly as fitted one after another.
    With a ``store``, a model fitted before on the same rows (an earlier month's evaluation is this
    month's selection) is taken from it, and new fits are added to it.
    """
    from concurrent.futures import ThreadPoolExecutor

    rows = rows_digest(x, y) if store is not None else None
    keys = {name: fit_key(name, x, y, rows) for name in models} if store is not None else {}
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
