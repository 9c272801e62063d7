"""The DuckDB warehouse: connections that wait for the write lock, and atomic partition writes.

Why not dagster-duckdb's IO manager: it rewrites a partition as DELETE then INSERT outside a
transaction (a crash between the two leaves the month empty) and turns an empty frame into a
deleted month with only a warning. Here every write stages the new rows, checks them, and swaps
them in with one transaction, so readers and crashes only ever see the old month or the new one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from rfm_assets.core.quoting import quote_ident

PARTITION_COLUMN = "snapshot_month"
# Ledger of built partitions, written in the same transaction as the data: tells "built, empty"
# apart from "never built", which the point-in-time guards of later assets need. Columns:
# table_name, snapshot_month, row_count, empty_reason (why a month was written with no rows; null
# when it has rows). Ledgers written before empty_reason existed gain the column on the next write.
LEDGER = "_partitions"
DEFAULT_EMPTY_REASON = "no rows; empty allowed for this table"


class WarehouseError(RuntimeError):
    """A write that was refused; the warehouse keeps its previous contents."""


class PartitionEmptiedError(WarehouseError):
    """A month the ledger records with rows would be written empty (the source lost its data)."""

    def __init__(self, table: str, month: date, before: int) -> None:
        self.table, self.month, self.before = table, month, before
        super().__init__(
            f"{table}: {month:%Y-%m} held {before:,} rows when last built and the new data has 0; refusing "
            "to empty a month that had data (the previous contents are kept)"
        )


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """``begin transaction`` ... ``commit``; any exception (even KeyboardInterrupt) rolls back and re-raises."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


@contextmanager
def connect(
    path: str | Path, *, read_only: bool = False, lock_timeout_s: float = 600.0
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, waiting (with backoff) while another process holds DuckDB's file lock."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout_s
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 2.0)
    try:
        yield con
    finally:
        con.close()


def table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """True when ``table`` exists in the main schema."""
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'main' and table_name = ?",
        [table],
    ).fetchone()
    return bool(row and row[0])


def _one(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | None = None) -> tuple[Any, ...]:
    """The single row of an aggregate query."""
    row = con.execute(query, params or []).fetchone()
    assert row is not None, query  # an aggregate without group by always yields one row
    return row


def _schema(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"describe {relation}").fetchall()]


def replace_partition(
    con: duckdb.DuckDBPyConnection,
    table: str,
    month: date,
    query: str,
    params: dict[str, Any] | None = None,
    *,
    allow_empty: bool = False,
    empty_reason: str | None = None,
    keep_nonempty: bool = False,
) -> int:
    """Replace exactly ``month`` of ``table`` with the rows of ``query``, atomically.

    The query must yield a ``snapshot_month`` column equal to ``month`` on every row. An empty
    result is refused unless ``allow_empty`` (a month that legitimately has no rows), and then the
    ledger records ``empty_reason``. With ``keep_nonempty`` an empty result is also refused
    (:class:`PartitionEmptiedError`) when the ledger records the month with rows. A refused or
    failed write rolls back and leaves the table as it was. Returns the number of rows written.
    """
    stage = f"__stage_{table}"
    with transaction(con):
        con.execute(f"create or replace temp table {stage} as {query}", params or {})
        types = dict(_schema(con, stage))
        if PARTITION_COLUMN not in types:
            raise WarehouseError(f"{table}: the new rows have no {PARTITION_COLUMN} column")
        n_rows, n_outside = _one(
            con,
            f"select count(*), count(*) filter (where {PARTITION_COLUMN} is distinct from ?) from {stage}",
            [month],
        )
        if n_outside:
            raise WarehouseError(
                f"{table}: {n_outside} of {n_rows} new rows have {PARTITION_COLUMN} != {month}; refusing to write"
            )
        if n_rows == 0 and not allow_empty:
            raise WarehouseError(
                f"{table}: no rows for {month:%Y-%m}; refusing to replace the month with nothing "
                "(the previous contents are kept)"
            )
        if n_rows == 0 and keep_nonempty:
            before = ledger_row_count(con, table, month)
            if before:
                raise PartitionEmptiedError(table, month, before)
        if types[PARTITION_COLUMN] != "DATE":  # e.g. a pandas frame's timestamps: copy once, cast
            con.execute(
                f"create or replace temp table {stage} as "
                f"select * replace ({PARTITION_COLUMN}::date as {PARTITION_COLUMN}) from {stage}"
            )
        _swap_in(con, table, stage, month, empty=n_rows == 0)
        _record(con, table, month, int(n_rows), None if n_rows else (empty_reason or DEFAULT_EMPTY_REASON))
        con.execute(f"drop table {stage}")
    return int(n_rows)


def _record(con: duckdb.DuckDBPyConnection, table: str, month: date, n_rows: int, empty_reason: str | None) -> None:
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
    has_reason = _one(
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


def _swap_in(con: duckdb.DuckDBPyConnection, table: str, stage: str, month: date, *, empty: bool) -> None:
    if not table_exists(con, table):
        con.execute(f"create table {table} as select * from {stage}")
        return
    if empty:  # a month written empty on purpose: no rows, so its column types do not matter
        con.execute(f"delete from {table} where {PARTITION_COLUMN} = ?", [month])
        return
    old, new = _schema(con, table), _schema(con, stage)
    if old != new:
        other_months = _one(con, f"select count(*) from {table} where {PARTITION_COLUMN} is distinct from ?", [month])[
            0
        ]
        if other_months:
            raise WarehouseError(
                f"{table}: the new rows' schema {new} differs from the stored schema {old}, and other "
                f"months hold {other_months} rows in the old one. Drop the table "
                f"(drop table {table}) and rebuild every month, e.g. `rfm-assets run`."
            )
        con.execute(f"drop table {table}")
        con.execute(f"create table {table} as select * from {stage}")
        return
    con.execute(f"delete from {table} where {PARTITION_COLUMN} = ?", [month])
    con.execute(f"insert into {table} by name select * from {stage}")


def replace_partition_frame(
    con: duckdb.DuckDBPyConnection,
    table: str,
    month: date,
    frame: Any,
    *,
    allow_empty: bool = False,
    select: str = "*",
) -> int:
    """Like :func:`replace_partition` for an in-memory frame (polars, pandas or arrow).

    ``select`` is the select list applied to the frame, e.g. ``* replace (d::date as d)`` to store
    a frame's timestamp column as a DATE.
    """
    name = f"__frame_{table}"
    con.register(name, frame)
    try:
        return replace_partition(con, table, month, f"select {select} from {name}", allow_empty=allow_empty)
    finally:
        con.unregister(name)


def replace_table(con: duckdb.DuckDBPyConnection, table: str, query: str, params: dict | None = None) -> int:
    """Replace a whole unpartitioned table in one transaction."""
    with transaction(con):
        con.execute(f"create or replace table {table} as {query}", params or {})
        n_rows = _one(con, f"select count(*) from {table}")[0]
    return int(n_rows)


def table_checksum(con: duckdb.DuckDBPyConnection, table: str, exclude: tuple[str, ...] = ()) -> str:
    """Order-independent checksum of a table's contents (schema included), for idempotency proofs."""
    schema = _schema(con, table)
    cols = [name for name, _ in schema if name not in exclude]
    col_list = ", ".join(quote_ident(c) for c in cols)
    n_rows, digest = _one(con, f"select count(*), coalesce(sum(hash(({col_list}))::hugeint), 0) from {table}")
    return hashlib.sha256(f"{schema}|{n_rows}|{digest}".encode()).hexdigest()
