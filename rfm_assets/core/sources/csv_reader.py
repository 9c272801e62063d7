"""CSV files: check they are text, settle the encoding, read the header, and build the DuckDB scan.

DuckDB reads the data (parallel, bounded memory), every column as VARCHAR, with a fixed dialect
(',' delimiter, '"' quote) and strict mode, so a ragged row or an unterminated quote is an error
rather than a silently shifted or dropped line. DuckDB decodes only UTF-8 (and rejects the cp1252
bytes 0x80-0x9F under 'latin-1'), so a file that is not valid UTF-8 is transcoded once from cp1252
(latin-1 for the five bytes cp1252 leaves undefined) into a UTF-8 copy in the work folder. A file
that mixes both (UTF-8 lines such as 'CAFÉ' pasted into a cp1252 export) has no single right
decoding: it is refused, naming lines of each kind.
"""

from __future__ import annotations

import codecs
import csv
import re
from pathlib import Path

import duckdb

from rfm_assets.core.sources.errors import SourceError, unique_column_names
from rfm_assets.core.sources.typing_sql import sql_literal

_CHUNK = 1 << 24
# UTF-8 sequences of characters plausible in an order export (U+0080-U+017F, U+2000-U+20BF, U+2122):
# in a cp1252 file they would read as mojibake ('Ã‰' for 'É').
_PLAUSIBLE_UTF8 = re.compile(rb"[\xc2-\xc5][\x80-\xbf]|\xe2[\x80-\x82][\x80-\xbf]|\xe2\x84\xa2")
_MAGIC = {
    b"PK\x03\x04": "an XLSX workbook (a ZIP archive)",
    b"PAR1": "a Parquet file",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
}


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):  # registered for decoding only
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


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
        _refuse_mixed_encodings(path)
        readable, encoding = _transcode(path, workdir, "cp1252"), "cp1252"
    return readable, encoding, read_header(readable, path.name)


def _refuse_mixed_encodings(path: Path) -> None:
    """Raise SourceError when a file that is not valid UTF-8 also holds lines that are UTF-8 text."""
    with open(path, "rb") as fh:
        if not any(_PLAUSIBLE_UTF8.search(chunk) for chunk in iter(lambda: fh.read(_CHUNK), b"")):
            return
    utf8, other, n_utf8, n_other, columns = [], [], 0, 0, {}
    with open(path, "rb") as fh:
        header = next(csv.reader([fh.readline().decode("cp1252", "rfm_latin1_fallback")]), [])
        for number, line in enumerate(fh, start=2):
            if line.isascii():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                n_other += 1
                text = line.decode("cp1252", "rfm_latin1_fallback")
                if len(other) < 3:
                    other.append(f"line {number} (not UTF-8, read as cp1252): {text.strip()[:120]!r}")
            else:
                if not _PLAUSIBLE_UTF8.search(line):
                    continue
                n_utf8 += 1
                if len(utf8) < 2:
                    utf8.append(f"line {number} (UTF-8): {text.strip()[:120]!r}")
            for i, field in enumerate(next(csv.reader([text]), [])):
                if not field.isascii():
                    columns.setdefault(header[i] if i < len(header) else f"column{i + 1}", None)
    if n_utf8 and n_other:
        raise SourceError(
            path.name,
            f"the file mixes text encodings: {n_utf8:,} line(s) are UTF-8 and {n_other:,} "
            "line(s) are not (cp1252/latin-1), so no single decoding reads every line "
            "right; re-save the whole file in one encoding (UTF-8)",
            column=", ".join(columns) or None,
            samples=utf8 + other,
        )


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
        raise SourceError(
            path.name, f"the file is not valid {encoding} text ({exc.reason} at byte {exc.start})"
        ) from None
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
    return unique_column_names(header)


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
    reasons = [
        ln.strip()
        for ln in text.splitlines()
        if ln.strip() and not ln.startswith(("Invalid Input Error: CSV Error", "Original Line", "Possible", "*"))
    ]
    reason = reasons[0] if reasons else text.splitlines()[0]
    reason = reason.removeprefix("Invalid Input Error: ")
    samples = [f"line {line.group(1)}: {original.group(1)[:200]!r}"] if line and original else []
    return SourceError(label, f"the file is not a well-formed comma-separated file: {reason}", samples=samples)
