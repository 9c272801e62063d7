"""Reactivation layer: which dormant customers to win back, chosen by a model proven out of time."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from rfm_assets.assets.configs import dormant_config
from rfm_assets.assets.decorators import monthly_multi_asset, status_metadata
from rfm_assets.assets.inputs import ALL_HISTORY
from rfm_assets.assets.layers import Layer
from rfm_assets.assets.metadata import partition_metadata, plot, plots_wanted, table_md
from rfm_assets.assets.steps import month_step
from rfm_assets.core.builds.reactivation import build_dormant_reactivation
from rfm_assets.core.dormant_campaign import export_csv
from rfm_assets.resources import AnalysisParamsResource, WarehouseResource

LAYER = Layer(
    "reactivation",
    ["team:marketing-analytics", "team:data-engineering"],
    frozenset({"duckdb", "python", "scikitlearn"}),
)


@monthly_multi_asset(
    LAYER.sql_spec(
        "dormant_features",
        deps=[dg.AssetDep("cleaned_transactions", partition_mapping=ALL_HISTORY)],
        description="The customers dormant as of the month (bought in M-5..M-3, nothing in "
        "M-2..M) with their features as of the month's last day: RFM, tenure, orders, "
        "average order value, basket size, product variety, trend and country "
        "(`sql/dormant_features.sql`; no line after the month's end is read).",
    ),
    LAYER.spec(
        "dormant_model_metrics",
        deps=["dormant_features", dg.AssetDep("customer_lifetime_value", partition_mapping=ALL_HISTORY)],
        description="Out-of-time comparison of the repurchase models (random forest, L1 and L2 "
        "logistic regression, gradient boosting) on the newest anchor whose 3-month outcome is "
        "known, trained only on older anchors: base rate, precision and recall at the campaign "
        "size, lift over random and over an RFM heuristic, AUC, revenue of the top k against a "
        "random k. The model is chosen on an earlier anchor (selection_anchor), so the lift "
        "reported here carries no selection bias. The metadata shows the gain chart.",
    ),
    LAYER.spec(
        "dormant_calibration",
        deps=["dormant_model_metrics"],
        description="Predicted vs realized repurchase rate per decile of the chosen model's "
        "calibrated probability on the evaluation anchor, calibrated as the month's list would "
        "have been then (on the anchor a year earlier: same calendar season). The metadata "
        "shows the calibration plot.",
    ),
    LAYER.spec(
        "dormant_targets",
        deps=["dormant_features", "dormant_model_metrics"],
        description="The ranked win-back list of the month: every customer dormant now with "
        "the chosen model's calibrated repurchase probability, expected revenue, rank, the "
        "value x frequency persona (Loyal, Regular, Big Fish, One-time), a suggested action, "
        "whether the campaign rule (top-N, share, or expected profit within a budget) "
        "selects them and, for the selected, the campaign group: a random control group "
        "(RFM_CONTROL_SHARE, stratified by persona) is held out. The treatment group is "
        "exported as CSV for email tools.",
    ),
)
def dormant_reactivation(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, params: AnalysisParamsResource
) -> Iterator[dg.MaterializeResult]:
    """Features of the dormant, model selection out of time, and the month's ranked target list."""
    # CLV features are used only when every anchor has them: require their ledger too, so the answer
    # does not depend on the order months were backfilled in.
    with month_step(context, warehouse, "cleaned_transactions", "customer_lifetime_value") as (month, con):
        result = build_dormant_reactivation(con, month, dormant_config(params))
        features_md = partition_metadata(con, "dormant_features", month)
        metrics_md = partition_metadata(con, "dormant_model_metrics", month)
        calibration_md = partition_metadata(con, "dormant_calibration", month)
        targets_md = partition_metadata(con, "dormant_targets", month)
    status = status_metadata(result.status, result.message)
    context.log.info(f"dormant {month:%Y-%m}: {result.status}: {result.message}")
    extra_metrics: dict = {}
    if result.evaluation is not None and result.chosen_model is not None:  # an evaluation follows a choice
        shown = result.metrics.drop(columns=["evaluation_anchor"]).round(4)
        chosen_lift = result.metrics.set_index("model")["lift_vs_random"].loc[result.chosen_model]
        extra_metrics = {
            "comparison": table_md(shown),
            "chosen_model": dg.MetadataValue.text(result.chosen_model),
            "chosen_lift_vs_random": dg.MetadataValue.float(float(chosen_lift)),
            **plot("gain_chart", plots_wanted(context), result.gain_png, "cumulative gain"),
        }
    extra_calibration: dict = {}
    if not result.calibration.empty:
        extra_calibration = {
            "deciles": table_md(result.calibration.drop(columns=["evaluation_anchor", "model"]).round(4)),
            **plot("calibration_plot", plots_wanted(context), result.calibration_png, "predicted vs realized"),
        }
    extra_targets: dict = {}
    if result.ok:
        path = Path(params.export_dir) / f"dormant_targets_{month:%Y-%m}.csv"
        n_exported = export_csv(result.targets, path)
        group = result.targets["campaign_group"]
        personas = (
            result.targets.assign(control=group.eq("control"))
            .groupby("persona")
            .agg(
                customers=("customer_id", "size"),
                selected=("selected", "sum"),
                control=("control", "sum"),
                mean_probability=("probability", "mean"),
            )
        )
        extra_targets = {
            "campaign_csv": dg.MetadataValue.path(str(path.resolve())),
            "customers_selected": dg.MetadataValue.int(int(result.targets["selected"].sum())),
            "customers_exported": dg.MetadataValue.int(n_exported),  # the treatment group
            "customers_control": dg.MetadataValue.int(int(group.eq("control").sum())),
            "expected_revenue_selected": dg.MetadataValue.float(
                float(result.targets.loc[result.targets["selected"], "expected_revenue"].sum())
            ),
            "personas": table_md(personas.round(4).reset_index()),
        }
    yield dg.MaterializeResult(asset_key="dormant_features", metadata=features_md)
    yield dg.MaterializeResult(asset_key="dormant_model_metrics", metadata={**metrics_md, **status, **extra_metrics})
    yield dg.MaterializeResult(
        asset_key="dormant_calibration", metadata={**calibration_md, **status, **extra_calibration}
    )
    yield dg.MaterializeResult(asset_key="dormant_targets", metadata={**targets_md, **status, **extra_targets})
