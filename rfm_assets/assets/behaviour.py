"""Customer-behaviour layer: cohort retention, monthly RFM snapshots and segment migration."""

import dagster as dg

from rfm_assets.assets.configs import rfm_config
from rfm_assets.assets.ingestion import OWNERS, cleaned_transactions, customer_returns
from rfm_assets.assets.inputs import ALL_HISTORY, PREVIOUS_AND_THIS, first_month, require_history
from rfm_assets.assets.layers import Layer
from rfm_assets.assets.metadata import partition_metadata, plot, plots_wanted, table_md
from rfm_assets.assets.steps import month_step
from rfm_assets.core import plots
from rfm_assets.core.builds import behaviour as build
from rfm_assets.core.months import add_months
from rfm_assets.resources import AnalysisParamsResource, WarehouseResource

GROUP = "customer_behaviour"
LAYER = Layer(GROUP, OWNERS)


@LAYER.sql_asset("cohort_retention", deps=[dg.AssetDep(cleaned_transactions, partition_mapping=ALL_HISTORY)])
def cohort_retention(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """How each acquisition cohort (month of first purchase) keeps buying: for the month, every
    cohort's size, active customers, retention rate and revenue (`sql/cohort_retention.sql`).

    Backfilled over all months it is the cohort x months-since-first triangle; BI reads it long
    (this table) or pivoted (view `cohort_retention_triangle`). The metadata shows the heatmap of
    every cohort up to this month.
    """
    with month_step(context, warehouse, "cleaned_transactions") as (month, con):
        built = build.build_cohort_retention(con, month)
        metadata = partition_metadata(con, "cohort_retention", month)
    labels, grid = built.cohorts, built.grid
    png = plot(
        "retention_heatmap",
        plots_wanted(context),
        lambda: plots.heatmap(
            grid,
            [f"{c:%Y-%m}" for c in labels],
            [str(i) for i in range(len(grid[0]) if grid else 0)],
            f"Retention by cohort, up to {month:%Y-%m}",
            xlabel="months since first purchase",
            ylabel="cohort",
        ),
        "retention heatmap",
    )
    return dg.MaterializeResult(metadata={**metadata, **png})


@LAYER.sql_asset(
    "rfm_snapshots",
    deps=[
        dg.AssetDep(cleaned_transactions, partition_mapping=ALL_HISTORY),
        dg.AssetDep(customer_returns, partition_mapping=ALL_HISTORY),
    ],
)
def rfm_snapshots(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, params: AnalysisParamsResource
) -> dg.MaterializeResult:
    """Every customer's recency, frequency and monetary value as of the month's last day, over the
    trailing window (default 12 months), with 1-5 scores and a named segment (`sql/rfm_snapshots.sql`).

    Ties share a score (see the SQL header for the rule); segments come from the rules table
    (default `sql/rfm_segment_rules.csv`, covering all 125 score cells). Only data up to the
    month's end is read, and the asset refuses to run while an earlier month is missing.
    """
    with month_step(context, warehouse, "cleaned_transactions") as (month, con):
        require_history(con, "customer_returns", month, since=add_months(month, -(params.window_months - 1)))
        sizes = build.build_rfm_snapshots(con, month, rfm_config(params)).segment_profile
        metadata = partition_metadata(con, "rfm_snapshots", month)
    png = plot(
        "segment_sizes",
        plots_wanted(context),
        lambda: plots.bars(
            sizes["rfm_segment"].tolist(),
            sizes["customers"].tolist(),
            f"Customers per RFM segment, {month:%Y-%m}",
            xlabel="customers",
        ),
        "segment sizes",
    )
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "window_months": dg.MetadataValue.int(params.window_months),
            "segment_profile": table_md(sizes),
            **png,
        }
    )


@LAYER.sql_asset("segment_migration", deps=[dg.AssetDep(rfm_snapshots, partition_mapping=PREVIOUS_AND_THIS)])
def segment_migration(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Customers moving from each RFM segment last month to each segment this month, including
    new and returning customers entering the window and customers leaving it
    (`sql/segment_migration.sql`). The metadata shows the transition matrix."""
    with month_step(context, warehouse) as (month, con):
        if month > first_month():
            require_history(con, "rfm_snapshots", month, since=add_months(month, -1))
        built = build.build_segment_migration(con, month)
        metadata = partition_metadata(con, "segment_migration", month)
    moves, previous = built.moves, built.previous

    def render() -> bytes:
        froms = sorted({m[0] for m in moves})
        tos = sorted({m[1] for m in moves})
        grid = [[next((m[3] for m in moves if m[0] == f and m[1] == t), None) for t in tos] for f in froms]
        return plots.heatmap(
            grid,
            froms,
            tos,
            f"Segment migration {previous:%Y-%m} -> {month:%Y-%m} (share of row)",
            xlabel="segment this month",
            ylabel="segment last month",
            cmap="Purples",
        )

    png = plot("migration_matrix", plots_wanted(context), render, "segment migration")
    return dg.MaterializeResult(metadata={**metadata, **png})
