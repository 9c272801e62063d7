"""Builds of the lifetime-value layer: BG/NBD + Gamma-Gamma per month, and its holdout check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from rfm_assets.core import clv
from rfm_assets.core.builds.frames import CLV_COLUMNS, empty_clv_params, empty_clv_scores
from rfm_assets.core.clv_holdout import HoldoutResult, holdout_metrics
from rfm_assets.core.clv_next_order import next_order_columns
from rfm_assets.core.clv_predict import monthly_discount_rate
from rfm_assets.core.clv_seasonal import SeasonalIndex, index_params, seasonal_index
from rfm_assets.core.clv_seasonal_predict import seasonal_scores
from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import month_end
from rfm_assets.core.warehouse import replace_partition_frame

if TYPE_CHECKING:
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pd = lazy("pandas")


class ClvFitError(RuntimeError):
    """The CLV fit failed outright (not merely too little history); nothing was written."""

    def __init__(self, month: date, fit: clv.ClvFit) -> None:
        self.month, self.fit = month, fit
        super().__init__(f"CLV fit failed for {month:%Y-%m}: {fit.message}")


@dataclass(frozen=True)
class HoldoutConfig:
    holdout_months: int  # h: fit up to M-h, predict the next h months
    clv: clv.ClvConfig


@dataclass(frozen=True)
class ClvBuild:
    fit: clv.ClvFit  # status 'fitted' or 'insufficient_history' (then both tables are written empty)
    summary: pd.DataFrame  # lifetimes' frequency/recency/T/monetary_value per customer, as of the month's end
    scores: pd.DataFrame  # the rows written to customer_lifetime_value
    index: SeasonalIndex  # the seasonal index behind the _seasonal columns (flat when not fitted)

    @property
    def fitted(self) -> bool:
        return self.fit.status == "fitted"


def build_clv_models(con: duckdb.DuckDBPyConnection, month: date, cfg: clv.ClvConfig) -> ClvBuild:
    """customer_lifetime_value and clv_model_params for ``month``, fitted on all history up to its end.

    Too little history writes both empty (allowed); a failed fit raises :class:`ClvFitError` first.
    """
    summary = clv.clv_summary(con, month_end(month))
    fit = clv.fit_clv(summary, cfg)
    if fit.status == "failed":
        raise ClvFitError(month, fit)
    fitted = fit.status == "fitted"
    index = SeasonalIndex(message="no CLV fit: no seasonal index")
    if fitted:
        as_of = month_end(month)
        scores = clv.score_customers(fit, summary, cfg)
        scores = scores.join(next_order_columns(fit.bg_params, scores, as_of))
        index = seasonal_index(con, fit.bg_params, summary, as_of)
        rate = monthly_discount_rate(cfg.annual_discount_rate)
        aov = scores["expected_avg_order_value"].to_numpy()
        scores = scores.join(
            seasonal_scores(fit.bg_params, summary.reset_index(drop=True), index, as_of, cfg.horizon_months, rate, aov)
        )
    else:
        scores = empty_clv_scores()
    scores.insert(0, "snapshot_month", month)
    replace_partition_frame(
        con,
        "customer_lifetime_value",
        month,
        scores[CLV_COLUMNS],
        allow_empty=not fitted,
        select="* replace (expected_next_order_date::date as expected_next_order_date)",
    )
    long = empty_clv_params()
    if fitted:
        seasonal = [(month, "seasonal", k, float(v)) for k, v in index_params(index).items()]
        long = pd.concat([clv.params_long(fit, month), pd.DataFrame(seasonal, columns=list(long.columns))])
    replace_partition_frame(con, "clv_model_params", month, long, allow_empty=not fitted)
    return ClvBuild(fit, summary, scores, index)


def build_clv_holdout_metrics(con: duckdb.DuckDBPyConnection, month: date, cfg: HoldoutConfig) -> HoldoutResult:
    """clv_holdout_metrics for ``month`` (written empty while the calibration history is too short)."""
    result = holdout_metrics(con, month, cfg.holdout_months, cfg.clv)
    replace_partition_frame(con, "clv_holdout_metrics", month, result.metrics, allow_empty=result.status != "fitted")
    return result
