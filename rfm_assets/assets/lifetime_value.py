"""Lifetime-value layer: BG/NBD + Gamma-Gamma per monthly snapshot, and its monthly holdout check."""

import calendar
from collections.abc import Iterator

import dagster as dg

from rfm_assets.assets.configs import clv_config, holdout_config
from rfm_assets.assets.decorators import monthly_asset, monthly_multi_asset, status_metadata
from rfm_assets.assets.ingestion import OWNERS, cleaned_transactions
from rfm_assets.assets.inputs import ALL_HISTORY, require_history
from rfm_assets.assets.metadata import partition_metadata, plot, plots_wanted, table_md
from rfm_assets.core import clv, plots
from rfm_assets.core.builds.lifetime_value import ClvFitError, build_clv_holdout_metrics, build_clv_models
from rfm_assets.core.clv_holdout import overall_metrics
from rfm_assets.core.clv_seasonal import SeasonalIndex
from rfm_assets.partitions import partition_month
from rfm_assets.resources import AnalysisParamsResource, OrderSourceResource, WarehouseResource

GROUP = "lifetime_value"
KINDS = {"duckdb", "python", "pandas"}


def _float_or_null(value: float | None) -> dg.MetadataValue:
    """A float, or null where the metric is undefined (never 0, which would read as a measurement)."""
    return dg.MetadataValue.null() if value is None else dg.MetadataValue.float(float(value))


def _index_md(index: SeasonalIndex) -> str:
    """The seasonal index per calendar month with the years seen, the raw log ratio and its weight."""
    rows = ["| month | index | years seen | raw log(O/E) | weight |", "|---|---:|---:|---:|---:|"]
    for m in range(12):
        raw = index.raw_log_ratio[m]
        rows.append(
            f"| {calendar.month_abbr[m + 1]} | {index.values[m]:.3f} | {index.years_seen[m]} | "
            f"{'' if raw is None else f'{raw:.3f}'} | {index.weights[m]:.2f} |"
        )
    return "\n".join([f"{index.status}: {index.message}; calendar mean {index.level:.3f}", "", *rows])


def _params_vs_truth(fit: clv.ClvFit, truth: dict | None) -> str:
    rows = ["| model | param | fitted | true |", "|---|---|---:|---:|"]
    for model, fitted, key in (
        ("bg_nbd", fit.bg_params, "bg_nbd"),
        ("gamma_gamma", fit.gg_params, "gamma_gamma"),
    ):
        for name, value in fitted.items():
            true = (truth or {}).get(key, {}).get(name)
            rows.append(f"| {model} | {name} | {value:.4g} | {'' if true is None else f'{true:.4g}'} |")
    return "\n".join(rows)


