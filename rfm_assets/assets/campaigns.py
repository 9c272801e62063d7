"""Campaign layer: who was contacted, and what the campaign of M-3 measurably changed (vs its control group)."""

import warnings
from collections.abc import Iterator

import dagster as dg

from rfm_assets.assets.decorators import monthly_multi_asset, status_metadata
from rfm_assets.assets.inputs import require_history
from rfm_assets.assets.layers import Layer
from rfm_assets.assets.metadata import partition_metadata, plot, plots_wanted, table_md
from rfm_assets.assets.steps import month_step
from rfm_assets.core import plots
from rfm_assets.core.builds.campaigns import OUTCOME_LAG_MONTHS, build_campaign_contacts, build_campaign_outcomes
from rfm_assets.core.campaigns import OutcomeConfig
from rfm_assets.core.months import add_months
from rfm_assets.resources import AnalysisParamsResource, WarehouseResource

# the campaigns close the win-back loop of the reactivation layer
LAYER = Layer("reactivation", ["team:marketing-analytics"], frozenset({"duckdb", "python", "pandas"}))

with warnings.catch_warnings():  # allow_nonexistent_upstream_partitions is beta (see assets/inputs.py)
    warnings.simplefilter("ignore", dg.BetaWarning)
    CAMPAIGN_OF_M_MINUS_3 = dg.TimeWindowPartitionMapping(
        start_offset=-OUTCOME_LAG_MONTHS, end_offset=-OUTCOME_LAG_MONTHS, allow_nonexistent_upstream_partitions=True
    )
    OUTCOME_WINDOW = dg.TimeWindowPartitionMapping(
        start_offset=1 - OUTCOME_LAG_MONTHS, end_offset=0, allow_nonexistent_upstream_partitions=True
    )


@monthly_multi_asset(
    LAYER.spec(
        "campaign_contacts",
        deps=["dormant_targets"],
        description="Who the campaign chosen this month reached: the valid rows of the email tool's "
        "contacts_YYYY-MM.csv (RFM_CONTACTS_DIR), first contact per customer, bad rows quarantined and "
        "listed in the metadata; without a file, the treatment group is assumed contacted (the metadata says so).",
    )
)
def campaign_contacts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, params: AnalysisParamsResource
) -> Iterator[dg.MaterializeResult]:
    with month_step(context, warehouse) as (month, con):
        contacts = build_campaign_contacts(con, month, params.contacts_dir)
        metadata = partition_metadata(con, "campaign_contacts", month)
    assumed = contacts.source == "assumed"
    extra = {
        "contacts_source": dg.MetadataValue.text(
            "no contacts file: the treatment group is assumed contacted" if assumed else str(contacts.path)
        ),
        "contacted": dg.MetadataValue.int(len(contacts.rows)),
        "quarantined_rows": dg.MetadataValue.int(len(contacts.rejected)),
    }
    if len(contacts.rejected):
        extra["quarantined"] = table_md(contacts.rejected.head(50))
    yield dg.MaterializeResult(asset_key="campaign_contacts", metadata={**metadata, **extra})


@monthly_multi_asset(
    LAYER.spec(
        "campaign_outcomes",
        deps=[
            dg.AssetDep("dormant_targets", partition_mapping=CAMPAIGN_OF_M_MINUS_3),
            dg.AssetDep("campaign_contacts", partition_mapping=CAMPAIGN_OF_M_MINUS_3),
            dg.AssetDep("cleaned_transactions", partition_mapping=OUTCOME_WINDOW),
        ],
        description="The campaign of M-3, measured when its outcome window M-2..M is complete: repurchase "
        "rate and revenue of treatment vs the random control group, absolute uplift with 95% CIs "
        "(two-proportion; seeded bootstrap for revenue), incremental revenue, per persona, and the model's "
        "predicted rate next to the realized one. Below 30 customers per group it says the uplift cannot be "
        "measured yet. Empty while M-3 has no campaign groups.",
    )
)
def campaign_outcomes(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.MaterializeResult]:
    with month_step(context, warehouse) as (month, con):
        require_history(con, "cleaned_transactions", month, since=add_months(month, 1 - OUTCOME_LAG_MONTHS))
        built = build_campaign_outcomes(con, month, OutcomeConfig())
        metadata = partition_metadata(con, "campaign_outcomes", month)
    extra: dict = {
        **status_metadata(built.status, built.message),
        "campaign_month": dg.MetadataValue.text(f"{built.campaign_month:%Y-%m}"),
        "contacts_source": dg.MetadataValue.text(built.contacts_source),
    }
    if len(built.table):
        shown = built.table.drop(columns=["snapshot_month", "campaign_month", "status"])
        extra["outcomes"] = table_md(shown.round(4))
        title = f"Campaign {built.campaign_month:%Y-%m}, measured {month:%Y-%m}"
        extra |= plot(
            "uplift_plot", plots_wanted(context), lambda: plots.campaign_uplift_plot(built.table, title), "uplift"
        )
    yield dg.MaterializeResult(asset_key="campaign_outcomes", metadata={**metadata, **extra})
