"""Typed single-row reads: DuckDB's ``fetchone()`` is ``tuple | None``; an aggregate query without
``group by`` always yields exactly one row, so these say so once instead of at every call site."""

from __future__ import annotations

from typing import Any

import duckdb


def one_row(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | dict[str, Any] | None = None) -> tuple:
    """The single row of ``query`` (an aggregate, or a lookup known to match); an error names the query
    when there is none."""
    row = con.execute(query, params or []).fetchone()
    if row is None:
        raise LookupError(f"query returned no row: {query}")
    return row


def scalar(con: duckdb.DuckDBPyConnection, query: str, params: list[Any] | dict[str, Any] | None = None) -> Any:
    """The first value of the single row of ``query``, e.g. ``select count(*) from t``."""
    return one_row(con, query, params)[0]
