"""The suite never touches the operator's instance: its own DAGSTER_HOME, warehouse and data folder, and a
guard (conftest.py: ``pytest_sessionfinish``) that fails the session when the checkout's ``dagster_home/``
or ``data/`` changed. Here: the environment is isolated, and the guard sees every kind of change (on a
stand-in checkout in tmp_path, never the real one)."""

import os
import time
from pathlib import Path

import dagster as dg

from rfm_assets.settings import Settings
from rfm_assets_tests.isolation import REPO, changes, snapshot


def _outside_checkout(path: str | Path) -> bool:
    return not Path(path).resolve().is_relative_to(REPO)


def test_instance_warehouse_and_data_folder_are_temporary():
    settings = Settings.from_env()
    assert _outside_checkout(os.environ["DAGSTER_HOME"])
    assert _outside_checkout(settings.warehouse) and _outside_checkout(settings.data_dir)
    assert settings.source is None  # an operator's RFM_SOURCE never reaches the tests
    shipped = (REPO / "dagster_home" / "dagster.yaml").read_text()
    assert (Path(os.environ["DAGSTER_HOME"]) / "dagster.yaml").read_text() == shipped  # via importlib.resources
    with dg.DagsterInstance.get() as instance:
        assert Path(instance.root_directory).resolve() == Path(os.environ["DAGSTER_HOME"]).resolve()


def test_guard_sees_created_modified_and_deleted_files(tmp_path):
    (tmp_path / "dagster_home").mkdir()
    (tmp_path / "dagster_home" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "warehouse.duckdb").write_bytes(b"x" * 100)
    (tmp_path / "data" / "old.csv").write_text("a\n")
    before = snapshot(tmp_path)
    assert changes(before, snapshot(tmp_path)) == []

    (tmp_path / "dagster_home" / "storage").mkdir()  # what a run launched into the instance creates first
    (tmp_path / "dagster_home" / "storage" / "run.db").write_text("")
    same_size = tmp_path / "data" / "warehouse.duckdb"
    stat = same_size.stat()
    same_size.write_bytes(b"y" * 100)  # same size, and the mtime put back: only the hash tells
    os.utime(same_size, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    (tmp_path / "data" / "old.csv").unlink()
    assert changes(before, snapshot(tmp_path)) == [
        "created dagster_home/storage",
        "created dagster_home/storage/run.db",
        "deleted data/old.csv",
        "modified data/warehouse.duckdb",
    ]


def test_guard_sees_a_touched_file(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "f").write_text("same")
    before = snapshot(tmp_path)
    time.sleep(0.01)
    os.utime(tmp_path / "data" / "f")
    assert changes(before, snapshot(tmp_path)) == ["modified data/f"]
