"""Shared fixtures: a small generated dataset and resources pointing at a fresh DuckDB file.

Before anything else: the session's own DAGSTER_HOME, warehouse and data folder (``isolation.py``),
set before any test module imports ``rfm_assets.settings``; at the end, the session fails if the
checkout's ``dagster_home/`` or ``data/`` changed.
"""

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from rfm_assets_tests.isolation import changes, isolate_environment, snapshot

SESSION_ROOT = isolate_environment()
CHECKOUT_BEFORE = snapshot()

from rfm_assets.core.generator import GeneratorConfig, generate  # noqa: E402 - after the environment is set

SMALL = replace(GeneratorConfig(), n_customers=700, n_months=8, seed=7)
# A year: the first month with a dormant anchor whose outcome is known and an older training anchor.
YEAR = replace(GeneratorConfig(), n_customers=1_200, n_months=12, seed=11)


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory):
    """An 8-month synthetic Online Retail II export (about 50k lines), generated once per session."""
    return generate(tmp_path_factory.mktemp("small_source"), SMALL)


@pytest.fixture(scope="session")
def year_dataset(tmp_path_factory):
    """A 12-month synthetic Online Retail II export (about 100k lines), generated once per session."""
    return generate(tmp_path_factory.mktemp("year_source"), YEAR)


def make_resources(tmp_path: Path, source_csv: Path, **params):
    from rfm_assets.resources import AnalysisParamsResource, OrderSourceResource, WarehouseResource

    return {
        "warehouse": WarehouseResource(path=str(tmp_path / "warehouse.duckdb")),
        "order_source": OrderSourceResource(path=str(source_csv), staging_dir=str(tmp_path / "staging")),
        # the campaign CSVs go under tmp_path too: the resource's default is the checkout's data/exports
        "params": AnalysisParamsResource(**{"export_dir": str(tmp_path / "exports"), **params}),
    }


def pytest_sessionfinish(session, exitstatus):
    """Fail the session, naming the paths, when it changed the checkout's dagster_home/ or data/."""
    changed = changes(CHECKOUT_BEFORE, snapshot())
    if changed:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        message = (
            "the test session changed the operator's instance or data in the checkout "
            f"(tests must write only under their temporary folders): {'; '.join(changed[:20])}"
        )
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"ERROR {message}", red=True, bold=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    shutil.rmtree(SESSION_ROOT, ignore_errors=True)
