"""Calibration/holdout check of the BG/NBD purchase predictions (pure, no dagster).

For month M and h holdout months: fit on every customer's history up to the last day of M - h (the
calibration end), predict each calibration customer's repeat purchases (distinct purchase days)
over the holdout, t = (days from the calibration end to the last day of M) / 7 weeks, and compare
with the purchase days they actually had in (calibration end, last day of M]. Both sides come from
:func:`clv_summary` as of those two days, so nothing after month M is ever read: a calibration
customer's holdout purchase days are the growth of their frequency between the two summaries.
Customers first seen in the holdout are not part of the check. When M - h is too early to fit, the
result has the calibration fit's status ('insufficient_history' or 'failed') and empty tables.

The ``_seasonal`` columns repeat the prediction with the calendar intensity index of
:mod:`rfm_assets.core.clv_seasonal` applied as a clock (:mod:`rfm_assets.core.clv_seasonal_predict`),
the index estimated from the calibration history only (up to the calibration end, with the
calibration fit): the holdout is never looked at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

from rfm_assets.core.clv import (
    TIME_UNIT_DAYS,
    ClvConfig,
    ClvFit,
    clv_summary,
    fit_clv,
    predict_purchases,
)
from rfm_assets.core.clv_seasonal import SeasonalIndex, seasonal_index
from rfm_assets.core.clv_seasonal_predict import holdout_boundaries, operational_history, predict_seasonal
from rfm_assets.core.lazy import np, pd
from rfm_assets.core.months import add_months, month_end, month_start

# (label, lowest, highest calibration frequency), highest None = no upper bound
FREQUENCY_CLASSES = (("all", 0, None), ("0", 0, 0), ("1", 1, 1), ("2", 2, 2), ("3-5", 3, 5), ("6+", 6, None))
BY_FREQUENCY_CAP = 10  # calibration frequencies >= this are pooled in the plot table's last row
METRIC_COLUMNS = [
    "snapshot_month",
    "calibration_end",
    "holdout_months",
    "frequency_class",
    "customers",
    "predicted_purchases",
    "actual_purchases",
    "pct_error",
    "mae",
    "correlation",
    "predicted_purchases_seasonal",
    "pct_error_seasonal",
    "mae_seasonal",
]
BY_FREQUENCY_COLUMNS = [
    "snapshot_month",
    "calibration_end",
    "holdout_months",
    "calibration_frequency",
    "customers",
    "mean_predicted",
    "mean_actual",
    "mean_predicted_seasonal",
]


@dataclass
class HoldoutResult:
    """Tidy metrics per frequency class, mean predicted/actual per calibration frequency, the fit."""

    status: str  # the calibration fit's status: 'fitted' | 'insufficient_history' | 'failed'
    message: str
    metrics: pd.DataFrame  # METRIC_COLUMNS, one row per FREQUENCY_CLASSES label
    by_frequency: pd.DataFrame  # BY_FREQUENCY_COLUMNS; calibration_frequency 10 means 10 or more
    fit: ClvFit
    calibration_end: date
    holdout_weeks: float
    index: SeasonalIndex = field(default_factory=SeasonalIndex)  # the calibration's seasonal index


def _optional(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def overall_metrics(result: HoldoutResult) -> dict[str, float | None]:
    """The 'all' class's aggregate % error, per-customer MAE and correlation, and the seasonally adjusted
    % error and MAE; None where undefined.

    % error is undefined when no calibration customer bought in the holdout, the correlation when
    either side is constant (e.g. all zero), everything when the calibration fit did not happen.
    """
    rows = result.metrics[result.metrics["frequency_class"] == "all"]
    row = rows.iloc[0] if len(rows) else {}
    return {
        key: None if pd.isna(value := row.get(column, pd.NA)) else float(value)
        for key, column in (
            ("aggregate_pct_error", "pct_error"),
            ("per_customer_mae", "mae"),
            ("per_customer_correlation", "correlation"),
            ("aggregate_pct_error_seasonal", "pct_error_seasonal"),
            ("per_customer_mae_seasonal", "mae_seasonal"),
        )
    }


def _pct_error(pred: np.ndarray, actual: np.ndarray) -> float | None:
    total_actual = float(actual.sum())
    return 100 * (float(pred.sum()) - total_actual) / total_actual if total_actual > 0 else None


def _class_metrics(pred: np.ndarray, actual: np.ndarray, seasonal: np.ndarray) -> dict[str, float | int | None]:
    n = len(pred)
    corr = None
    if n >= 2 and pred.std() > 0 and actual.std() > 0:
        corr = _optional(np.corrcoef(pred, actual)[0, 1])
    return {
        "customers": n,
        "predicted_purchases": float(pred.sum()),
        "actual_purchases": float(actual.sum()),
        "pct_error": _pct_error(pred, actual),
        "mae": float(np.abs(pred - actual).mean()) if n else None,
        "correlation": corr,
        "predicted_purchases_seasonal": float(seasonal.sum()),
        "pct_error_seasonal": _pct_error(seasonal, actual),
        "mae_seasonal": float(np.abs(seasonal - actual).mean()) if n else None,
    }


def _tables(month: date, calibration_end: date, holdout_months: int, frame: pd.DataFrame | None) -> tuple:
    keys = {"snapshot_month": month, "calibration_end": calibration_end, "holdout_months": holdout_months}
    metrics, by_frequency = [], []
    if frame is not None:
        freq = frame["frequency"].to_numpy()
        for label, low, high in FREQUENCY_CLASSES:
            mask = (freq >= low) & (freq <= (high if high is not None else np.inf))
            stats = _class_metrics(*(frame[k].to_numpy()[mask] for k in ("predicted", "actual", "seasonal")))
            metrics.append({**keys, "frequency_class": label, **stats})
        capped = frame.assign(calibration_frequency=np.minimum(freq, BY_FREQUENCY_CAP))
        grouped = capped.groupby("calibration_frequency").agg(
            customers=("actual", "size"),
            mean_predicted=("predicted", "mean"),
            mean_actual=("actual", "mean"),
            mean_predicted_seasonal=("seasonal", "mean"),
        )
        by_frequency = [{**keys, **row} for row in grouped.reset_index().to_dict("records")]
    metrics_df = pd.DataFrame(metrics, columns=METRIC_COLUMNS).astype(
        {
            "holdout_months": "int32",
            "frequency_class": "string",
            "customers": "int64",
            "predicted_purchases": "float64",
            "actual_purchases": "float64",
            "pct_error": "Float64",
            "mae": "Float64",
            "correlation": "Float64",
            "predicted_purchases_seasonal": "float64",
            "pct_error_seasonal": "Float64",
            "mae_seasonal": "Float64",
        }
    )
    by_frequency_df = pd.DataFrame(by_frequency, columns=BY_FREQUENCY_COLUMNS).astype(
        {
            "holdout_months": "int32",
            "calibration_frequency": "int32",
            "customers": "int64",
            "mean_predicted": "float64",
            "mean_actual": "float64",
            "mean_predicted_seasonal": "float64",
        }
    )
    return metrics_df, by_frequency_df


def holdout_metrics(
    con: duckdb.DuckDBPyConnection,
    month: date,
    holdout_months: int = 6,
    config: ClvConfig = ClvConfig(),  # noqa: B008
) -> HoldoutResult:
    """Fit on history up to month_end(M - h), compare predicted and actual purchases in the next h months."""
    if holdout_months < 1:
        raise ValueError(f"holdout_months must be >= 1, got {holdout_months}")
    month = month_start(month)
    end = month_end(month)
    calibration_end = month_end(add_months(month, -holdout_months))
    weeks = (end - calibration_end).days / TIME_UNIT_DAYS
    calibration = clv_summary(con, calibration_end)
    fit = fit_clv(calibration, config)
    if fit.status != "fitted":
        metrics, by_frequency = _tables(month, calibration_end, holdout_months, None)
        message = f"calibration up to {calibration_end}: {fit.message}"
        return HoldoutResult(fit.status, message, metrics, by_frequency, fit, calibration_end, weeks)
    index = seasonal_index(con, fit.bg_params, calibration, calibration_end)
    seasonal = predict_seasonal(
        fit.bg_params,
        operational_history(index, calibration, calibration_end),
        holdout_boundaries(index, calibration_end, holdout_months),
    )
    later = clv_summary(con, end)[["customer_id", "frequency"]]
    joined = calibration[["customer_id", "frequency"]].merge(
        later, on="customer_id", how="left", suffixes=("", "_end"), validate="one_to_one"
    )
    frame = pd.DataFrame(
        {
            "frequency": joined["frequency"].to_numpy(),
            "predicted": predict_purchases(fit, calibration, weeks),
            "actual": (joined["frequency_end"] - joined["frequency"]).to_numpy(dtype=float),
            "seasonal": seasonal,
        }
    )
    metrics, by_frequency = _tables(month, calibration_end, holdout_months, frame)
    total = metrics.iloc[0]
    message = (
        f"{total['customers']} calibration customers: {total['predicted_purchases']:.1f} predicted vs "
        f"{total['actual_purchases']:.0f} actual repeat purchases in {weeks:.1f} weeks "
        f"({total['predicted_purchases_seasonal']:.1f} predicted with the seasonal index)"
    )
    return HoldoutResult("fitted", message, metrics, by_frequency, fit, calibration_end, weeks, index)
