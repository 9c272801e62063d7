"""How a monthly asset step starts: its month, a warehouse connection, and the inputs' history checked."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import dagster as dg
import duckdb

from rfm_assets.assets.inputs import require_history
from rfm_assets.partitions import partition_month
from rfm_assets.resources import WarehouseResource


@contextmanager
def month_step(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, *history: str
) -> Iterator[tuple[date, duckdb.DuckDBPyConnection]]:
    """``(month, connection)`` of the partition being materialized, once each table of ``history`` holds
    every month up to it (:func:`~rfm_assets.assets.inputs.require_history`, in that order)."""
    month = partition_month(context)
    with warehouse.connect() as con:
        for table in history:
            require_history(con, table, month)
        yield month, con
