"""Reactivation layer: which dormant customers to win back, chosen by a model proven out of time."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd

from rfm_assets.assets.inputs import ALL_HISTORY, first_month, require_history
from rfm_assets.assets.metadata import image, partition_metadata
from rfm_assets.core import dormant
from rfm_assets.core.dormant_campaign import CampaignConfig, export_csv
from rfm_assets.core.sqlfiles import load_sql
from rfm_assets.core.warehouse import replace_partition, replace_partition_frame
from rfm_assets.partitions import MONTHLY, partition_month
from rfm_assets.resources import AnalysisParamsResource, WarehouseResource

GROUP = "reactivation"
OWNERS = ["team:marketing-analytics", "team:data-engineering"]
KINDS = {"duckdb", "python", "scikitlearn"}
METRIC_COLUMNS = ["snapshot_month", "evaluation_anchor", "model", "n_customers", "n_buyers", "base_rate", "k",
                  "buyers_in_top_k", "precision_at_k", "recall_at_k", "auc", "revenue_top_k", "revenue_random_k",
                  "lift_vs_random", "lift_vs_heuristic", "revenue_lift", "chosen"]
TARGET_COLUMNS = ["snapshot_month", "customer_id", "country", "frequency", "monetary", "probability",
                  "expected_revenue", "expected_profit", "rank", "persona", "suggested_action", "selected"]


def campaign_config(params: AnalysisParamsResource) -> CampaignConfig:
    """The campaign rule from the operator's settings (top-N, share, or profit with a budget)."""
    return CampaignConfig(top_n=params.campaign_top_n, share=params.campaign_share,
                          contact_cost=params.contact_cost, margin=params.margin, budget=params.campaign_budget)


