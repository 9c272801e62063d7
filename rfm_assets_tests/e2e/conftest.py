"""One `rfm-assets run` over a year of generated data, shared by the end-to-end tests."""

import os
import subprocess
import sys

import pytest


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(items):
    """Under pytest-xdist's ``--dist loadgroup`` (``make test``) every test that uses ``first_run`` goes to
    the same worker, so the year's run is built once per session, not once per worker."""
    for item in items:
        if "first_run" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("first_run"))


def run_cli(env, *args):
    """`rfm-assets run ARGS` in a subprocess (the real entry point, the real environment variables)."""
    return subprocess.run(
        [sys.executable, "-m", "rfm_assets.cli", "run", *args], env=env, capture_output=True, text=True, timeout=1200
    )


@pytest.fixture(scope="session")
def first_run(tmp_path_factory, year_dataset):
    """(env, warehouse path, completed process) of a first run over every month of ``year_dataset``."""
    home = tmp_path_factory.mktemp("e2e")
    env = {
        **os.environ,
        "RFM_WAREHOUSE": str(home / "wh.duckdb"),
        "RFM_SOURCE": str(year_dataset.csv_path),
        "DAGSTER_HOME": str(home / "dagster_home"),
    }
    proc = run_cli(env)
    return env, home / "wh.duckdb", proc
