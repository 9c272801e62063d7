"""Fixtures of the lake tests: one private Postgres cluster per session, a fresh lake per test."""

import itertools
import os
from pathlib import Path

import pytest

from rfm_assets_tests.conftest import make_resources
from rfm_assets_tests.lake.postgres import require_bin_dir, start_cluster

_names = itertools.count()


def require_lake() -> None:
    """Skip without the lake's DuckDB extension packages or postgres binaries; under CI fail instead."""
    from rfm_assets.core import lake

    for package in lake.EXTENSIONS:
        try:
            lake.extension_file(package)
        except lake.LakeError as exc:  # pinned in constraints.txt: CI must have them
            if os.environ.get("CI"):
                pytest.fail(f"the lake's DuckDB extensions are missing under CI: {exc}")
            pytest.skip(f"the lake's DuckDB extensions are not installed for this DuckDB: {exc}")
    require_bin_dir()


@pytest.fixture(scope="session")
def pg_cluster():
    """A running private cluster (skips without postgres binaries, fails without them under CI)."""
    require_lake()
    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def new_lake(pg_cluster, tmp_path):
    """A factory of empty lakes: ``(warehouse target, data path)`` on a new database each call."""

    def make(label: str = "lake") -> tuple[str, str]:
        name = f"{label}_{next(_names)}"
        dsn = pg_cluster.create_database(name)
        return f"ducklake:postgres:{dsn}", str(tmp_path / name / "data")

    return make


def lake_resources(folder: Path, csv: Path, target: str, data_path: str, **params):
    """``make_resources`` with the warehouse on a lake."""
    from rfm_assets.resources import WarehouseResource

    resources = make_resources(folder, csv, **params)
    resources["warehouse"] = WarehouseResource(path=target, lake_data_path=data_path)
    return resources
