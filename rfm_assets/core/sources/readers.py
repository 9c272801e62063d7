"""One source file -> one or more *units* (a CSV, a Parquet file, each data sheet of a workbook),
each a DuckDB relation of the file's raw columns plus ``__source_row``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from rfm_assets.core.sources.csv_reader import csv_scan_sql, prepare_csv
from rfm_assets.core.sources.errors import SourceError
from rfm_assets.core.sources.typing_sql import sql_literal
from rfm_assets.core.sources.xlsx_reader import xlsx_to_parquet


@dataclass(frozen=True)
class Unit:
    label: str  # source_file value: the file name, or 'file.xlsx[sheet]'
    file: Path
    kind: str  # csv | parquet | xlsx
    sql: str  # the raw relation
    columns: dict[str, str]  # source column -> DuckDB type (without __source_row)
    read_path: str  # the file DuckDB reads (a UTF-8 copy, a converted sheet, or the file itself)
    encoding: str | None = None


def open_units(
    con: duckdb.DuckDBPyConnection, path: Path, workdir: Path, check_header: Callable[[str, list[str]], object]
) -> list[Unit]:
    """The units of ``path``; ``check_header(label, columns)`` runs on each before any data is read."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        readable, encoding, header = prepare_csv(path, workdir)
        check_header(path.name, header)
        sql = csv_scan_sql(readable, header)
        return [Unit(path.name, path, "csv", sql, dict.fromkeys(header, "VARCHAR"), str(readable), encoding)]
    if suffix == ".parquet":
        sql = _parquet_sql(path)
        columns = _describe(con, sql, path.name)
        check_header(path.name, list(columns))
        return [Unit(path.name, path, "parquet", sql, columns, str(path))]
    sheets = xlsx_to_parquet(path, workdir, check_header)
    units = []
    for label, parquet in sheets:
        sql = f"select * from read_parquet({sql_literal(str(parquet))})"
        units.append(Unit(label, path, "xlsx", sql, _describe(con, sql, label), str(parquet)))
    return units


def _parquet_sql(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(max(0, path.stat().st_size - 4))
        tail = fh.read(4)
    if not head:
        raise SourceError(path.name, "the file is empty (0 bytes)")
    if head != b"PAR1":
        what = (
            "an XLSX workbook (ZIP)"
            if head == b"PK\x03\x04"
            else "CSV or other text"
            if head.isascii()
            else "not Parquet"
        )
        raise SourceError(path.name, f"not a Parquet file: it looks like {what}; give it the matching extension")
    if tail != b"PAR1":
        raise SourceError(path.name, "the Parquet file is truncated (its footer is missing)")
    return (
        f"select * exclude (file_row_number), file_row_number + 1 as __source_row "
        f"from read_parquet({sql_literal(str(path))}, file_row_number=true)"
    )


def _describe(con: duckdb.DuckDBPyConnection, sql: str, label: str) -> dict[str, str]:
    try:
        rows = con.execute(f"describe {sql}").fetchall()
    except duckdb.Error as exc:
        raise SourceError(label, f"cannot read the file: {str(exc).splitlines()[0]}") from None
    return {name: duck_type for name, duck_type, *_ in rows if name != "__source_row"}
