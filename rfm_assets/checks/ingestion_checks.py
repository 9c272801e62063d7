"""Ingestion checks that warn, never block: months built empty on purpose.

- ``empty_month`` (raw_orders): the source has no lines for a month inside its span, so the month is
  built empty (a month without orders for every later asset). Worth a look, never a reason to stop.
- ``no_purchases`` (cleaned_transactions): the month has source lines but the cleaning rules removed
  every one of them (only cancellations, adjustments, ...), so it counts as a month without orders.
Both read the ledger (``_partitions``), which records why a month was written empty.
"""

from collections.abc import Callable
from datetime import date

import dagster as dg

from rfm_assets.core.warehouse import built_empty_months, ledger_row_count
from rfm_assets.partitions import MONTHLY, partition_month
from rfm_assets.resources import WarehouseResource


def _verdict(table: str, empty_means: Callable[[date, int, int, str | None], tuple[bool, str]]):  # noqa: ANN202
    """The body of a ledger check on ``table``: not built fails; otherwise ``empty_means(month, rows,
    raw_orders rows, empty reason)`` says whether the month passes and why."""

    def evaluate(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        month = partition_month(context)
        with warehouse.connect() as con:
            rows = ledger_row_count(con, table, month)
            reason = built_empty_months(con, table).get(month)
            raw = ledger_row_count(con, "raw_orders", month)
        if rows is None:
            passed, description = False, f"{table} {month:%Y-%m} is not recorded as built"
        else:
            passed, description = empty_means(month, rows, raw or 0, reason)
        return dg.AssetCheckResult(
            passed=passed,
            severity=dg.AssetCheckSeverity.WARN,
            description=description,
            metadata={"rows": dg.MetadataValue.int(rows or 0), "empty_reason": dg.MetadataValue.text(reason or "")},
        )

    return evaluate


def _no_lines(month: date, rows: int, raw: int, reason: str | None) -> tuple[bool, str]:
    if rows:
        return True, f"{rows:,} source lines in {month:%Y-%m}"
    return False, (
        f"{month:%Y-%m} has no source lines and was built empty on purpose ({reason}); "
        "later assets count it as a month without orders"
    )


def _no_purchases(month: date, rows: int, raw: int, reason: str | None) -> tuple[bool, str]:
    if rows or not raw:  # purchases, or no lines at all (raw_orders' empty_month says so)
        return True, f"{rows:,} purchase lines of {raw:,} source lines in {month:%Y-%m}"
    return False, f"{month:%Y-%m}: none of its {raw:,} source lines is a valid purchase ({reason})"


empty_month = dg.asset_check(
    asset="raw_orders",
    name="empty_month",
    partitions_def=MONTHLY,
    blocking=False,
    description="WARN when the month was built with no source lines (a month without orders).",
)(_verdict("raw_orders", _no_lines))

no_purchases = dg.asset_check(
    asset="cleaned_transactions",
    name="no_purchases",
    partitions_def=MONTHLY,
    blocking=False,
    description="WARN when the month has source lines but none is a valid purchase.",
)(_verdict("cleaned_transactions", _no_purchases))


INGESTION_CHECKS = [empty_month, no_purchases]