def _typed(frame: pd.DataFrame, columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    """``frame`` with exactly ``columns``; an empty frame still carries the column types."""
    out = frame.reindex(columns=columns)
    return out.astype({c: t for c, t in dtypes.items() if c in out.columns})


@dg.multi_asset(
    specs=[
        dg.AssetSpec("dormant_features",
                     deps=[dg.AssetDep("cleaned_transactions", partition_mapping=ALL_HISTORY)],
                     description="The customers dormant as of the month (bought in M-5..M-3, nothing in "
                     "M-2..M) with their features as of the month's last day: RFM, tenure, orders, "
                     "average order value, basket size, product variety, trend and country "
                     "(`sql/dormant_features.sql`; no line after the month's end is read).",
                     group_name=GROUP, kinds={"duckdb", "sql"}, owners=OWNERS),
        dg.AssetSpec("dormant_model_metrics",
                     deps=["dormant_features", dg.AssetDep("customer_lifetime_value", partition_mapping=ALL_HISTORY)],
                     description="Out-of-time comparison of the repurchase models (random forest, L1 and L2 "
                     "logistic regression, gradient boosting) on the newest anchor whose 3-month outcome is "
                     "known, trained only on older anchors: base rate, precision and recall at the campaign "
                     "size, lift over random and over an RFM heuristic, AUC, revenue of the top k against a "
                     "random k. The metadata shows the gain chart.",
                     group_name=GROUP, kinds=KINDS, owners=OWNERS),
        dg.AssetSpec("dormant_targets", deps=["dormant_features", "dormant_model_metrics"],
                     description="The ranked win-back list of the month: every customer dormant now with "
                     "the chosen model's calibrated repurchase probability, expected revenue, rank, the "
                     "value x frequency persona (Loyal, Regular, Big Fish, One-time), a suggested action "
                     "and whether the campaign rule (top-N, share, or expected profit within a budget) "
                     "selects them. The selected list is exported as CSV for email tools.",
                     group_name=GROUP, kinds=KINDS, owners=OWNERS),
    ],
    partitions_def=MONTHLY,
    can_subset=False,
)
def dormant_reactivation(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, params: AnalysisParamsResource
) -> Iterator[dg.MaterializeResult]:
    """Features of the dormant, model selection out of time, and the month's ranked target list."""
    month = partition_month(context)
    config = campaign_config(params)
    with warehouse.connect() as con:
        require_history(con, "cleaned_transactions", month)
        # CLV features are used only when every anchor has them: require the ledger so the answer
        # does not depend on the order months were backfilled in.
        require_history(con, "customer_lifetime_value", month)
        replace_partition(con, "dormant_features", month, load_sql("dormant_features"), {"anchor_month": month},
                          allow_empty=True)
        result = dormant.run_dormant(con, month, config, first_month=first_month())
        metrics = result.metrics.assign(snapshot_month=month) if not result.metrics.empty else result.metrics
        con.register("__dormant_metrics", _typed(metrics, METRIC_COLUMNS, {
            "snapshot_month": "datetime64[s]", "evaluation_anchor": "datetime64[s]", "model": "string",
            "n_customers": "int64", "n_buyers": "int64", "k": "int64", "chosen": "bool",
            **{c: "float64" for c in METRIC_COLUMNS[6:-1] if c != "k"}}))
        replace_partition(con, "dormant_model_metrics", month, "select * replace (evaluation_anchor::date as "
                          "evaluation_anchor) from __dormant_metrics", allow_empty=True)
        con.unregister("__dormant_metrics")
        replace_partition_frame(con, "dormant_targets", month, _typed(result.targets, TARGET_COLUMNS, {
            "snapshot_month": "datetime64[s]", "customer_id": "string", "country": "string", "frequency": "int64",
            "monetary": "float64", "probability": "float64", "expected_revenue": "float64",
            "expected_profit": "float64", "rank": "int64", "persona": "string", "suggested_action": "string",
            "selected": "bool"}), allow_empty=True)
        features_md = partition_metadata(con, "dormant_features", month)
        metrics_md = partition_metadata(con, "dormant_model_metrics", month)
        targets_md = partition_metadata(con, "dormant_targets", month)
    status = {"status": dg.MetadataValue.text(result.status), "message": dg.MetadataValue.text(result.message)}
    context.log.info(f"dormant {month:%Y-%m}: {result.status}: {result.message}")
    extra_metrics: dict = {}
    if result.evaluation is not None:
        shown = result.metrics.drop(columns=["evaluation_anchor"]).round(4)
        chosen = result.metrics.set_index("model").loc[result.chosen_model]
        extra_metrics = {
            "comparison": dg.MetadataValue.md(shown.to_markdown(index=False)),
            "chosen_model": dg.MetadataValue.text(result.chosen_model or ""),
            "chosen_lift_vs_random": dg.MetadataValue.float(float(chosen["lift_vs_random"])),
            "gain_chart": image(result.gain_png(), "cumulative gain"),
        }
    extra_targets: dict = {}
    if result.ok:
        path = Path(params.export_dir) / f"dormant_targets_{month:%Y-%m}.csv"
        n_exported = export_csv(result.targets, path)
        personas = result.targets.groupby("persona").agg(customers=("customer_id", "size"),
                                                         selected=("selected", "sum"),
                                                         mean_probability=("probability", "mean"))
        extra_targets = {
            "campaign_csv": dg.MetadataValue.path(str(path.resolve())),
            "customers_selected": dg.MetadataValue.int(n_exported),
            "expected_revenue_selected": dg.MetadataValue.float(
                float(result.targets.loc[result.targets["selected"], "expected_revenue"].sum())),
            "personas": dg.MetadataValue.md(personas.round(4).reset_index().to_markdown(index=False)),
        }
    yield dg.MaterializeResult(asset_key="dormant_features", metadata=features_md)
    yield dg.MaterializeResult(asset_key="dormant_model_metrics", metadata={**metrics_md, **status, **extra_metrics})
    yield dg.MaterializeResult(asset_key="dormant_targets", metadata={**targets_md, **status, **extra_targets})
