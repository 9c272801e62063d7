"""Frames written with fixed column types, even when empty: every such construction is here.

(The empty CLV frames take their types from the tables' sidecars, ``core.sqlfiles.empty_frame``.)
"""

from __future__ import annotations

import pandas as pd

from rfm_assets.core.sqlfiles import empty_frame

CLV_COLUMNS = [
    "snapshot_month",
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "p_alive",
    "expected_purchases_12m",
    "expected_avg_order_value",
    "clv_12m",
]
DORMANT_METRIC_COLUMNS = [
    "snapshot_month",
    "evaluation_anchor",
    "model",
    "n_customers",
    "n_buyers",
    "base_rate",
    "k",
    "buyers_in_top_k",
    "precision_at_k",
    "recall_at_k",
    "auc",
    "revenue_top_k",
    "revenue_random_k",
    "lift_vs_random",
    "lift_vs_heuristic",
    "revenue_lift",
    "chosen",
]
DORMANT_TARGET_COLUMNS = [
    "snapshot_month",
    "customer_id",
    "country",
    "frequency",
    "monetary",
    "probability",
    "expected_revenue",
    "expected_profit",
    "rank",
    "persona",
    "suggested_action",
    "selected",
]


def typed(frame: pd.DataFrame, columns: list[str], dtypes: dict[str, str]) -> pd.DataFrame:
    """``frame`` with exactly ``columns``; an empty frame still carries the column types."""
    out = frame.reindex(columns=columns)
    return out.astype({c: t for c, t in dtypes.items() if c in out.columns})


def empty_clv_scores() -> pd.DataFrame:
    """customer_lifetime_value's columns (without snapshot_month), no rows: a month too short to fit.
    Typed by the table's sidecar (``sql/customer_lifetime_value.yml`` ``types``)."""
    return empty_frame("customer_lifetime_value", CLV_COLUMNS[1:])


def empty_clv_params() -> pd.DataFrame:
    """clv_model_params' columns, no rows, typed by its sidecar."""
    return empty_frame("clv_model_params")


def dormant_metrics(frame: pd.DataFrame) -> pd.DataFrame:
    """dormant_model_metrics' columns and types (evaluation_anchor is cast to DATE when written)."""
    return typed(
        frame,
        DORMANT_METRIC_COLUMNS,
        {
            "snapshot_month": "datetime64[s]",
            "evaluation_anchor": "datetime64[s]",
            "model": "string",
            "n_customers": "int64",
            "n_buyers": "int64",
            "k": "int64",
            "chosen": "bool",
            **{c: "float64" for c in DORMANT_METRIC_COLUMNS[6:-1] if c != "k"},
        },
    )


def dormant_targets(frame: pd.DataFrame) -> pd.DataFrame:
    """dormant_targets' columns and types."""
    return typed(
        frame,
        DORMANT_TARGET_COLUMNS,
        {
            "snapshot_month": "datetime64[s]",
            "customer_id": "string",
            "country": "string",
            "frequency": "int64",
            "monetary": "float64",
            "probability": "float64",
            "expected_revenue": "float64",
            "expected_profit": "float64",
            "rank": "int64",
            "persona": "string",
            "suggested_action": "string",
            "selected": "bool",
        },
    )
