"""Ingestion checks that warn, never block: months built empty on purpose.

- ``empty_month`` (raw_orders): the source has no lines for a month inside its span, so the month is
  built empty (a month without orders for every later asset). Worth a look, never a reason to stop.
- ``no_purchases`` (cleaned_transactions): the month has source lines but the cleaning rules removed
  every one of them (only cancellations, adjustments, ...), so it counts as a month without orders.
Both read the ledger (``_partitions``), which records why a month was written empty.
"""

from datetime import date

import dagster as dg
import duckdb

from rfm_assets.core.warehouse import built_empty_months, ledger_row_count
from rfm_assets.partitions import MONTHLY, partition_month
from rfm_assets.resources import WarehouseResource


def _ledger(con: duckdb.DuckDBPyConnection, table: str, month: date) -> tuple[int | None, str | None]:
    return ledger_row_count(con, table, month), built_empty_months(con, table).get(month)


def _result(passed: bool, description: str, rows: int | None, reason: str | None) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=passed, severity=dg.AssetCheckSeverity.WARN, description=description,
        metadata={"rows": dg.MetadataValue.int(rows or 0), "empty_reason": dg.MetadataValue.text(reason or "")},
    )


@dg.asset_check(asset="raw_orders", name="empty_month", partitions_def=MONTHLY, blocking=False,
                description="WARN when the month was built with no source lines (a month without orders).")
def empty_month(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    month = partition_month(context)
    with warehouse.connect() as con:
        rows, reason = _ledger(con, "raw_orders", month)
    if rows is None:
        return _result(False, f"raw_orders {month:%Y-%m} is not recorded as built", rows, reason)
    if rows:
        return _result(True, f"{rows:,} source lines in {month:%Y-%m}", rows, reason)
    return _result(False, f"{month:%Y-%m} has no source lines and was built empty on purpose ({reason}); "
                   "later assets count it as a month without orders", rows, reason)


@dg.asset_check(asset="cleaned_transactions", name="no_purchases", partitions_def=MONTHLY, blocking=False,
                description="WARN when the month has source lines but none is a valid purchase.")
def no_purchases(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
    month = partition_month(context)
    with warehouse.connect() as con:
        rows, reason = _ledger(con, "cleaned_transactions", month)
        raw = ledger_row_count(con, "raw_orders", month)
    if rows is None:
        return _result(False, f"cleaned_transactions {month:%Y-%m} is not recorded as built", rows, reason)
    if rows or not raw:  # purchases, or no lines at all (raw_orders' empty_month says so)
        return _result(True, f"{rows:,} purchase lines of {raw or 0:,} source lines in {month:%Y-%m}", rows, reason)
    return _result(False, f"{month:%Y-%m}: none of its {raw:,} source lines is a valid purchase ({reason})",
                   rows, reason)


INGESTION_CHECKS = [empty_month, no_purchases]
