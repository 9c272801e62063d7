"""The files the package ships besides Python code, read with ``importlib.resources``.

In the repository they stay at the top level, and ``pyproject.toml`` maps each folder to a
sub-package, so a wheel install (``pip install .``, a Docker image) and an editable install
(``pip install -e .``, the Makefile) read them the same way:

- ``sql/`` -> ``rfm_assets.sql``: the SQL transformations, their YAML sidecars, the RFM segment rules;
- ``dbt_like_views/`` -> ``rfm_assets.views``: the BI views and their sidecars;
- ``dagster_home/dagster.yaml`` -> ``rfm_assets.instance``: the default Dagster instance config
  (the run queue that lets one run write the warehouse at a time).

pip installs a wheel as plain files (never zipped), so ``importlib.resources.files`` gives a
``pathlib.Path`` for each folder, in a wheel install and in an editable one alike; the functions
return that ``Path`` (callers open files with it, e.g. a DuckDB or csv reader).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SQL_PACKAGE = "rfm_assets.sql"
VIEWS_PACKAGE = "rfm_assets.views"
INSTANCE_PACKAGE = "rfm_assets.instance"
INSTANCE_CONFIG = "dagster.yaml"


def package_folder(package: str) -> Path:
    """The folder of a data sub-package, as installed."""
    folder = files(package)
    if not isinstance(folder, Path):
        raise RuntimeError(
            f"{package} is not installed as plain files ({folder!r}): install the wheel with pip, which unpacks it"
        )
    return folder


def sql_dir() -> Path:
    """The SQL transformations, their sidecars and ``rfm_segment_rules.csv``."""
    return package_folder(SQL_PACKAGE)


def views_dir() -> Path:
    """The BI view files (``<name>.sql`` + ``<name>.yml``)."""
    return package_folder(VIEWS_PACKAGE)


def instance_config_text() -> str:
    """The shipped ``dagster.yaml``: telemetry off and the run queue (one warehouse writer at a time)."""
    return (package_folder(INSTANCE_PACKAGE) / INSTANCE_CONFIG).read_text(encoding="utf-8")


def ensure_instance_config(dagster_home: Path) -> Path:
    """``dagster_home/dagster.yaml``, written from the shipped config when the folder has none.

    An operator's own ``dagster.yaml`` is never overwritten.
    """
    home = Path(dagster_home)
    target = home / INSTANCE_CONFIG
    if not target.exists():
        home.mkdir(parents=True, exist_ok=True)
        target.write_text(instance_config_text(), encoding="utf-8")
    return target
