"""The SQL transformations in ``sql/`` and their YAML sidecars (grain and column descriptions)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from rfm_assets.core.package_data import sql_dir

SQL_DIR = sql_dir()  # sql/ in the repository, the package data rfm_assets.sql when installed


@dataclass(frozen=True)
class Sidecar:
    """What a table holds: one row per ``grain``, and a description per column."""

    name: str
    description: str
    grain: str
    columns: dict[str, str] = field(default_factory=dict)
    keys: tuple[str, ...] = ()  # columns that identify a row (the grain), where the sidecar states them


@cache
def load_sql(name: str, directory: Path = SQL_DIR) -> str:
    """Text of ``<directory>/<name>.sql``."""
    path = directory / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no SQL transformation {path}")
    return path.read_text()


@cache
def load_sidecar(name: str, directory: Path = SQL_DIR) -> Sidecar:
    """The sidecar ``<directory>/<name>.yml`` of a transformation."""
    data = yaml.safe_load((directory / f"{name}.yml").read_text())
    return Sidecar(
        name=data.get("name", name),
        description=data.get("description", "").strip(),
        grain=data["grain"],
        columns={str(k): str(v) for k, v in (data.get("columns") or {}).items()},
        keys=tuple(str(k) for k in data.get("keys") or ()),
    )
