"""Fixtures shared by several unit-test modules."""

import duckdb
import pytest

from rfm_assets.core.generator import generate
from rfm_assets_tests.unit.clv_sim import simulate_days, to_lines, write_lines
from rfm_assets_tests.unit.generated_data import CONFIG, Loaded, load


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """(connection, purchase days, lines): 10,000 simulated customers in a warehouse's cleaned_transactions
    (rfm_assets_tests/unit/clv_sim.py); used by test_clv.py and test_clv_holdout.py."""
    days = simulate_days(10_000, seed=11)
    lines = to_lines(days)
    con = duckdb.connect(str(tmp_path_factory.mktemp("clv") / "w.duckdb"))
    write_lines(con, lines)
    yield con, days, lines
    con.close()


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    """The generator's output for generated_data.CONFIG (~240k lines), read back once per session (read
    only: test_generator.py, test_generator_truth.py)."""
    return load(generate(tmp_path_factory.mktemp("gen"), CONFIG))
