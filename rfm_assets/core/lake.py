"""The warehouse on DuckLake: a Postgres catalog and Parquet data files, opened through DuckDB.

``RFM_WAREHOUSE=ducklake:postgres:<libpq dsn>`` with ``RFM_LAKE_DATA_PATH`` (a directory here; shared
or object storage on a cluster) selects it; the same SQL runs on it, since DuckDB attaches the lake
and makes it the default catalog (``lake``). Several processes may write at once: each transaction
commits a new snapshot, and DuckLake aborts a commit that logically conflicts with one committed
meanwhile (two writers deleting from or inserting into a table the other deleted from); callers
retry those with :func:`retry_conflicts`.

The two extensions come from the package registry as Python packages (``duckdb-extension-ducklake``,
``duckdb-extension-postgres``, built for one DuckDB version) and are loaded from their files;
autoinstall and autoload are off, so nothing is ever downloaded. The postgres file is loaded under
its entry-point name, ``postgres_scanner`` (DuckDB takes an extension's name from its file name).
Loading them and attaching costs about a second, so each process keeps one in-memory DuckDB with the
lake attached and hands out cursors of it. No dagster here.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import random
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import duckdb

PREFIX = "ducklake:postgres:"
INIT_ATTEMPTS = 5  # attaching a new catalog from several processes at once (open_lake)
ALIAS = "lake"  # the attached catalog's name: current_database() on a lake connection
NO_DOWNLOADS: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
# package -> (file in the package, name DuckDB must load it under)
EXTENSIONS = {
    "duckdb_extension_postgres": ("postgres.duckdb_extension", "postgres_scanner"),
    "duckdb_extension_ducklake": ("ducklake.duckdb_extension", "ducklake"),
}
T = TypeVar("T")
_lock = threading.Lock()
_bases: dict[tuple[int, str, str | None], duckdb.DuckDBPyConnection] = {}
_link_dir: Path | None = None
STATS = {"retries": 0, "max_retries_one_write": 0}  # write-write conflicts retried in this process


class LakeError(RuntimeError):
    """The lake cannot be opened as configured (missing extension package, bad target)."""


def is_lake(target: str | os.PathLike[str] | None) -> bool:
    """True when a warehouse target names a DuckLake (``ducklake:postgres:<dsn>``)."""
    return target is not None and str(target).startswith("ducklake:")


def dsn_of(target: str) -> str:
    """The libpq connection string of a ``ducklake:postgres:<dsn>`` target."""
    if not str(target).startswith(PREFIX):
        raise LakeError(
            f"{target!r}: a lake warehouse is ducklake:postgres:<libpq dsn>, e.g. ducklake:postgres:dbname=rfm"
        )
    dsn = str(target)[len(PREFIX) :].strip()
    if not dsn:
        raise LakeError(f"{target!r}: no Postgres connection string after {PREFIX}")
    return dsn


def extension_file(package: str) -> Path:
    """The extension file a registry package ships for the running DuckDB version."""
    filename, _ = EXTENSIONS[package]
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise LakeError(
            f"{package} is not installed: pip install {package.replace('_', '-')}=={duckdb.__version__} "
            "(the lake's DuckDB extensions come from the package registry, never downloaded at run time)"
        )
    path = Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}" / filename
    if not path.exists():
        found = sorted(p.name for p in (Path(spec.origin).parent / "extensions").glob("v*"))
        raise LakeError(f"{package} has no build for DuckDB {duckdb.__version__} (it has {found}); pin both together")
    return path


def _loadable(package: str) -> Path:
    """The file to LOAD: the package's own, or a link named after the extension's entry point."""
    global _link_dir
    path = extension_file(package)
    name = EXTENSIONS[package][1]
    if path.name == f"{name}.duckdb_extension":
        return path
    if _link_dir is None:
        _link_dir = Path(tempfile.mkdtemp(prefix="rfm-duckdb-ext-"))
        atexit.register(shutil.rmtree, _link_dir, True)
    link = _link_dir / f"{name}.duckdb_extension"
    if not link.exists():
        link.symlink_to(path)
    return link


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """LOAD postgres_scanner and ducklake from the registry packages' files."""
    for package in EXTENSIONS:
        con.execute(f"load '{_loadable(package)}'")


