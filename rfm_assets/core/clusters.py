"""KMeans customer clusters on RFM, named from their centroids (pure sklearn/polars, no dagster).

Naming rule, applied to centroids in standardized log space (z-scores):
  activity = -z(recency), value = (z(frequency) + z(monetary)) / 2
  - the centroid with the highest activity + value is "Top Customers" (cluster_id 1);
  - the lowest is "Inactive" (cluster_id k);
  - each other centroid is "Potential Loyal" when activity >= value (recent, not yet valuable)
    and "At Risk" otherwise (valuable, but lapsing); a repeated name gets a " 2", " 3" suffix.
cluster_id orders clusters by activity + value, best first. The rule depends only on where the
centroids lie, never on KMeans' arbitrary label order or on other months, so the same behaviour
keeps the same name from month to month and whatever order months are built in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from threadpoolctl import threadpool_limits

from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
    import polars as pl
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pl = lazy("numpy"), lazy("polars")

# sklearn is imported inside the functions that use it: importing the definitions stays cheap.

FEATURES = ("recency_days", "frequency", "monetary")
SEED = 0
SILHOUETTE_SAMPLE = 2_000  # points scored per k: silhouette standard error ~0.01, distances 4M not 25M
EXPLORE_SAMPLE = 20_000


@dataclass(frozen=True)
class ClusterResult:
    assignments: pl.DataFrame  # customer_id, cluster_id, cluster_name + FEATURES
    centroids: pl.DataFrame  # cluster_id, cluster_name, z-centroids, activity, value, and raw-unit means
    silhouette: dict[int, float]  # k -> silhouette score (on a fixed sample)
    k: int
    k_chosen_by: str  # "configured" or "silhouette"


def features(rfm: pl.DataFrame) -> np.ndarray:
    """log1p of recency, frequency and monetary (skewed, heavy-tailed), as a float matrix."""
    return np.log1p(rfm.select(FEATURES).to_numpy().astype(float))


def name_centroids(z_centroids: np.ndarray) -> tuple[list[int], list[str]]:
    """Order (best first) and name centroids by the module's rule. Returns (order, names by rank)."""
    activity = -z_centroids[:, 0]
    value = (z_centroids[:, 1] + z_centroids[:, 2]) / 2
    order = sorted(range(len(z_centroids)), key=lambda i: (-(activity[i] + value[i]), i))
    names: list[str] = []
    for rank, i in enumerate(order):
        if rank == 0:
            base = "Top Customers"
        elif rank == len(order) - 1:
            base = "Inactive"
        else:
            base = "Potential Loyal" if activity[i] >= value[i] else "At Risk"
        count = sum(1 for n in names if n == base or n.startswith(base + " "))
        names.append(base if count == 0 else f"{base} {count + 1}")
    return order, names


def _silhouettes(x: np.ndarray, k_range: range) -> dict[int, float]:
    """Silhouette per k on a fixed sample. The pairwise distances of the scored points are computed
    once and shared by every k (the same points sklearn's ``silhouette_score(sample_size=...,
    random_state=SEED)`` would draw), instead of once per k: same scores, a fraction of the time."""
    from sklearn.cluster import KMeans
    from sklearn.metrics import pairwise_distances, silhouette_score

    rng = np.random.default_rng(SEED)
    sample = x if len(x) <= EXPLORE_SAMPLE else x[rng.choice(len(x), EXPLORE_SAMPLE, replace=False)]
    scored = np.random.RandomState(SEED).permutation(len(sample))[:SILHOUETTE_SAMPLE]
    distances: np.ndarray | None = None
    scores = {}
    for k in k_range:
        if k >= len(sample):
            break
        # sklearn has no annotations: pyright infers n_init: str from its default 'auto'; it takes an int
        labels = KMeans(n_clusters=k, n_init=4, random_state=SEED).fit_predict(sample)  # pyright: ignore[reportArgumentType]
        if len(set(labels)) < 2:
            continue
        if distances is None:
            distances = pairwise_distances(sample[scored])
        if len(set(labels[scored])) < 2:
            continue
        scores[k] = float(silhouette_score(distances, labels[scored], metric="precomputed"))
    return scores


def fit_clusters(rfm: pl.DataFrame, k: int | None = 4, k_range: range = range(2, 9)) -> ClusterResult:
    """Cluster customers (rows of ``rfm``: customer_id + FEATURES). ``k=None`` picks k by silhouette.

    KMeans runs on one thread (OpenMP and BLAS): on a busy 2-core machine lock-step threads waited for
    each other (100k customers, n_init=10: 2.5 s on one thread, 9-12 s on two), and one thread
    makes the result independent of the machine's core count.
    """
    with threadpool_limits(limits=1):
        return _fit_clusters(rfm, k, k_range)


def _fit_clusters(rfm: pl.DataFrame, k: int | None, k_range: range) -> ClusterResult:
    from sklearn.cluster import KMeans
    from sklearn.preprocessing import StandardScaler

    if rfm.height == 0:
        raise ValueError("no customers to cluster")
    rfm = rfm.sort("customer_id")  # input order must not influence the result
    x = StandardScaler().fit_transform(features(rfm))
    silhouette = _silhouettes(x, k_range)
    chosen_by = "configured"
    if k is None:
        if not silhouette:
            raise ValueError(f"cannot choose k by silhouette with {rfm.height} customers")
        k, chosen_by = max(silhouette, key=lambda kk: (silhouette[kk], -kk)), "silhouette"
    k = min(k, rfm.height)
    model = KMeans(n_clusters=k, n_init=10, random_state=SEED).fit(x)  # pyright: ignore[reportArgumentType] (as above)
    order, names = name_centroids(model.cluster_centers_)
    rank_of = np.empty(k, dtype=int)
    rank_of[order] = np.arange(k)
    ranks = rank_of[model.labels_]
    assignments = rfm.select("customer_id", *FEATURES).with_columns(
        pl.Series("cluster_id", ranks + 1, dtype=pl.Int32),
        pl.Series("cluster_name", [names[r] for r in ranks], dtype=pl.String),
    )
    z = model.cluster_centers_[order]
    centroids = pl.DataFrame(
        {
            "cluster_id": np.arange(1, k + 1, dtype=np.int32),
            "cluster_name": names,
            "z_recency": z[:, 0],
            "z_frequency": z[:, 1],
            "z_monetary": z[:, 2],
            "activity": -z[:, 0],
            "value": (z[:, 1] + z[:, 2]) / 2,
        }
    )
    return ClusterResult(assignments, centroids, silhouette, k, chosen_by)
