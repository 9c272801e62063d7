"""The ledger of built partitions (``_partitions``), written in the same transaction as the data.

It tells "built, empty" apart from "never built", which the point-in-time guards of later assets
need. Columns: table_name, snapshot_month, row_count, empty_reason (why a month was written with no
rows; null when it has rows). Ledgers written before empty_reason existed gain the column on the next
write. On a lake (no primary keys there) a month's row is deleted, then inserted.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb

from rfm_assets.core import lake

LEDGER = "_partitions"
DEFAULT_EMPTY_REASON = "no rows; empty allowed for this table"


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """True when ``table`` exists in the main schema of the default catalog (temp tables do not count)."""
    row = con.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = current_database() and table_schema = 'main' and table_name = ?",
        [table],
    ).fetchone()
    return bool(row and row[0])


def one(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None) -> tuple[Any, ...]:
    """The single row of an aggregate query."""
    row = con.execute(query, params or []).fetchone()
    assert row is not None, query  # an aggregate without group by always yields one row
    return row


def record(con: duckdb.DuckDBPyConnection, table: str, month: date, n_rows: int, empty_reason: str | None) -> None:
    """Record ``month`` of ``table`` as built with ``n_rows`` (inside the caller's write transaction)."""
    if lake.is_lake_connection(con):  # no primary keys on a lake: delete, then insert
        con.execute(
            f"create table if not exists {LEDGER} (table_name varchar, snapshot_month date, row_count bigint, "
            "empty_reason varchar)"
        )
        con.execute(f"delete from {LEDGER} where table_name = ? and snapshot_month = ?", [table, month])
        con.execute(f"insert into {LEDGER} values (?, ?, ?, ?)", [table, month, n_rows, empty_reason])
        return
    con.execute(
        f"create table if not exists {LEDGER} (table_name varchar, snapshot_month date, row_count bigint, "
        "empty_reason varchar, primary key (table_name, snapshot_month))"
    )
    con.execute(f"alter table {LEDGER} add column if not exists empty_reason varchar")  # older ledgers
    con.execute(
        f"insert or replace into {LEDGER} (table_name, snapshot_month, row_count, empty_reason) values (?, ?, ?, ?)",
        [table, month, n_rows, empty_reason],
    )


def built_months(con: duckdb.DuckDBPyConnection, table: str) -> set[date]:
    """Months of ``table`` that have been written (including months written empty on purpose)."""
    if not table_exists(con, LEDGER):
        return set()
    rows = con.execute(f"select snapshot_month from {LEDGER} where table_name = ?", [table]).fetchall()
    return {r[0] for r in rows}


def ledger_row_count(con: duckdb.DuckDBPyConnection, table: str, month: date) -> int | None:
    """Rows the ledger records for ``month`` of ``table`` when last written; None if never built."""
    if not table_exists(con, LEDGER):
        return None
    row = con.execute(
        f"select row_count from {LEDGER} where table_name = ? and snapshot_month = ?", [table, month]
    ).fetchone()
    return None if row is None else int(row[0])


def built_empty_months(con: duckdb.DuckDBPyConnection, table: str) -> dict[date, str]:
    """Months of ``table`` written empty on purpose, with the reason recorded (every row-count-0 month:
    only an explicitly allowed empty write records one; older ledgers give a generic reason)."""
    if not table_exists(con, LEDGER):
        return {}
    has_reason = one(
        con,
        "select count(*) from information_schema.columns where table_name = ? and column_name = 'empty_reason'",
        [LEDGER],
    )[0]
    reason = "coalesce(empty_reason, ?)" if has_reason else "?"
    rows = con.execute(
        f"select snapshot_month, {reason} from {LEDGER} where table_name = ? and row_count = 0",
        [DEFAULT_EMPTY_REASON, table],
    ).fetchall()
    return {m: r for m, r in rows}


def is_built_empty(con: duckdb.DuckDBPyConnection, table: str, month: date) -> bool:
    """True when the ledger records ``month`` of ``table`` as built with no rows, on purpose."""
    return ledger_row_count(con, table, month) == 0
