"""CSV files: check they are text, settle the encoding, read the header, and build the DuckDB scan.

DuckDB reads the data (parallel, bounded memory), every column as VARCHAR, with a fixed dialect
(',' delimiter, '"' quote) and strict mode, so a ragged row or an unterminated quote is an error
rather than a silently shifted or dropped line. DuckDB decodes only UTF-8 (and rejects the cp1252
bytes 0x80-0x9F under 'latin-1'), so a file that is not valid UTF-8 is transcoded once from cp1252
(latin-1 for the five bytes cp1252 leaves undefined) into a UTF-8 copy in the work folder.
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

import duckdb

from rfm_assets.core.sources.errors import SourceError
from rfm_assets.core.sources.typing_sql import sql_literal

_CHUNK = 1 << 24
_MAGIC = {b"PK\x03\x04": "an XLSX workbook (a ZIP archive)", b"PAR1": "a Parquet file",
          b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook"}


def _latin1_fallback(exc: UnicodeDecodeError) -> tuple[str, int]:
    return exc.object[exc.start:exc.end].decode("latin-1"), exc.end


codecs.register_error("rfm_latin1_fallback", _latin1_fallback)


def prepare_csv(path: Path, workdir: Path) -> tuple[Path, str, list[str]]:
    """The UTF-8 file DuckDB should read, the encoding it came in, and the header's column names."""
    with open(path, "rb") as fh:
        head = fh.read(8192)
    if not head:
        raise SourceError(path.name, "the file is empty (0 bytes)")
    for magic, what in _MAGIC.items():
        if head.startswith(magic):
            raise SourceError(path.name, f"not a CSV text file: it is {what}; give it the matching extension")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        readable, encoding = _transcode(path, workdir, "utf-16"), "utf-16"
    elif b"\x00" in head:
        raise SourceError(path.name, "not a CSV text file: it holds binary data (NUL bytes)")
    elif _is_utf8(path):
        readable, encoding = path, "utf-8"
    else:
        readable, encoding = _transcode(path, workdir, "cp1252"), "cp1252"
    return readable, encoding, read_header(readable, path.name)


def _is_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _transcode(path: Path, workdir: Path, encoding: str) -> Path:
    out = workdir / f"{path.stem}.{encoding}.utf8.csv"
    decoder = codecs.getincrementaldecoder(encoding)(errors="rfm_latin1_fallback" if encoding == "cp1252" else "strict")
    try:
        with open(path, "rb") as src, open(out, "w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(_CHUNK):
                dst.write(decoder.decode(chunk))
            dst.write(decoder.decode(b"", final=True))
    except UnicodeDecodeError as exc:
        raise SourceError(path.name, f"the file is not valid {encoding} text ({exc.reason} at byte {exc.start})") from None
    return out


def read_header(path: Path, label: str) -> list[str]:
    """The first record's fields as unique column names ('' -> column<i>, repeats -> name_2)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh), None)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise SourceError(label, f"cannot read the header line: {exc}") from None
    if not header or not any(name.strip() for name in header):
        raise SourceError(label, "the first line (the header) is empty")
    names: list[str] = []
    for i, name in enumerate(header, start=1):
        name = name or f"column{i}"
        unique, n = name, 1
        while unique in names:
            n += 1
            unique = f"{name}_{n}"
        names.append(unique)
    return names


def delimiter_hint(columns: list[str]) -> str:
    """' the file seems to use ';' as delimiter ...' when the header did not split on ','."""
    if len(columns) == 1:
        for delim, label in ((";", "';'"), ("\t", "tab"), ("|", "'|'")):
            if delim in columns[0]:
                return f"; the file seems to use {label} as delimiter, but only ',' is read: re-export it as comma-separated"
    return ""


def csv_scan_sql(path: Path, columns: list[str]) -> str:
    """A relation of the file's columns as VARCHAR plus ``__source_row`` (1-based data row)."""
    struct = ", ".join(f"{sql_literal(name)}: 'VARCHAR'" for name in columns)
    return (
        f"select * exclude (ordinality), ordinality as __source_row from read_csv({sql_literal(str(path))}, auto_detect=false, header=true, "
        f"delim=',', quote='\"', escape='\"', strict_mode=true, columns={{{struct}}}, encoding='utf-8') with ordinality"
    )


def describe_csv_error(label: str, exc: duckdb.Error) -> SourceError:
    """A readable SourceError from DuckDB's CSV error (ragged row, unterminated quote, ...)."""
    text = str(exc)
    line = re.search(r"CSV Error on Line: (\d+)", text)
    original = re.search(r"Original Line: ?(.*)", text)
    reasons = [ln.strip() for ln in text.splitlines()
               if ln.strip() and not ln.startswith(("Invalid Input Error: CSV Error", "Original Line", "Possible", "*"))]
    reason = reasons[0] if reasons else text.splitlines()[0]
    reason = reason.removeprefix("Invalid Input Error: ")
    samples = [f"line {line.group(1)}: {original.group(1)[:200]!r}"] if line and original else []
    return SourceError(label, f"the file is not a well-formed comma-separated file: {reason}", samples=samples)

