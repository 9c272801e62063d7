"""The great-expectations suite of every asset, per partition month.

Each suite is a function of the month so that range expectations (dates inside the month) can be
stated exactly. Blocking suites guard what would corrupt downstream assets: schema, keys, nulls,
ranges.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import partial

from rfm_assets.core.months import add_months
from rfm_assets.core.sources.quarantine import REASONS as QUARANTINE_REASONS
from rfm_assets.core.sqlfiles import load_sidecar
from rfm_assets.quality.lazy_gx import gxe  # great_expectations, imported when a check runs

Suite = Callable[[date], list]

FLOAT_RENDERED_ID = r"\.0+$"


def _columns(name: str) -> gxe.ExpectTableColumnsToMatchSet:
    return gxe.ExpectTableColumnsToMatchSet(column_set=list(load_sidecar(name).columns), exact_match=True)


def _in_month(column: str, month: date) -> gxe.ExpectColumnValuesToBeBetween:
    start = datetime(month.year, month.month, 1)
    end = datetime.combine(add_months(month, 1), datetime.min.time())
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=start, max_value=end, strict_max=True)


def raw_orders_suite(month: date) -> list:
    """Source lines: typed, traceable to file and row, inside the month, ids never float-rendered."""
    return [
        _columns("raw_orders"),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="invoice_date"),
        _in_month("invoice_date", month),
        gxe.ExpectColumnValuesToNotBeNull(column="source_file"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_file", "source_row"]),
        gxe.ExpectColumnValuesToNotMatchRegex(column="customer_id", regex=FLOAT_RENDERED_ID),
    ]


def cleaned_transactions_suite(month: date) -> list:
    """Purchase lines: positive quantities, prices and revenue, no cancellations, keys present."""
    return [
        _columns("cleaned_transactions"),
        gxe.ExpectColumnValuesToNotBeNull(column="order_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="line_revenue"),
        gxe.ExpectColumnValuesToBeBetween(column="line_revenue", min_value=0, strict_min=True),
        gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=0, strict_min=True),
        gxe.ExpectColumnValuesToBeBetween(column="unit_price", min_value=0, strict_min=True),
        gxe.ExpectColumnValuesToNotMatchRegex(column="invoice", regex=r"^[CcAa]"),
        _in_month("invoice_date", month),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_file", "source_row"]),
        gxe.ExpectColumnValuesToNotMatchRegex(column="customer_id", regex=FLOAT_RENDERED_ID),
    ]


def quarantined_lines_suite(month: date) -> list:
    """Held-back lines: a known reason and the offending values on each, traceable to file and row, dated.
    Usually empty, which it accepts."""
    return [
        _columns("quarantined_lines"),
        gxe.ExpectColumnValuesToNotBeNull(column="reason"),
        gxe.ExpectColumnValuesToBeInSet(column="reason", value_set=list(QUARANTINE_REASONS)),
        gxe.ExpectColumnValuesToNotBeNull(column="offending_values"),
        gxe.ExpectColumnValuesToNotBeNull(column="source_file"),
        gxe.ExpectColumnValuesToNotBeNull(column="invoice_date"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_file", "source_row"]),
    ]


def customer_returns_suite(month: date) -> list:
    """One row per customer, positive returned value."""
    return [
        _columns("customer_returns"),
        gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
        gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
        gxe.ExpectColumnValuesToBeBetween(column="returned_value", min_value=0, strict_min=True),
    ]


def cohort_retention_suite(month: date) -> list:
    """One row per cohort; retention a share; active customers never exceed the cohort."""
    return [
        _columns("cohort_retention"),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column="cohort_month"),
        gxe.ExpectColumnValuesToNotBeNull(column="cohort_month"),
        gxe.ExpectColumnValuesToBeBetween(column="retention_rate", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="months_since_first", min_value=0),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="cohort_size", column_B="active_customers", or_equal=True),
        gxe.ExpectColumnValuesToBeBetween(column="revenue", min_value=0),
    ]


def rfm_snapshots_suite(month: date, window_months: int = 12) -> list:
    """Keys unique, scores 1-5, every customer labelled, recency inside the window, F >= 1, M > 0."""
    window_days = (add_months(month, 1) - add_months(month, -(window_months - 1))).days - 1
    return [
        _columns("rfm_snapshots"),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
        gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=1, max_value=5)
          for c in ("r_score", "f_score", "m_score", "fm_score")],
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in ("r_score", "f_score", "m_score", "rfm_segment")],
        gxe.ExpectColumnValuesToBeBetween(column="recency_days", min_value=0, max_value=window_days),
        gxe.ExpectColumnValuesToBeBetween(column="frequency", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="monetary", min_value=0, strict_min=True),
        gxe.ExpectColumnValuesToBeBetween(column="tenure_days", min_value=0),
    ]


def segment_migration_suite(month: date) -> list:
    """One row per move, positive counts, shares in [0, 1]."""
    return [
        _columns("segment_migration"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["from_segment", "to_segment"]),
        gxe.ExpectColumnValuesToBeBetween(column="customers", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="share_of_from", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="from_segment"),
        gxe.ExpectColumnValuesToNotBeNull(column="to_segment"),
    ]


def customer_clusters_suite(month: date) -> list:
    """One row per customer, every customer in a named cluster."""
    return [
        _columns("customer_clusters"),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="cluster_name"),
        gxe.ExpectColumnValuesToBeBetween(column="cluster_id", min_value=1, max_value=12),
    ]


def cluster_profiles_suite(month: date) -> list:
    """One row per cluster, shares in [0, 1]."""
    return [
        _columns("cluster_profiles"),
        gxe.ExpectColumnValuesToBeUnique(column="cluster_id"),
        gxe.ExpectColumnValuesToBeUnique(column="cluster_name"),
        gxe.ExpectColumnValuesToBeBetween(column="customer_share", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="revenue_share", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="customers", min_value=1),
    ]


FINITE = 1e15  # "finite": GX's range checks reject +-inf beyond this bound; NaN is caught as null


def customer_lifetime_value_suite(month: date) -> list:
    """One row per customer; p_alive in [0, 1]; expected purchases, spend and CLV finite and >= 0.
    Early months are empty on purpose (too little history), which this suite accepts."""
    return [
        _columns("customer_lifetime_value"),
        gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
        gxe.ExpectColumnValuesToBeBetween(column="p_alive", min_value=0, max_value=1),
        *[gxe.ExpectColumnValuesToNotBeNull(column=c)
          for c in ("p_alive", "expected_purchases_12m", "expected_avg_order_value", "clv_12m")],
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=FINITE)
          for c in ("expected_purchases_12m", "expected_avg_order_value", "clv_12m", "frequency", "T")],
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="T", column_B="recency", or_equal=True),
    ]


def clv_model_params_suite(month: date) -> list:
    """One row per (model, param), known models, every value finite."""
    return [
        _columns("clv_model_params"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["model", "param"]),
        gxe.ExpectColumnValuesToBeInSet(column="model", value_set=["bg_nbd", "gamma_gamma"]),
        gxe.ExpectColumnValuesToNotBeNull(column="value"),
        gxe.ExpectColumnValuesToBeBetween(column="value", min_value=-FINITE, max_value=FINITE),
    ]


def clv_holdout_metrics_suite(month: date) -> list:
    """One row per frequency class, non-negative counts and purchases."""
    return [
        _columns("clv_holdout_metrics"),
        gxe.ExpectColumnValuesToBeUnique(column="frequency_class"),
        gxe.ExpectColumnValuesToBeBetween(column="customers", min_value=0),
        gxe.ExpectColumnValuesToBeBetween(column="predicted_purchases", min_value=0, max_value=FINITE),
        gxe.ExpectColumnValuesToBeBetween(column="actual_purchases", min_value=0, max_value=FINITE),
    ]


def forecast_revenue_history_suite(month: date) -> list:
    """One row per series and day, revenue >= 0, days up to the month's end, the company series present."""
    return [
        _columns("forecast_revenue_history"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["series", "ds"]),
        gxe.ExpectColumnValuesToNotBeNull(column="revenue"),
        gxe.ExpectColumnValuesToBeBetween(column="revenue", min_value=0, max_value=FINITE),
        gxe.ExpectColumnValuesToBeBetween(column="ds", max_value=datetime.combine(add_months(month, 1),
                                                                                 datetime.min.time()),
                                          strict_max=True),
        gxe.ExpectColumnDistinctValuesToContainSet(column="series", value_set=["company", "company_customers"]),
    ]