@monthly_multi_asset(
    dg.AssetSpec(
        "customer_lifetime_value",
        deps=[dg.AssetDep(cleaned_transactions, partition_mapping=ALL_HISTORY)],
        description="Per customer as of the month's last day: lifetimes' frequency, recency, T "
        "(weeks) and monetary_value over the full history, P(alive), expected purchases and "
        "spend, and discounted 12-month CLV from BG/NBD + Gamma-Gamma, also seasonally adjusted "
        "(the _seasonal columns: a calendar index from the history applied as a clock). Months with too little "
        "history (under 25 weeks, or < 50 repeat customers) are written empty on purpose, with the reason in "
        "the metadata.",
        group_name=GROUP,
        kinds=KINDS,
        owners=OWNERS,
    ),
    dg.AssetSpec(
        "clv_model_params",
        deps=[dg.AssetDep(cleaned_transactions, partition_mapping=ALL_HISTORY)],
        description="The month's fitted BG/NBD (r, alpha, a, b) and Gamma-Gamma (p, q, v) "
        "parameters in long format, with the time unit in days, log-likelihoods, customers "
        "fitted, the penalizer used and the frequency-monetary correlation.",
        group_name=GROUP,
        kinds=KINDS,
        owners=OWNERS,
    ),
)
def clv_models(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    params: AnalysisParamsResource,
    order_source: OrderSourceResource,
) -> Iterator[dg.MaterializeResult]:
    """Fit BG/NBD + Gamma-Gamma on all history up to the month's end; score every customer."""
    month = partition_month(context)
    with warehouse.connect() as con:
        require_history(con, "cleaned_transactions", month)
        try:
            built = build_clv_models(con, month, clv_config(params))
        except ClvFitError as exc:
            raise dg.Failure(
                description=str(exc),
                metadata={"attempts": dg.MetadataValue.md("\n".join(f"- {a}" for a in exc.fit.attempts))},
            ) from exc
        clv_md = partition_metadata(con, "customer_lifetime_value", month)
        params_md = partition_metadata(con, "clv_model_params", month)
    fit, scores = built.fit, built.scores
    status = {
        **status_metadata(fit.status, fit.message),
        "fit_attempts": dg.MetadataValue.md("\n".join(f"- {a}" for a in fit.attempts) or "-"),
    }
    extra: dict = {}
    if built.fitted:
        extra = {
            **plot(
                "clv_distribution",
                plots_wanted(context),
                lambda: plots.histogram(
                    scores["clv_12m"], f"12-month CLV per customer, {month:%Y-%m}", xlabel="clv_12m"
                ),
                "CLV distribution",
            ),
            "total_clv_12m": dg.MetadataValue.float(float(scores["clv_12m"].sum())),
            "total_clv_12m_seasonal": dg.MetadataValue.float(float(scores["clv_12m_seasonal"].sum())),
            "seasonal_index": dg.MetadataValue.md(_index_md(built.index)),
            "frequency_monetary_corr": _float_or_null(fit.frequency_monetary_corr),
        }
        params_md["fitted_vs_true"] = dg.MetadataValue.md(_params_vs_truth(fit, order_source.truth()))
    yield dg.MaterializeResult(asset_key="customer_lifetime_value", metadata={**clv_md, **status, **extra})
    yield dg.MaterializeResult(asset_key="clv_model_params", metadata={**params_md, **status})


@monthly_asset(
    deps=[dg.AssetDep(cleaned_transactions, partition_mapping=ALL_HISTORY)],
    group_name=GROUP,
    kinds=KINDS,
    owners=OWNERS,
)
def clv_holdout_metrics(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, params: AnalysisParamsResource
) -> dg.MaterializeResult:
    """Does the CLV model predict? Fitted on history up to the end of month M-h (h = 6 by default),
    its predicted repeat purchases over the next h months are compared with what customers actually
    did: aggregate % error, per-customer MAE and correlation, overall and by frequency class, without
    and with the seasonal index of the calibration history (the ``_seasonal`` columns). Early months
    without enough calibration history are written empty, with the reason in the metadata.
    """
    month = partition_month(context)
    with warehouse.connect() as con:
        require_history(con, "cleaned_transactions", month)
        result = build_clv_holdout_metrics(con, month, holdout_config(params))
        metadata = partition_metadata(con, "clv_holdout_metrics", month)
    fitted = result.status == "fitted"
    extra: dict = status_metadata(result.status, result.message)
    if fitted:
        bf = result.by_frequency
        png = plot(
            "calibration_vs_holdout",
            plots_wanted(context),
            lambda: plots.lines(
                bf["calibration_frequency"],
                {
                    "actual": bf["mean_actual"],
                    "predicted": bf["mean_predicted"],
                    "predicted, seasonal": bf["mean_predicted_seasonal"],
                },
                f"Calibration vs holdout, {result.calibration_end:%Y-%m-%d} + {params.clv_holdout_months} months",
                xlabel="repeat purchases in calibration (10 = 10+)",
                ylabel="mean purchases in holdout",
            ),
            "calibration vs holdout",
        )
        extra |= {key: _float_or_null(value) for key, value in overall_metrics(result).items()}
        extra |= {
            "metrics": table_md(result.metrics.drop(columns=["snapshot_month"]).round(3)),
            "seasonal_index": dg.MetadataValue.md(_index_md(result.index)),
            **png,
        }
    return dg.MaterializeResult(metadata={**metadata, **extra})
