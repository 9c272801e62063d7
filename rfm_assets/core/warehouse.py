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

from rfm_assets.core import lake, ledger
from rfm_assets.core.ledger import (  # noqa: F401 - re-exported: the warehouse's public API
    DEFAULT_EMPTY_REASON,
    LEDGER,
    built_empty_months,
    built_months,
    is_built_empty,
    ledger_row_count,
    table_exists,
)
from rfm_assets.core.ledger import (
    one as _one,
)
from rfm_assets.core.quoting import quote_ident

PARTITION_COLUMN = "snapshot_month"


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
    path: str | Path, *, read_only: bool = False, lock_timeout_s: float = 600.0, data_path: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse, waiting (with backoff) while another process holds DuckDB's file lock.

    A ``ducklake:postgres:<dsn>`` target opens the lake instead (``data_path``: its Parquet folder);
    there several processes write at once and nothing waits for a lock."""
    if lake.is_lake(path):
        with lake.connect_lake(str(path), data_path, read_only=read_only) as con:
            yield con
        return
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
    # Staged and checked before the write transaction, which stays short: on a lake, a commit that
    # loses a race with another writer is retried (write only) without recomputing the query.
    con.execute(f"create or replace temp table {stage} as {query}", params or {})
    try:
        n_rows = _check_stage(con, table, stage, month, allow_empty)

        def write() -> None:
            with transaction(con):
                if n_rows == 0 and keep_nonempty:
                    before = ledger_row_count(con, table, month)
                    if before:
                        raise PartitionEmptiedError(table, month, before)
                _swap_in(con, table, stage, month, empty=n_rows == 0)
                _record(con, table, month, n_rows, None if n_rows else (empty_reason or DEFAULT_EMPTY_REASON))

        lake.retry_conflicts(write)
    finally:
        con.execute(f"drop table if exists temp.main.{stage}")
    return int(n_rows)


def _check_stage(con: duckdb.DuckDBPyConnection, table: str, stage: str, month: date, allow_empty: bool) -> int:
    """Rows of the staged month after checking them (cast ``snapshot_month`` to DATE if needed)."""
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
    if types[PARTITION_COLUMN] != "DATE":  # e.g. a pandas frame's timestamps: copy once, cast
        con.execute(
            f"create or replace temp table {stage} as "
            f"select * replace ({PARTITION_COLUMN}::date as {PARTITION_COLUMN}) from {stage}"
        )
    return int(n_rows)


def _record(con: duckdb.DuckDBPyConnection, table: str, month: date, n_rows: int, empty_reason: str | None) -> None:
    ledger.record(con, table, month, n_rows, empty_reason)


def _swap_in(con: duckdb.DuckDBPyConnection, table: str, stage: str, month: date, *, empty: bool) -> None:
    if not table_exists(con, table):
        _create_from(con, table, stage)
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
        _create_from(con, table, stage)
        return
    con.execute(f"delete from {table} where {PARTITION_COLUMN} = ?", [month])
    con.execute(f"insert into {table} by name select * from {stage}")


def _create_from(con: duckdb.DuckDBPyConnection, table: str, stage: str) -> None:
    con.execute(f"create table {table} as select * from {stage}")
    if lake.is_lake_connection(con):  # one Parquet file per month, whatever later maintenance merges
        con.execute(f"alter table {table} set partitioned by ({PARTITION_COLUMN})")


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

    def write() -> int:
        with transaction(con):
            con.execute(f"create or replace table {table} as {query}", params or {})
            return int(_one(con, f"select count(*) from {table}")[0])

    return lake.retry_conflicts(write)


def table_checksum(con: duckdb.DuckDBPyConnection, table: str, exclude: tuple[str, ...] = ()) -> str:
    """Order-independent checksum of a table's contents (schema included), for idempotency proofs."""
    schema = _schema(con, table)
    cols = [name for name, _ in schema if name not in exclude]
    col_list = ", ".join(quote_ident(c) for c in cols)
    n_rows, digest = _one(con, f"select count(*), coalesce(sum(hash(({col_list}))::hugeint), 0) from {table}")
    return hashlib.sha256(f"{schema}|{n_rows}|{digest}".encode()).hexdigest()