def cluster_revenue_forecasts_suite(month: date, horizon_months: int = 24) -> list:
    """lo_95 <= lo_80 <= forecast <= hi_80 <= hi_95, no NaN, one row per series and month, the months
    after the snapshot month (24 per series: the custom check `horizon_per_series`)."""
    bounds = ["lo_95", "lo_80", "forecast", "hi_80", "hi_95"]
    first = datetime.combine(add_months(month, 1), datetime.min.time())
    last = datetime.combine(add_months(month, horizon_months), datetime.min.time())
    return [
        _columns("cluster_revenue_forecasts"),
        gxe.ExpectTableRowCountToBeBetween(min_value=horizon_months),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["series", "ds"]),
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in [*bounds, "series", "ds", "model"]],
        *[gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A=hi, column_B=lo, or_equal=True)
          for lo, hi in zip(bounds, bounds[1:], strict=False)],
        gxe.ExpectColumnValuesToBeBetween(column="lo_95", min_value=0, max_value=FINITE),
        gxe.ExpectColumnValuesToBeBetween(column="hi_95", min_value=0, max_value=FINITE),
        gxe.ExpectColumnValuesToBeBetween(column="ds", min_value=first, max_value=last),
        gxe.ExpectColumnValuesToBeInSet(column="grain", value_set=["monthly", "weekly"]),
    ]


