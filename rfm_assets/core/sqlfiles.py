"""The SQL transformations in ``sql/`` and their YAML sidecars (one per table: what builds it, grain,
columns, types, expectations).

A sidecar's keys (:func:`load_sidecar` reads them):

- ``name``, ``description``, ``grain``, ``columns`` (column -> description), ``keys`` (the grain's columns);
- ``built_by``: what writes the table, ``sql/<name>.sql`` or a Python ``module:function``
  (``rfm_assets.core.builds.segments:build_customer_clusters``), so a sidecar without a ``.sql``
  never sends anyone hunting;
- ``inputs``: relations the query reads that are not warehouse tables (e.g. ``segment_map``,
  registered from Python), each with what provides it;
- ``types``: column -> DuckDB type, the stored schema; :func:`empty_frame` builds a typed empty frame from it;
- ``checks``: the table's great-expectations suite, in the vocabulary of ``rfm_assets/quality/suites.py``.

SQL files may share text: a line ``-- include: _<fragment>`` is replaced by ``sql/_<fragment>.sql``
(fragments start with ``_``, are not tables and have no sidecar).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from rfm_assets.core.package_data import sql_dir

SQL_DIR = sql_dir()  # sql/ in the repository, the package data rfm_assets.sql when installed
INCLUDE = re.compile(r"^[ \t]*-- include: (_[a-z0-9_]+)[ \t]*$", re.MULTILINE)


class SidecarError(ValueError):
    """A sidecar that cannot be read as documented."""


@dataclass(frozen=True)
class Sidecar:
    """What a table holds: one row per ``grain``, a description (and a type) per column, its checks."""

    name: str
    description: str
    grain: str
    columns: dict[str, str] = field(default_factory=dict)
    keys: tuple[str, ...] = ()  # columns that identify a row (the grain), where the sidecar states them
    built_by: str | None = None  # "sql/<name>.sql" or "module:function"; None for the BI views
    inputs: dict[str, str] = field(default_factory=dict)  # non-table relations the SQL reads -> provider
    types: dict[str, str] = field(default_factory=dict)  # column -> DuckDB type
    checks: dict[str, Any] = field(default_factory=dict)  # the expectation vocabulary (quality/suites.py)


def _include(text: str, directory: Path, seen: tuple[str, ...]) -> str:
    def fragment(match: re.Match) -> str:
        name = match.group(1)
        if name in seen:
            raise ValueError(f"SQL include cycle: {' -> '.join((*seen, name))}")
        path = directory / f"{name}.sql"
        if not path.exists():
            raise FileNotFoundError(f"{seen[-1]}.sql includes {name}, but there is no {path}")
        return _include(path.read_text().rstrip("\n"), directory, (*seen, name))

    return INCLUDE.sub(fragment, text)


@cache
def load_sql(name: str, directory: Path = SQL_DIR) -> str:
    """Text of ``<directory>/<name>.sql``, its ``-- include: _fragment`` lines replaced by the fragments."""
    path = directory / f"{name}.sql"
    if not path.exists():
        raise FileNotFoundError(f"no SQL transformation {path}")
    return _include(path.read_text(), directory, (name,))


def _mapping(data: dict, key: str, path: Path) -> dict:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise SidecarError(f"{path}: '{key}' must be a mapping, got {type(value).__name__}")
    return value


@cache
def load_sidecar(name: str, directory: Path = SQL_DIR) -> Sidecar:
    """The sidecar ``<directory>/<name>.yml`` of a table or view."""
    path = directory / f"{name}.yml"
    data = yaml.safe_load(path.read_text())
    types = {str(k): str(v) for k, v in _mapping(data, "types", path).items()}
    columns = {str(k): str(v) for k, v in _mapping(data, "columns", path).items()}
    if types and list(types) != list(columns):
        raise SidecarError(
            f"{path}: 'types' must name the columns of 'columns', in order; "
            f"columns {list(columns)}, types {list(types)}"
        )
    return Sidecar(
        name=data.get("name", name),
        description=data.get("description", "").strip(),
        grain=data["grain"],
        columns=columns,
        keys=tuple(str(k) for k in data.get("keys") or ()),
        built_by=data.get("built_by"),
        inputs={str(k): str(v).strip() for k, v in _mapping(data, "inputs", path).items()},
        types=types,
        checks=_mapping(data, "checks", path),
    )


def table_names(directory: Path = SQL_DIR) -> list[str]:
    """Every table documented in ``directory`` (one sidecar each), sorted."""
    return sorted(p.stem for p in Path(directory).glob("*.yml"))


def empty_frame(table: str, columns: list[str] | None = None, directory: Path = SQL_DIR) -> Any:
    """A pandas frame with no rows and ``table``'s stored column types (the sidecar's ``types``), in
    the sidecar's order, or only ``columns``. The dtypes are arrow-backed, so writing the frame to
    DuckDB gives exactly the sidecar's types (VARCHAR ids, DATE months), not pandas' placeholders."""
    import duckdb
    import pandas as pd

    sidecar = load_sidecar(table, directory)
    if not sidecar.types:
        raise SidecarError(f"{table}.yml has no 'types': cannot build a typed empty frame")
    wanted = list(sidecar.types) if columns is None else list(columns)
    unknown = [c for c in wanted if c not in sidecar.types]
    if unknown:
        raise SidecarError(f"{table}.yml has no column(s) {unknown}")
    select = ", ".join(f'cast(null as {sidecar.types[c]}) as "{c}"' for c in wanted)
    with duckdb.connect() as con:
        arrow = con.execute(f"select {select} limit 0").to_arrow_table()
    return arrow.to_pandas(types_mapper=pd.ArrowDtype)
