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


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own worker hook
def pytest_collection_modifyitems(config, items):
    """Make ``--dist loadgroup`` (``make test``) honour the ``xdist_group`` marks again: pytest-xdist 3.8
    appends ``@group`` to a test's ``_nodeid``, which pytest 9.2 no longer reads (node ids are ``_id``),
    so every group was spread over both workers and its shared fixtures (the e2e one-year run
    ``first_run``, module-scoped warehouses) built on each. Same suffix, set where pytest 9.2 reads it."""
    if not getattr(config.option, "loadgroup", False):  # set on xdist workers under --dist loadgroup
        return
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = {
            str(m.args[0] if m.args else m.kwargs.get("name", "default")) for m in item.iter_markers("xdist_group")
        }
        if names and "@" not in item.nodeid.rsplit("]", 1)[-1]:  # not suffixed yet (an older pytest)
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(sorted(names))}")


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