def forecast_backtest_metrics_suite(month: date) -> list:
    """One row per series, model and grain; finite non-negative errors; one chosen model per series."""
    return [
        _columns("forecast_backtest_metrics"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["series", "model", "grain"]),
        gxe.ExpectColumnValuesToBeBetween(column="mase", min_value=0, max_value=FINITE),
        gxe.ExpectColumnValuesToBeBetween(column="smape", min_value=0, max_value=200),
        gxe.ExpectColumnValuesToBeBetween(column="interval_scale", min_value=1, max_value=FINITE),
        gxe.ExpectColumnValuesToNotBeNull(column="mase"),
        gxe.ExpectColumnValuesToBeInSet(column="grain", value_set=["monthly", "weekly"]),
    ]


def dormant_features_suite(month: date) -> list:
    """One row per dormant customer; recency spans at least the two dormant months; F >= 1, M > 0."""
    return [
        _columns("dormant_features"),
        gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
        gxe.ExpectColumnValuesToBeBetween(column="recency_days", min_value=(add_months(month, 1) - add_months(month, -2)).days,
                                          max_value=(add_months(month, 1) - add_months(month, -5)).days),
        gxe.ExpectColumnValuesToBeBetween(column="frequency", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="monetary", min_value=0, strict_min=True),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="tenure_days", column_B="recency_days", or_equal=True),
    ]


def dormant_model_metrics_suite(month: date) -> list:
    """One row per model; rates, precision, recall and AUC in [0, 1]; at most one chosen model."""
    return [
        _columns("dormant_model_metrics"),
        gxe.ExpectColumnValuesToBeUnique(column="model"),
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=1)
          for c in ("base_rate", "precision_at_k", "recall_at_k", "auc")],
        gxe.ExpectColumnValuesToBeBetween(column="k", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="evaluation_anchor",
                                          max_value=datetime.combine(add_months(month, -3), datetime.min.time())),
    ]


def dormant_targets_suite(month: date) -> list:
    """One row per customer, probabilities in [0, 1], ranks unique 1..n, a known persona."""
    return [
        _columns("dormant_targets"),
        gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
        gxe.ExpectColumnValuesToBeBetween(column="probability", min_value=0, max_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="probability"),
        gxe.ExpectColumnValuesToBeUnique(column="rank"),
        gxe.ExpectColumnValuesToBeBetween(column="rank", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="expected_revenue", min_value=0, max_value=FINITE),
        gxe.ExpectColumnValuesToBeInSet(column="persona", value_set=["Loyal", "Regular", "Big Fish", "One-time"]),
    ]


def build_suites(window_months: int = 12) -> dict[str, Suite]:
    """Every asset's suite, keyed by table (= asset) name."""
    return {
        "raw_orders": raw_orders_suite,
        "cleaned_transactions": cleaned_transactions_suite,
        "quarantined_lines": quarantined_lines_suite,
        "customer_returns": customer_returns_suite,
        "cohort_retention": cohort_retention_suite,
        "rfm_snapshots": partial(rfm_snapshots_suite, window_months=window_months),
        "segment_migration": segment_migration_suite,
        "customer_clusters": customer_clusters_suite,
        "cluster_profiles": cluster_profiles_suite,
        "customer_lifetime_value": customer_lifetime_value_suite,
        "clv_model_params": clv_model_params_suite,
        "clv_holdout_metrics": clv_holdout_metrics_suite,
        "forecast_revenue_history": forecast_revenue_history_suite,
        "cluster_revenue_forecasts": cluster_revenue_forecasts_suite,
        "forecast_backtest_metrics": forecast_backtest_metrics_suite,
        "dormant_features": dormant_features_suite,
        "dormant_model_metrics": dormant_model_metrics_suite,
        "dormant_targets": dormant_targets_suite,
    }