def attach_sql(target: str, data_path: str | None, *, read_only: bool = False, snapshot: int | None = None) -> str:
    """The ATTACH statement of the lake (data inlining off: every write is a Parquet file of one month)."""
    options = ["data_inlining_row_limit 0"]
    if data_path:
        options.append("data_path '" + str(data_path).replace("'", "''") + "'")
    if read_only:
        options.append("read_only")
    if snapshot is not None:
        options.append(f"snapshot_version {int(snapshot)}")
    quoted = f"ducklake:postgres:{dsn_of(target)}".replace("'", "''")
    return f"attach '{quoted}' as {ALIAS} ({', '.join(options)})"


def open_lake(
    target: str, data_path: str | None, *, read_only: bool = False, snapshot: int | None = None
) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB with the lake attached as the default catalog.

    Workers that start together on a new catalog race to create its metadata tables in Postgres; the
    losers fail with "already exists" and attach again once the winner has committed them."""
    for attempt in range(INIT_ATTEMPTS):
        con = duckdb.connect(config=NO_DOWNLOADS)
        try:
            load_extensions(con)
            con.execute("set enable_progress_bar = false")
            con.execute(attach_sql(target, data_path, read_only=read_only, snapshot=snapshot))
            con.execute(f"use {ALIAS}")
            return con
        except duckdb.Error as exc:
            con.close()
            if "already exists" not in str(exc) or attempt == INIT_ATTEMPTS - 1:
                raise
            time.sleep(0.2 * (attempt + 1) * (0.5 + random.random()))
        except BaseException:
            con.close()
            raise
    raise AssertionError("unreachable: the last attempt returns or raises")


@contextmanager
def connect_lake(
    target: str, data_path: str | None, *, read_only: bool = False, snapshot: int | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the lake: a cursor of this process's lake database (a fresh database for a snapshot)."""
    if snapshot is not None:
        con = open_lake(target, data_path, read_only=True, snapshot=snapshot)
        try:
            yield con
        finally:
            con.close()
        return
    key = (os.getpid(), target, data_path if not read_only else f"{data_path}|ro")
    with _lock:
        base = _bases.get(key)
        if base is None:
            base = _bases[key] = open_lake(target, data_path, read_only=read_only)
        cursor = base.cursor()
    try:
        cursor.execute(f"use {ALIAS}")
        yield cursor
    finally:
        cursor.close()


def current_snapshot(con: duckdb.DuckDBPyConnection) -> int:
    """The lake's newest committed snapshot id (what a reader pins with ``snapshot=``)."""
    row = con.execute(f"select max(snapshot_id) from {ALIAS}.snapshots()").fetchone()
    assert row is not None
    return int(row[0])


def is_lake_connection(con: duckdb.DuckDBPyConnection) -> bool:
    """True when ``con``'s default catalog is a DuckLake."""
    row = con.execute("select type from duckdb_databases() where database_name = current_database()").fetchone()
    return bool(row and row[0] == "ducklake")


def is_conflict(exc: BaseException) -> bool:
    """A DuckLake write-write conflict (the commit lost a race; retrying it may succeed)."""
    return isinstance(exc, duckdb.TransactionException) and "conflict" in str(exc).lower()


def retry_conflicts(write: Callable[[], T], *, deadline_s: float = 300.0, first_wait_s: float = 0.05) -> T:
    """Run ``write`` (one transaction), retrying DuckLake write-write conflicts with jittered exponential
    backoff (capped at 2 s) until ``deadline_s`` has passed; then the conflict is raised."""
    wait, attempt = first_wait_s, 0
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            return write()
        except duckdb.Error as exc:
            if not is_conflict(exc) or time.monotonic() >= deadline:
                raise
        attempt += 1
        STATS["retries"] += 1
        STATS["max_retries_one_write"] = max(STATS["max_retries_one_write"], attempt)
        time.sleep(wait * (0.5 + random.random()))
        wait = min(wait * 2, 2.0)
