"""The bad-input corpus against a real warehouse through dg.materialize: a refused source leaves every
table exactly as it was (table checksums), a quarantined line lands in quarantined_lines with its
reason while the rest of the month loads, and cleaned_transactions reports the count."""

import shutil

import duckdb
import pytest

from rfm_assets.resources import AnalysisParamsResource, OrderSourceResource, WarehouseResource
from rfm_assets_tests.assets.helpers import materialize, materialized_metadata
from rfm_assets_tests.bad_inputs.make_corpus import (
    BASE_LINES,
    MONTH,
    Case,
    cases,
    csv_bytes,
    good_lines,
    write_case,
)
from rfm_assets_tests.checksums import warehouse_checksums

INGESTION = ["raw_orders", "quarantined_lines", "cleaned_transactions", "customer_returns"]
CASES = {case.name: case for case in cases()}


def _resources(base, source, source_format="online_retail", columns=None):
    return {
        "warehouse": WarehouseResource(path=str(base / "warehouse.duckdb")),
        "order_source": OrderSourceResource(
            path=str(source), format=source_format, columns=columns, staging_dir=str(base / "staging")
        ),
        "params": AnalysisParamsResource(export_dir=str(base / "exports")),
    }


@pytest.fixture(scope="module")
def good_month(tmp_path_factory):
    """A warehouse holding one good month (2011-03) of the ingestion layer."""
    base = tmp_path_factory.mktemp("good")
    source = write_case(Case("good", {"orders.csv": csv_bytes(good_lines())}, "load", ()), base / "source")
    assert materialize(_resources(base, source), MONTH, INGESTION).success
    return base


def _copy(good_month, tmp_path):
    shutil.copy(good_month / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    return tmp_path / "warehouse.duckdb"


def _failure(result):
    failures = [e.step_failure_data.error for e in result.all_events if e.is_step_failure]
    assert [e for e in result.all_events if e.is_step_failure][0].step_key == "raw_orders"
    error = failures[0]
    assert error is not None
    return "\n".join(part.message for part in (error, error.cause) if part is not None)


def test_every_refused_case_leaves_the_warehouse_untouched(good_month, tmp_path):
    warehouse = _copy(good_month, tmp_path)
    before = warehouse_checksums(warehouse)
    assert set(before) >= {"raw_orders", "quarantined_lines", "cleaned_transactions", "customer_returns", "_partitions"}
    refused = [c for c in CASES.values() if c.decision == "refuse"]
    assert len(refused) >= 12
    for case in refused:
        source = write_case(case, tmp_path / case.name)
        result = materialize(
            _resources(tmp_path, source, case.source_format, case.columns), MONTH, INGESTION, raise_on_error=False
        )
        assert not result.success, case.name
        assert result.get_asset_materialization_events() == [], case.name
        message = _failure(result)
        for snippet in case.expect + ((case.file,) if case.file else ()) + ((case.column,) if case.column else ()):
            assert snippet in message, (case.name, message)
        assert warehouse_checksums(warehouse) == before, case.name


@pytest.mark.parametrize("name", ["text_in_numbers_sporadic", "absurd_values", "future_date", "date_far_outside"])
def test_quarantined_lines_are_kept_with_their_reason(good_month, tmp_path, name):
    case = CASES[name]
    warehouse = _copy(good_month, tmp_path)
    source = write_case(case, tmp_path / "source")
    result = materialize(_resources(tmp_path, source), MONTH, INGESTION)
    assert result.success
    n_bad = sum(case.reasons.values())
    with duckdb.connect(str(warehouse), read_only=True) as con:
        held = con.execute("select reason, offending_values, source_file, source_row from quarantined_lines").fetchall()
        raw_rows = {r[0] for r in con.execute("select source_row from raw_orders").fetchall()}
    assert sorted(r[0] for r in held) == sorted(r for r, n in case.reasons.items() for _ in range(n))
    assert all(any(s in r[1] for r in held) for s in case.expect) and {r[2] for r in held} == {"orders.csv"}
    assert len(raw_rows) == BASE_LINES - n_bad and not raw_rows & {r[3] for r in held}
    md = materialized_metadata(result)
    assert md["cleaned_transactions"]["quarantined_lines"].value == n_bad
    assert md["quarantined_lines"]["dagster/row_count"].value == n_bad


def test_a_month_whose_every_line_is_quarantined_is_refused_and_says_why(good_month, tmp_path):
    warehouse = _copy(good_month, tmp_path)
    before = warehouse_checksums(warehouse)
    absurd = [row[:5] + ["20000000"] + row[6:] for row in good_lines()]
    source = write_case(Case("all_absurd", {"orders.csv": csv_bytes(absurd)}, "quarantine", ()), tmp_path / "src")
    result = materialize(_resources(tmp_path, source), MONTH, INGESTION, raise_on_error=False)
    assert not result.success
    assert f"Every line of {MONTH} was quarantined ({BASE_LINES} absurd_price)" in _failure(result)
    assert warehouse_checksums(warehouse) == before
