"""Forecast checks that need more than one row at a time, run by great-expectations on aggregates.

- ``horizon_per_series``: every series has exactly the horizon's distinct future months.
- ``clusters_reconcile``: inside the RFM window every buying customer has a cluster, so there the
  cluster histories must add up to the customer part of company revenue, day by day.
Both are blocking: a forecast with a missing month or a history that lost customers is wrong.
Settings come from the same places the assets read them at run time, never from the environment at
import: the RFM window from the ``params`` resource, the horizon from the forecast configuration the
asset uses (:class:`~rfm_assets.core.forecasting.ForecastConfig`). great-expectations is imported
when a check runs, not when the code loads.
"""

from datetime import date
from typing import TYPE_CHECKING

import dagster as dg

from rfm_assets.core.forecasting import ForecastConfig
from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months
from rfm_assets.partitions import MONTHLY, partition_month
from rfm_assets.quality.runner import Report, validate
from rfm_assets.resources import AnalysisParamsResource, WarehouseResource

if TYPE_CHECKING:
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pd = lazy("pandas")

TOLERANCE = 0.01  # currency units per day: sums are exact decimals, so this only absorbs rounding

HORIZON_SQL = """
select series, count(distinct ds) as months, count(*) as n_rows
from cluster_revenue_forecasts where snapshot_month = ? group by series
"""
RECONCILE_SQL = """
select ds,
       coalesce(sum(revenue) filter (where series not in ('company', 'company_customers')), 0) as clusters,
       coalesce(sum(revenue) filter (where series = 'company_customers'), 0) as customers
from forecast_revenue_history
where snapshot_month = ? and ds >= ?
group by ds
"""


def horizon_frame(con: object, month: date) -> "pd.DataFrame":
    """Per series: distinct forecast months and rows."""
    return con.execute(HORIZON_SQL, [month]).df()


def reconcile_frame(con: object, month: date, window_months: int) -> "pd.DataFrame":
    """Per day of the RFM window: the cluster series' sum, the customer revenue, their gap."""
    frame = con.execute(RECONCILE_SQL, [month, add_months(month, -(window_months - 1))]).df()
    return frame.assign(gap=(frame["clusters"] - frame["customers"]).abs())


def _result(report: Report) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=report.success,
        description=(
            f"{len(report.failures)} of {len(report.outcomes)} expectations failed"
            if report.failures
            else f"all {len(report.outcomes)} expectations met"
        ),
        metadata={"result": dg.MetadataValue.md(report.describe()), "rows_validated": report.row_count},
    )


def horizon_expectations(horizon_months: int) -> list:
    """Every series has exactly ``horizon_months`` distinct months, one row each."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="months", min_value=horizon_months, max_value=horizon_months),
        gxe.ExpectColumnValuesToBeBetween(column="n_rows", min_value=horizon_months, max_value=horizon_months),
    ]


def reconcile_expectations() -> list:
    """At least one day, and no day whose cluster sum is off the customer revenue by more than TOLERANCE."""
    import great_expectations.expectations as gxe

    return [
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="gap", min_value=0, max_value=TOLERANCE),
    ]


@dg.asset_check(
    asset="cluster_revenue_forecasts",
    name="horizon_per_series",
    partitions_def=MONTHLY,
    blocking=True,
    description="Every series has exactly the forecast horizon's distinct months "
    f"(ForecastConfig.horizon_months, {ForecastConfig.horizon_months}), one row each.",
)
def horizon_per_series(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        frame = horizon_frame(con, partition_month(context))
    return _result(validate(frame, "forecast_horizon", horizon_expectations(ForecastConfig().horizon_months)))


@dg.asset_check(
    asset="forecast_revenue_history",
    name="clusters_reconcile",
    partitions_def=MONTHLY,
    blocking=True,
    description="Inside the RFM window the cluster histories add up to the "
    "customer part of company revenue, day by day.",
)
def clusters_reconcile(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, params: AnalysisParamsResource
) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        frame = reconcile_frame(con, partition_month(context), params.window_months)
    return _result(validate(frame, "forecast_history_reconciles", reconcile_expectations()))


FORECAST_CHECKS = [horizon_per_series, clusters_reconcile]
