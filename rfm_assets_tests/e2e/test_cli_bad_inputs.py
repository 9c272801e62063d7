"""`rfm-assets run` on bad input: a message naming the file, the column and samples on stderr (no
traceback), exit 1, and a warehouse left exactly as it was; a failed blocking check stops what
depends on it and is named."""

import os

import duckdb
import pytest

from rfm_assets_tests.assets.helpers import materialize
from rfm_assets_tests.bad_inputs.make_corpus import MONTH, Case, cases, csv_bytes, good_lines, write_case
from rfm_assets_tests.checksums import warehouse_checksums
from rfm_assets_tests.conftest import make_resources
from rfm_assets_tests.e2e.conftest import run_cli

# one worker under `make test` (--dist loadgroup), so the module-scoped fixture is built once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("test_cli_bad_inputs")]
CASES = {case.name: case for case in cases()}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """A warehouse with a good March 2011 of the ingestion layer."""
    base = tmp_path_factory.mktemp("cli_bad")
    source = write_case(Case("good", {"orders.csv": csv_bytes(good_lines())}, "load", ()), base / "good")
    assert materialize(
        make_resources(base, source),
        MONTH,
        ["raw_orders", "quarantined_lines", "cleaned_transactions", "customer_returns"],
    ).success
    return base / "warehouse.duckdb"


def _env(warehouse, source, **extra):
    env = {**os.environ, "RFM_WAREHOUSE": str(warehouse), "RFM_SOURCE": str(source), **extra}
    for name in ("RFM_DEBUG", "RFM_SOURCE_FORMAT", "RFM_COLUMNS", "RFM_START_MONTH", "RFM_END_MONTH"):
        if name not in extra:
            env.pop(name, None)
    return env


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("unparsable_dates", {}),
        ("mixed_encodings", {}),
        (
            "generic_mapping_names_missing_column",
            {"RFM_SOURCE_FORMAT": "generic", "RFM_COLUMNS": "customer_id=cust,order_date=date,amount=amt"},
        ),
    ],
)
def test_bad_source_is_named_on_stderr_and_nothing_changes(warehouse, tmp_path, name, extra):
    case = CASES[name]
    before = warehouse_checksums(warehouse)
    proc = run_cli(_env(warehouse, write_case(case, tmp_path / name), **extra), "--from", MONTH, "--to", MONTH)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"cannot stage source file '{case.file}'" in proc.stderr and f"column: '{case.column}'" in proc.stderr
    assert all(snippet in proc.stderr for snippet in case.expect), proc.stderr
    assert warehouse_checksums(warehouse) == before


def test_misspelled_format_variable_is_named(warehouse, tmp_path):
    source = write_case(CASES["misspelled_format"], tmp_path / "src")
    before = warehouse_checksums(warehouse)
    proc = run_cli(_env(warehouse, source, RFM_SOURCE_FORMAT="onlineretail"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "RFM_SOURCE_FORMAT='onlineretail'" in proc.stderr and "online_retail" in proc.stderr
    assert warehouse_checksums(warehouse) == before


def test_failed_blocking_check_stops_the_month_and_is_named(tmp_path):
    lines = good_lines()
    lines[4][6] = "ABC.0"  # a float-rendered id the raw_orders suite refuses (ids are never 'x.0')
    source = write_case(Case("float_id", {"orders.csv": csv_bytes(lines)}, "load", ()), tmp_path / "src")
    proc = run_cli(_env(tmp_path / "wh.duckdb", source))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"{MONTH}  FAILED" in proc.stdout
    assert "check raw_orders:gx_suite failed (ERROR)" in proc.stdout
    assert "expect_column_values_to_not_match_regex(customer_id): 1 unexpected, e.g. ['ABC.0']" in proc.stdout
    summary = " ".join(proc.stdout[proc.stdout.index("summary:") :].split())  # wrapped lines joined
    assert f"{MONTH} FAILED (check gx_suite failed): raw_orders" in summary, summary
    assert (
        f"skipped because of raw_orders {MONTH}: campaign_contacts, campaign_outcomes, cleaned_transactions" in summary
    ), summary
    assert all(len(line) <= 110 for line in proc.stdout[proc.stdout.index("summary:") :].splitlines())
    assert f"rerun `rfm-assets run --from {MONTH}`" in proc.stderr
    assert "not publishing the BI views" in proc.stderr  # the failed data is written: a view could show it
    with duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True) as con:
        built = {r[0] for r in con.execute("select distinct table_name from _partitions").fetchall()}
    assert built == {"raw_orders"}  # nothing downstream of the failed blocking check was written
