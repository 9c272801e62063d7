"""Customer clusters: KMeans on the month's RFM snapshot, named from centroids, and their profiles."""

import dagster as dg

from rfm_assets.assets.behaviour import GROUP, rfm_snapshots
from rfm_assets.assets.configs import cluster_config
from rfm_assets.assets.decorators import monthly_asset, monthly_sql_asset
from rfm_assets.assets.ingestion import OWNERS
from rfm_assets.assets.metadata import partition_metadata, plot, plots_wanted, table_md
from rfm_assets.core import plots
from rfm_assets.core.builds import segments as build
from rfm_assets.partitions import partition_month
from rfm_assets.resources import AnalysisParamsResource, WarehouseResource

PLOT_SAMPLE = 4_000


@monthly_asset(
    deps=[rfm_snapshots],
    group_name=GROUP,
    kinds={"duckdb", "scikitlearn", "polars"},
    owners=OWNERS,
)
def customer_clusters(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, params: AnalysisParamsResource
) -> dg.MaterializeResult:
    """KMeans clusters of the month's customers on log-transformed, standardized recency,
    frequency and monetary value (k = 4 by default, or chosen by silhouette), named from their
    centroids by a fixed rule so a behaviour keeps its name from month to month: Top Customers,
    Potential Loyal, At Risk, Inactive (rule in `rfm_assets/core/clusters.py`). Seeds are fixed.
    """
    month = partition_month(context)
    with warehouse.connect() as con:
        result = build.build_customer_clusters(con, month, cluster_config(params)).fit
        metadata = partition_metadata(con, "customer_clusters", month)

    def render() -> bytes:
        sample = result.assignments.sample(n=min(PLOT_SAMPLE, result.assignments.height), seed=0)
        return plots.scatter_groups(
            sample["recency_days"],
            sample["monetary"],
            sample["cluster_name"],
            f"Customer clusters {month:%Y-%m} (sample of {sample.height:,})",
            xlabel="recency (days)",
            ylabel="monetary (window revenue)",
            logy=True,
        )

    silhouette = "\n".join(
        ["| k | silhouette |", "|---:|---:|"] + [f"| {k} | {s:.3f} |" for k, s in sorted(result.silhouette.items())]
    )
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "k": dg.MetadataValue.int(result.k),
            "k_chosen_by": dg.MetadataValue.text(result.k_chosen_by),
            "silhouette_by_k": dg.MetadataValue.md(silhouette),
            "centroids": table_md(result.centroids.to_pandas().round(3)),
            **plot("cluster_scatter", plots_wanted(context), render, "clusters"),
        }
    )


@monthly_sql_asset("cluster_profiles", deps=[customer_clusters], group_name=GROUP, owners=OWNERS)
def cluster_profiles(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Per named cluster and month: size, customer share, mean recency/frequency/monetary and
    revenue share (`sql/cluster_profiles.sql`)."""
    month = partition_month(context)
    with warehouse.connect() as con:
        profile = build.build_cluster_profiles(con, month).profile
        metadata = partition_metadata(con, "cluster_profiles", month)
    return dg.MaterializeResult(metadata={**metadata, "profile": table_md(profile.round(3))})
