"""Code versions of SQL-built tables: Dagster marks an asset stale when its code_version changes."""

from __future__ import annotations

import hashlib
from pathlib import Path

from rfm_assets.core.sqlfiles import SQL_DIR, load_sql

VERSION_CHARS = 12  # of the sha256 hex digest: short in the UI, collisions out of reach


def sql_code_version(name: str, directory: Path = SQL_DIR) -> str:
    """Short sha256 of ``<directory>/<name>.sql`` as the asset reads it (included fragments expanded)."""
    return hashlib.sha256(load_sql(name, directory).encode()).hexdigest()[:VERSION_CHARS]
