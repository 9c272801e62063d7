"""Tests are guests: every test session gets its own DAGSTER_HOME, warehouse and data folder, and the
checkout's ``dagster_home/`` and ``data/`` (the operator's instance and data) must end the session
exactly as they started it.

``isolate_environment`` runs from the top of ``rfm_assets_tests/conftest.py``, before anything
imports ``rfm_assets.settings`` (``rfm_assets.partitions`` reads the environment at import).
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

from rfm_assets.core.package_data import ensure_instance_config  # reads no setting

REPO = Path(__file__).resolve().parents[1]
GUARDED = ("dagster_home", "data")  # the operator's instance and data, relative to the checkout
HASH_LIMIT = 64 * 2**20  # larger files are compared by size and mtime only (a write changes the mtime)

Snapshot = dict[str, tuple]


def isolate_environment(root: Path | None = None) -> Path:
    """Point DAGSTER_HOME (with the shipped dagster.yaml) and RFM_WAREHOUSE (hence the data folder beside
    it) at a fresh temporary folder.

    Every other ``RFM_*`` variable the operator may have exported is removed, so the suite runs on
    the defaults it was written for, never on the operator's source. Returns the folder.
    """
    root = Path(root) if root else Path(tempfile.mkdtemp(prefix="rfm-tests-"))
    for name in [n for n in os.environ if n.startswith("RFM_")]:
        del os.environ[name]
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    os.environ["RFM_WAREHOUSE"] = str(root / "data" / "warehouse.duckdb")
    # the shipped dagster.yaml, as the operator's instance runs; importing rfm_assets.instance (in an
    # editable install: dagster_home/__init__.py) must not leave a __pycache__ in the checkout's dagster_home/
    previous, sys.dont_write_bytecode = sys.dont_write_bytecode, True
    try:
        ensure_instance_config(root / "dagster_home")
    finally:
        sys.dont_write_bytecode = previous
    return root


def snapshot(base: Path = REPO, guarded: tuple[str, ...] = GUARDED) -> Snapshot:
    """Every file and folder under the guarded folders: kind, size, mtime and (small files) sha256."""
    out: Snapshot = {}
    for name in guarded:
        top = Path(base) / name
        if not top.exists():
            continue
        for path in [top, *top.rglob("*")]:
            rel = path.relative_to(base).as_posix()
            if "__pycache__" in path.parts:  # bytecode of dagster_home/__init__.py: not instance state
                continue
            if path.is_dir():
                out[rel] = ("dir",)
                continue
            st = path.stat()
            digest = _sha256(path) if st.st_size <= HASH_LIMIT else ""
            out[rel] = ("file", st.st_size, st.st_mtime_ns, digest)
    return out


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """Human-readable differences between two snapshots (empty when nothing changed)."""
    out = [f"created {p}" for p in sorted(after.keys() - before.keys())]
    out += [f"deleted {p}" for p in sorted(before.keys() - after.keys())]
    out += [f"modified {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return out


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(2**20), b""):
            h.update(block)
    return h.hexdigest()
