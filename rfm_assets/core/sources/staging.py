"""``stage_source``: read every file of a source once into one typed Parquet file, cached by fingerprint.

The cache entry is ``<fingerprint>.parquet`` (the lines to load), ``<fingerprint>.rejects.parquet``
(the quarantined lines, see ``quarantine.py``) and ``<fingerprint>.json`` (the sidecar with
``loaded_at``, files, row count, month range and quarantined counts). All are written under
temporary names and moved into place with ``os.replace``, the sidecar last; ``.staging.lock``
keeps two processes from staging at the same time (the second then finds the first one's entry,
with the same ``loaded_at``). Every staging also records the source's month range
(``month_range.py``), which loading the definitions reads instead of the source.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from rfm_assets.core.sources.checks import check_staged, typing_rejects_sql
from rfm_assets.core.sources.columns import resolve_columns
from rfm_assets.core.sources.csv_reader import describe_csv_error
from rfm_assets.core.sources.errors import SourceError
from rfm_assets.core.sources.files import fingerprint, source_files
from rfm_assets.core.sources.month_range import record_month_range, recorded_month_range
from rfm_assets.core.sources.quarantine import split_quarantine
from rfm_assets.core.sources.readers import Unit, open_units
from rfm_assets.core.sources.spec import SourceSpec, StagedSource, validate_spec
from rfm_assets.core.sources.typing_sql import MACROS, STAGED_COLUMNS, sql_literal, typed_sql

MEMORY_LIMIT = "1GB"
PRUNE_AFTER_S = 24 * 3600  # other fingerprints' entries older than this are deleted after a staging
_ENTRY = re.compile(r"^[0-9a-f]{64}(\.rejects)?\.(parquet|json)$")


def stage_source(spec: SourceSpec, staging_dir: Path) -> StagedSource:
    """The source as one typed Parquet file in ``staging_dir``, re-read only when its files change.

    Raises SourceError (naming file, column, problem and samples) for anything that would otherwise
    be dropped or mistyped silently.
    """
    validate_spec(spec)
    staging_dir = Path(staging_dir)
    files = source_files(Path(spec.path))
    fp = fingerprint(spec, files)
    staging_dir.mkdir(parents=True, exist_ok=True)
    cached = _read_cache(staging_dir, fp)
    if cached is None:
        with _locked(staging_dir / ".staging.lock"):
            cached = _read_cache(staging_dir, fp)  # another process may have staged it while we waited
            if cached is None:
                cached = _stage(spec, files, fp, staging_dir)
    _prune(staging_dir, keep=fp)
    record_month_range(spec, staging_dir, cached)
    return cached


def source_month_range(spec: SourceSpec, staging_dir: Path) -> tuple[date, date]:
    """First and last month (first days) of the source, as its last staging recorded them.

    Reads no line of the source when a staging of it was recorded, even if its files changed since
    (the range then lags until the next staging). A source never staged in ``staging_dir`` is staged
    now, once: its months cannot be known otherwise.
    """
    recorded = recorded_month_range(spec, staging_dir)
    if recorded is not None:
        return recorded.first, recorded.last
    staged = stage_source(spec, staging_dir)
    return staged.first_month, staged.last_month


def _stage(spec: SourceSpec, files: list[Path], fp: str, staging_dir: Path) -> StagedSource:
    workdir = staging_dir / f".work-{fp[:16]}-{os.getpid()}"
    final, sidecar, rejects = _entry(staging_dir, fp)
    tmp_parquet, tmp_sidecar = workdir / "staged.parquet", workdir / "staged.json"
    tmp_typed, tmp_rejects = workdir / "typed.parquet", workdir / "rejects.parquet"
    loaded_at = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    workdir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"set memory_limit='{MEMORY_LIMIT}'; set temp_directory={sql_literal(str(workdir / 'spill'))}")
        con.execute("set enable_progress_bar=false")  # no progress bars on the operator's stderr
        # row numbers come from a streaming window over each file read in order (WITH ORDINALITY), so
        # the output need not keep insertion order: that makes the Parquet write ~2x faster
        con.execute("set preserve_insertion_order=false")
        con.execute(MACROS)

        def check_header(label: str, columns: list[str]) -> dict[str, str]:
            return resolve_columns(spec.format, spec.columns, label, columns)

        units = [
            (unit, check_header(unit.label, list(unit.columns)))
            for file in files
            for unit in open_units(con, file, workdir, check_header)
        ]
        _copy_typed(con, units, spec, tmp_typed)
        sporadic = check_staged(con, tmp_typed, units)
        first, last, quarantined = split_quarantine(
            con, tmp_typed, typing_rejects_sql(sporadic), loaded_at, tmp_parquet, tmp_rejects, label=str(spec.path)
        )
        rows = con.execute(f"select count(*) from read_parquet({sql_literal(str(tmp_parquet))})").fetchall()[0][0]
        doc = {
            "fingerprint": fp,
            "loaded_at": loaded_at.isoformat(),
            "files": [f.name for f in files],
            "row_count": rows,
            "first_month": first.isoformat(),
            "last_month": last.isoformat(),
            "quarantined": quarantined,
            "format": spec.format,
            "columns": spec.columns,
            "encodings": {u.label: u.encoding for u, _ in units if u.encoding},
        }
        tmp_sidecar.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp_rejects, rejects)
        os.replace(tmp_parquet, final)
        os.replace(tmp_sidecar, sidecar)  # last: the sidecar is what makes the entry valid
    finally:
        con.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return _from_sidecar(final, doc)


def _copy_typed(
    con: duckdb.DuckDBPyConnection, units: list[tuple[Unit, dict[str, str]]], spec: SourceSpec, out: Path
) -> None:
    """One COPY of every unit's typed rows into ``out`` (in no particular order: source_file and source_row
    say where each line came from)."""
    columns = ", ".join(f"cast({name} as {kind}) as {name}" for name, kind in STAGED_COLUMNS.items())
    union = " union all ".join(
        f"select {columns} from ({typed_sql(unit.sql, unit.columns, resolved, unit.label)})" for unit, resolved in units
    )
    try:
        con.execute(f"copy ({union}) to {sql_literal(str(out))} (format parquet)")
    except duckdb.Error as exc:
        unit = _unit_of_error(str(exc), [u for u, _ in units])
        if unit is not None and unit.kind == "csv":
            raise describe_csv_error(unit.label, exc) from None
        label = unit.label if unit is not None else str(spec.path)
        raise SourceError(label, f"cannot read the file: {str(exc).splitlines()[0]}") from None


def _unit_of_error(message: str, units: list[Unit]) -> Unit | None:
    """The unit a DuckDB read error is about (it names the file it read), or the only unit."""
    for unit in units:
        if unit.read_path in message:
            return unit
    return units[0] if len(units) == 1 else None


def _entry(staging_dir: Path, fp: str) -> tuple[Path, Path, Path]:
    """The staged parquet, its sidecar and its quarantined lines."""
    return staging_dir / f"{fp}.parquet", staging_dir / f"{fp}.json", staging_dir / f"{fp}.rejects.parquet"


def _read_cache(staging_dir: Path, fp: str) -> StagedSource | None:
    final, sidecar, rejects = _entry(staging_dir, fp)
    if not (final.exists() and sidecar.exists() and rejects.exists()):
        return None
    try:
        doc = json.loads(sidecar.read_text(encoding="utf-8"))
        return _from_sidecar(final, doc) if doc.get("fingerprint") == fp else None
    except (ValueError, KeyError, TypeError):
        return None


def _from_sidecar(parquet: Path, doc: dict) -> StagedSource:
    return StagedSource(
        parquet_path=parquet,
        fingerprint=doc["fingerprint"],
        loaded_at=datetime.fromisoformat(doc["loaded_at"]),
        files=tuple(doc["files"]),
        row_count=int(doc["row_count"]),
        first_month=date.fromisoformat(doc["first_month"]),
        last_month=date.fromisoformat(doc["last_month"]),
        rejects_path=parquet.with_name(f"{doc['fingerprint']}.rejects.parquet"),
        quarantined=sum(doc.get("quarantined", {}).values()),
    )


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    try:
        import fcntl
    except ImportError:  # not on POSIX: no cross-process lock, the atomic replace still holds
        yield
        return
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _prune(staging_dir: Path, keep: str) -> None:
    """Delete other fingerprints' entries (and crashed work folders) untouched for a day."""
    cutoff = time.time() - PRUNE_AFTER_S
    for entry in staging_dir.iterdir():
        with contextlib.suppress(OSError):
            if entry.stat().st_mtime >= cutoff or entry.name.startswith(keep):
                continue
            if _ENTRY.match(entry.name):
                entry.unlink()
            elif entry.name.startswith(".work-") and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
