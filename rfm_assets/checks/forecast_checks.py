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
import duckdb

from rfm_assets.checks.table_checks import CheckGroup, TableCheck, Verdict, single
from rfm_assets.core.forecasting import ForecastConfig
from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months
from rfm_assets.quality.runner import Report, validate

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


def horizon_frame(con: duckdb.DuckDBPyConnection, month: date) -> "pd.DataFrame":
    """Per series: distinct forecast months and rows."""
    return con.execute(HORIZON_SQL, [month]).df()


def reconcile_frame(con: duckdb.DuckDBPyConnection, month: date, window_months: int) -> "pd.DataFrame":
    """Per day of the RFM window: the cluster series' sum, the customer revenue, their gap."""
    frame = con.execute(RECONCILE_SQL, [month, add_months(month, -(window_months - 1))]).df()
    return frame.assign(gap=(frame["clusters"] - frame["customers"]).abs())


def _verdict(report: Report) -> Verdict:
    return Verdict(
        report.success,
        (
            f"{len(report.failures)} of {len(report.outcomes)} expectations failed"
            if report.failures
            else f"all {len(report.outcomes)} expectations met"
        ),
        {"result": dg.MetadataValue.md(report.describe()), "rows_validated": dg.MetadataValue.int(report.row_count)},
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


def horizon_verdict(con: duckdb.DuckDBPyConnection, month: date, window_months: int) -> Verdict:
    """Every series of the month's forecasts has exactly the configured horizon's months."""
    frame = horizon_frame(con, month)
    return _verdict(validate(frame, "forecast_horizon", horizon_expectations(ForecastConfig().horizon_months)))


def reconcile_verdict(con: duckdb.DuckDBPyConnection, month: date, window_months: int) -> Verdict:
    """Inside the RFM window, the cluster histories add up to the customer revenue day by day."""
    frame = reconcile_frame(con, month, window_months)
    return _verdict(validate(frame, "forecast_history_reconciles", reconcile_expectations()))


def forecast_groups() -> list[CheckGroup]:
    """``horizon_per_series`` on cluster_revenue_forecasts and ``clusters_reconcile`` on
    forecast_revenue_history, both blocking."""
    return [
        single(
            "cluster_revenue_forecasts",
            TableCheck(
                "horizon_per_series",
                "Every series has exactly the forecast horizon's distinct months "
                f"(ForecastConfig.horizon_months, {ForecastConfig.horizon_months}), one row each.",
                blocking=True,
            ),
            horizon_verdict,
        ),
        single(
            "forecast_revenue_history",
            TableCheck(
                "clusters_reconcile",
                "Inside the RFM window the cluster histories add up to the "
                "customer part of company revenue, day by day.",
                blocking=True,
            ),
            reconcile_verdict,
        ),
    ]
