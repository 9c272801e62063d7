"""Frames written with fixed column types, even when empty: every such construction is here.

(The empty CLV frames take their types from the tables' sidecars, ``core.sqlfiles.empty_frame``.)
"""

from __future__ import annotations

from rfm_assets.core.lazy import pd
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
    "expected_next_order_date",
    "p_order_30d",
    "p_order_90d",
    "expected_purchases_12m_seasonal",
    "clv_12m_seasonal",
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
    "selection_anchor",
    "selection_auc",
]
DORMANT_CALIBRATION_COLUMNS = [
    "snapshot_month",
    "evaluation_anchor",
    "calibration_anchor",
    "season_shift",
    "model",
    "decile",
    "n_customers",
    "mean_predicted",
    "realized_rate",
    "n_buyers",
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
    "campaign_group",
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


_DTYPES = {"D": "datetime64[s]", "S": "string", "I": "int64", "F": "float64", "B": "bool"}  # "-": as computed


def _dtypes(columns: list[str], codes: str) -> dict[str, str]:
    """``{column: dtype}`` from one code per column (see ``_DTYPES``)."""
    return {c: _DTYPES[k] for c, k in zip(columns, codes.split(), strict=True) if k != "-"}


DORMANT_METRIC_TYPES = _dtypes(DORMANT_METRIC_COLUMNS, "D D S I I - I F F F F F F F F F B D F")
DORMANT_CALIBRATION_TYPES = _dtypes(DORMANT_CALIBRATION_COLUMNS, "D D D F S I I F F I")
DORMANT_TARGET_TYPES = _dtypes(DORMANT_TARGET_COLUMNS, "D S S I F F F F I S S B S")


def dormant_metrics(frame: pd.DataFrame) -> pd.DataFrame:
    """dormant_model_metrics' columns and types (evaluation_anchor is cast to DATE when written)."""
    return typed(frame, DORMANT_METRIC_COLUMNS, DORMANT_METRIC_TYPES)


def dormant_calibration(frame: pd.DataFrame) -> pd.DataFrame:
    """dormant_calibration's columns and types (the anchors are cast to DATE when written)."""
    return typed(frame, DORMANT_CALIBRATION_COLUMNS, DORMANT_CALIBRATION_TYPES)


def dormant_targets(frame: pd.DataFrame) -> pd.DataFrame:
    """dormant_targets' columns and types."""
    return typed(frame, DORMANT_TARGET_COLUMNS, DORMANT_TARGET_TYPES)
