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
import duckdb

from rfm_assets.checks.table_checks import CheckGroup, TableCheck, Verdict, single
from rfm_assets.core.warehouse import built_empty_months, ledger_row_count


def ledger_verdict(
    con: duckdb.DuckDBPyConnection,
    table: str,
    month: date,
    empty_means: Callable[[date, int, int, str | None], tuple[bool, str]],
) -> Verdict:
    """A ledger check of ``table``: not built fails; otherwise ``empty_means(month, rows, raw_orders rows,
    empty reason)`` says whether the month passes and why."""
    rows = ledger_row_count(con, table, month)
    reason = built_empty_months(con, table).get(month)
    raw = ledger_row_count(con, "raw_orders", month)
    if rows is None:
        passed, description = False, f"{table} {month:%Y-%m} is not recorded as built"
    else:
        passed, description = empty_means(month, rows, raw or 0, reason)
    return Verdict(
        passed,
        description,
        {"rows": dg.MetadataValue.int(rows or 0), "empty_reason": dg.MetadataValue.text(reason or "")},
    )


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


def ingestion_groups() -> list[CheckGroup]:
    """``empty_month`` on raw_orders and ``no_purchases`` on cleaned_transactions, both WARN."""
    return [
        single(
            "raw_orders",
            TableCheck(
                "empty_month", "WARN when the month was built with no source lines (a month without orders).", False
            ),
            lambda con, month, window: ledger_verdict(con, "raw_orders", month, _no_lines),
        ),
        single(
            "cleaned_transactions",
            TableCheck("no_purchases", "WARN when the month has source lines but none is a valid purchase.", False),
            lambda con, month, window: ledger_verdict(con, "cleaned_transactions", month, _no_purchases),
        ),
    ]
