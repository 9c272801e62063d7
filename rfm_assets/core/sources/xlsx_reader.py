"""XLSX workbooks: every sheet streamed with openpyxl (read-only) into an all-text Parquet file.

Cells are rendered as text the way a CSV export would show them (dates ISO, whole floats without
'.0'), so the same typing SQL handles CSV and XLSX. Each non-empty sheet becomes one unit named
``file.xlsx[sheet]``; ``__source_row`` is the data row under the header (Excel row = header row + n).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from rfm_assets.core.lazy import lazy
from rfm_assets.core.sources.errors import SourceError, unique_column_names

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    pa, pq = lazy("pyarrow"), lazy("pyarrow.parquet")

BATCH_ROWS = 50_000
CheckHeader = Callable[[str, list[str]], object]


def xlsx_to_parquet(path: Path, workdir: Path, check_header: CheckHeader) -> list[tuple[str, Path]]:
    """Convert each sheet that has data; ``check_header(label, columns)`` runs before its rows are read.

    Returns ``[(label, parquet_path), ...]`` in sheet order. Raises SourceError for a file that is
    not an XLSX workbook, a truncated or corrupted one, or a workbook without any data row.
    """
    with open(path, "rb") as fh:
        head = fh.read(4)
    if not head:
        raise SourceError(path.name, "the file is empty (0 bytes)")
    if head != b"PK\x03\x04":
        raise SourceError(path.name, f"not an XLSX workbook: {_looks_like(path)}")
    import openpyxl  # imported here, not at code load (0.5 s)

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # BadZipFile, zlib.error, KeyError, InvalidFileException, XML errors...
        raise _corrupt(path, exc) from None
    units: list[tuple[str, Path]] = []
    try:
        for index, sheet in enumerate(book.worksheets):
            label = f"{path.name}[{sheet.title}]"
            out = workdir / f"{path.stem}.sheet{index}.parquet"
            try:
                if _sheet_to_parquet(sheet, out, lambda columns, label=label: check_header(label, columns)):
                    units.append((label, out))
            except SourceError:
                raise
            except Exception as exc:  # a truncated member or broken XML surfaces while streaming
                raise _corrupt(path, exc, sheet.title) from None
    finally:
        book.close()
    if not units:
        raise SourceError(path.name, "the workbook has no data rows (every sheet is empty or holds only a header)")
    return units


def _sheet_to_parquet(sheet: ReadOnlyWorksheet, out: Path, check_header: Callable[[list[str]], object]) -> bool:
    """Write the sheet's rows under its header; False (nothing written) for a sheet without data rows."""
    sheet.reset_dimensions()  # trust the cells, not the stored dimension (often wrong in generated files)
    rows = enumerate(sheet.iter_rows(values_only=True), start=1)
    header_row, header = _first_non_empty(rows)
    if header is None:
        return False
    columns = _column_names(header)
    check_header(columns)
    width = len(columns)
    schema = pa.schema([*((name, pa.string()) for name in columns), ("__source_row", pa.int64())])
    writer: pq.ParquetWriter | None = None
    batch: list[list[str | int | None]] = [[] for _ in range(width + 1)]  # the cells, then __source_row
    try:
        for excel_row, values in rows:
            if not values or (values[0] in (None, "") and not any(v is not None and v != "" for v in values)):
                continue  # an empty row; checking the first cell first keeps full rows cheap
            cells = list(values[:width]) + [None] * (width - len(values))
            for column, value in zip(batch, cells, strict=False):
                column.append(_text(value))
            batch[width].append(excel_row - header_row)
            if len(batch[width]) >= BATCH_ROWS:
                writer = _flush(batch, schema, out, writer)
        if not batch[width] and writer is None:
            return False
        writer = _flush(batch, schema, out, writer)
    finally:
        if writer is not None:
            writer.close()
    return True


def _flush(batch: list[list], schema: pa.Schema, out: Path, writer: pq.ParquetWriter | None) -> pq.ParquetWriter:
    writer = writer or pq.ParquetWriter(out, schema)
    writer.write_table(pa.table(batch, schema=schema))
    for column in batch:
        column.clear()
    return writer


def _first_non_empty(rows: Iterator[tuple[int, tuple]]) -> tuple[int, tuple | None]:
    for number, values in rows:
        if any(v is not None and v != "" for v in values):
            return number, values
    return 0, None


def _column_names(header: tuple) -> list[str]:
    while header and header[-1] in (None, ""):
        header = header[:-1]
    return unique_column_names([_text(value) for value in header])


def _text(value: object) -> str | None:
    """A cell as the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e18 else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds" if value.microsecond else "seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _looks_like(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "it is an old Excel .xls workbook; save it as .xlsx or CSV"
    if head.startswith(b"PAR1"):
        return "it is a Parquet file; give it the .parquet extension"
    if b"\x00" not in head and (b"," in head or b";" in head or b"\t" in head):
        return "it looks like CSV text; give it the .csv extension"
    return "it does not start like a ZIP archive"


def _corrupt(path: Path, exc: Exception, sheet: str | None = None) -> SourceError:
    where = f" (sheet {sheet!r})" if sheet else ""
    return SourceError(
        path.name,
        f"cannot read the XLSX workbook{where}: it seems truncated or corrupted ({type(exc).__name__}: {exc})",
    )
