"""Monthly partitions: from the source's first to last month unless configured otherwise.

- ``RFM_START_MONTH`` / ``RFM_END_MONTH`` (YYYY-MM) override either end.
- ``RFM_END_MONTH=live``: no fixed end; partitions run up to the last complete calendar month,
  so a live shop's monthly schedule always finds the month that just ended.

Loading the definitions reads no line of the source: the source's months come from the range its
last staging recorded (``core/sources/month_range.py``; every run stages in ``raw_orders``, and
``rfm-assets run`` stages before loading). When the files changed since, that range is used until
the next staging refreshes it (a warning says so; reload the code location after the run). Only a
source never staged in this data folder is staged at load, once, since nothing else can tell its months.
The embedded default dataset's months are known from its settings without generating it.
"""

from __future__ import annotations

import logging
from datetime import date

import dagster as dg

from rfm_assets.core.default_source import default_month_range
from rfm_assets.core.months import add_months, month_start
from rfm_assets.core.sources import source_month_range
from rfm_assets.core.sources.month_range import recorded_month_range
from rfm_assets.resources import OrderSourceResource, from_settings
from rfm_assets.settings import Settings


def month_range(settings: Settings) -> tuple[date, date]:
    """The first and last month the partitions should cover."""
    if settings.start_month and (settings.end_month or settings.live):
        return settings.start_month, settings.end_month or settings.start_month
    if settings.source is None:
        first, last = default_month_range(settings.default_scale)
    else:
        spec = from_settings(OrderSourceResource, settings).spec()  # the source the assets stage
        recorded = recorded_month_range(spec, settings.staging_dir)
        if recorded is not None and not recorded.current:
            logging.getLogger(__name__).warning(
                f"{settings.source} changed since it was last staged: the partitions end at {recorded.last:%Y-%m} "
                "until the next run stages it (reload the code location then to see new months)"
            )
        first, last = (recorded.first, recorded.last) if recorded else source_month_range(spec, settings.staging_dir)
    return settings.start_month or first, settings.end_month or last


def monthly_partitions(settings: Settings) -> dg.MonthlyPartitionsDefinition:
    """The partitions definition every monthly asset shares."""
    first, last = month_range(settings)
    if settings.live:
        return dg.MonthlyPartitionsDefinition(start_date=first.isoformat())
    return dg.MonthlyPartitionsDefinition(start_date=first.isoformat(), end_date=add_months(last, 1).isoformat())


SETTINGS = Settings.from_env()  # the environment, read once: the partitions and (definitions.py) the resources
MONTHLY = monthly_partitions(SETTINGS)


def partition_month(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> date:
    """The month (first day) of the partition being materialized or checked."""
    return month_start(context.partition_key)
