"""Clusters on data with known groups; naming rule on hand-placed centroids."""

import numpy as np
import polars as pl
import pytest

from rfm_assets.core.clusters import fit_clusters, name_centroids


def _groups(seed=0, n=150):
    """Four well separated behaviours: (recency days, orders, spend) around known centres."""
    rng = np.random.default_rng(seed)
    centres = {"top": (5, 20, 5000), "new": (10, 1, 80), "lapsing": (250, 8, 2500), "gone": (330, 1, 30)}
    rows = []
    for label, (r, f, m) in centres.items():
        for i in range(n):
            rows.append(
                (
                    f"{label}{i}",
                    max(0, int(r * rng.lognormal(0, 0.1))),
                    max(1, int(round(f * rng.lognormal(0, 0.1)))),
                    m * rng.lognormal(0, 0.1),
                    label,
                )
            )
    return pl.DataFrame(rows, schema=["customer_id", "recency_days", "frequency", "monetary", "truth"], orient="row")


def test_known_groups_are_recovered_and_named():
    data = _groups()
    result = fit_clusters(data.drop("truth"), k=4)
    joined = result.assignments.join(data.select("customer_id", "truth"), on="customer_id")
    names = joined.group_by("truth").agg(pl.col("cluster_name").unique())
    mapping = {row["truth"]: row["cluster_name"] for row in names.iter_rows(named=True)}
    assert all(len(v) == 1 for v in mapping.values())  # each true group is exactly one cluster
    assert {k: v[0] for k, v in mapping.items()} == {
        "top": "Top Customers",
        "new": "Potential Loyal",
        "lapsing": "At Risk",
        "gone": "Inactive",
    }


def test_silhouette_prefers_the_true_k():
    result = fit_clusters(_groups().drop("truth"), k=None)
    assert result.k == 4 and result.k_chosen_by == "silhouette"
    assert max(result.silhouette, key=lambda k: result.silhouette[k]) == 4


def test_deterministic_and_independent_of_row_order():
    data = _groups().drop("truth")
    a = fit_clusters(data, k=4).assignments.sort("customer_id")
    b = fit_clusters(data.sample(fraction=1.0, shuffle=True, seed=7), k=4).assignments.sort("customer_id")
    assert a.equals(b)


def test_names_are_stable_when_behaviour_is_the_same():
    a = fit_clusters(_groups(seed=1).drop("truth"), k=4).centroids["cluster_name"].to_list()
    b = fit_clusters(_groups(seed=2, n=200).drop("truth"), k=4).centroids["cluster_name"].to_list()
    assert a == b == ["Top Customers", "Potential Loyal", "At Risk", "Inactive"]


def test_naming_rule_on_hand_placed_centroids():
    # columns: z_recency, z_frequency, z_monetary
    z = np.array(
        [
            [1.5, -1.0, -1.0],  # old, low value      -> Inactive
            [-1.0, 1.0, 1.2],  # recent, high value  -> Top Customers
            [1.0, 1.0, 1.0],  # old but valuable    -> At Risk
            [-1.2, -0.5, -0.3],
        ]
    )  # recent, low value  -> Potential Loyal
    order, names = name_centroids(z)
    assert order == [1, 3, 2, 0]
    assert names == ["Top Customers", "Potential Loyal", "At Risk", "Inactive"]


def test_repeated_names_get_suffixes():
    z = np.array([[-2.0, 2, 2], [-1.0, -0.5, -0.5], [-1.1, -0.6, -0.6], [2.0, -2, -2]])
    _, names = name_centroids(z)
    assert names == ["Top Customers", "Potential Loyal", "Potential Loyal 2", "Inactive"]


def test_empty_input_is_refused():
    with pytest.raises(ValueError, match="no customers"):
        fit_clusters(
            pl.DataFrame(
                schema={
                    "customer_id": pl.String,
                    "recency_days": pl.Int64,
                    "frequency": pl.Int64,
                    "monetary": pl.Float64,
                }
            )
        )
