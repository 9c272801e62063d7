"""Behaviour assets through dg.materialize: point-in-time guards, backfill-order independence,
blocking checks, and plots in the metadata."""

import random

import duckdb
import pytest

from rfm_assets.assets.metadata import PLOTS_TAG
from rfm_assets.core.warehouse import table_checksum
from rfm_assets_tests.assets.helpers import (
    BEHAVIOUR,
    DRAW_PLOTS,
    INGESTION,
    failed_checks,
    materialize,
    materialized_metadata,
    materialized_names,
    md_text,
)
from rfm_assets_tests.conftest import make_resources

# one worker under `make test` (--dist loadgroup), so the module-scoped fixture is built once
pytestmark = pytest.mark.xdist_group("test_behaviour_assets")

# Five months of the small dataset: enough for a shuffled backfill that goes back and forth (below),
# a hole inside the history (2010-03 under 2010-05) and three months of checks and plots.
MONTHS = [f"2010-{m:02d}" for m in range(1, 6)]
# Runs whose plots nobody reads (the tables are the same with or without them; drawing is a third of a run)
NO_PLOTS = {PLOTS_TAG: "no"}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory, small_dataset):
    """A warehouse with the ingestion layer built for MONTHS (copied per test)."""
    base = tmp_path_factory.mktemp("ingested")
    resources = make_resources(base, small_dataset.csv_path)
    for month in MONTHS:
        assert materialize(resources, month, INGESTION).success
    return base


def _copy(ingested, tmp_path, small_dataset):
    import shutil

    shutil.copy(ingested / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    shutil.copytree(ingested / "staging", tmp_path / "staging")
    return make_resources(tmp_path, small_dataset.csv_path)


def _checksums(path, tables):
    with duckdb.connect(str(path), read_only=True) as con:
        return {t: table_checksum(con, t) for t in tables}


def test_backfill_order_does_not_change_any_table(ingested, tmp_path, small_dataset):
    in_order = tmp_path / "a"
    shuffled = tmp_path / "b"
    in_order.mkdir()
    shuffled.mkdir()
    res_a = _copy(ingested, in_order, small_dataset)
    for month in MONTHS:
        assert materialize(res_a, month, BEHAVIOUR, tags=NO_PLOTS).success
    res_b = _copy(ingested, shuffled, small_dataset)
    order = MONTHS[:]
    random.Random(3).shuffle(order)
    assert order not in (MONTHS, MONTHS[::-1])  # neither pass below runs in calendar order
    # rfm first (any order), then what needs the previous month's snapshot (any order)
    for month in order:
        assert materialize(res_b, month, ["cohort_retention", "rfm_snapshots"], tags=NO_PLOTS).success
    for month in reversed(order):
        names = ["segment_migration", "customer_clusters", "cluster_profiles"]
        assert materialize(res_b, month, names, tags=NO_PLOTS).success
    assert _checksums(in_order / "warehouse.duckdb", BEHAVIOUR) == _checksums(shuffled / "warehouse.duckdb", BEHAVIOUR)


def test_snapshot_refuses_a_history_with_holes(ingested, tmp_path, small_dataset):
    resources = _copy(ingested, tmp_path, small_dataset)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute(
            "delete from _partitions where table_name = 'cleaned_transactions' and snapshot_month = '2010-03-01'"
        )
    result = materialize(resources, "2010-05", ["rfm_snapshots"], raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    error = failure.step_failure_data.error
    assert error is not None and "missing 1 month(s) needed for 2010-05: 2010-03" in error.message


def test_all_checks_pass_and_plots_are_in_metadata(ingested, tmp_path, small_dataset):
    resources = _copy(ingested, tmp_path, small_dataset)
    for month in MONTHS[:3]:  # the last month draws its plots, as the last month of `rfm-assets run` does
        result = materialize(resources, month, BEHAVIOUR, tags=DRAW_PLOTS if month == MONTHS[2] else None)
        assert result.success and failed_checks(result) == []
    md = materialized_metadata(result)
    for asset, key in [
        ("cohort_retention", "retention_heatmap"),
        ("rfm_snapshots", "segment_sizes"),
        ("segment_migration", "migration_matrix"),
        ("customer_clusters", "cluster_scatter"),
    ]:
        text = md_text(md[asset][key])
        assert text.startswith("![") and "data:image/png;base64," in text
    row_count = md["rfm_snapshots"]["dagster/row_count"].value
    assert isinstance(row_count, int) and row_count > 100


def test_failed_blocking_check_stops_downstream(ingested, tmp_path, small_dataset):
    resources = _copy(ingested, tmp_path, small_dataset)
    materialize(resources, "2010-01", BEHAVIOUR)
    # Corrupt one source line with a float-rendered customer id: cleaned_transactions copies it, and
    # its suite (run in its own step) must catch it and stop the month's downstream assets.
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("""update raw_orders set customer_id = customer_id || '.0'
                       where snapshot_month = '2010-02-01' and customer_id is not null
                       and source_row = (select min(source_row) from raw_orders
                                         where snapshot_month = '2010-02-01' and customer_id is not null
                                         and invoice not like 'C%')""")
    result = materialize(resources, "2010-02", ["cleaned_transactions", "rfm_snapshots"], raise_on_error=False)
    assert not result.success
    assert failed_checks(result) == [("cleaned_transactions", "gx_suite")]
    # written (and failed by its check), but nothing built on it
    assert materialized_names(result) == ["cleaned_transactions"]
    warns = {e.check_name for e in result.get_asset_check_evaluations() if e.severity.value == "WARN"}
    assert {"no_purchases", "row_count_drift"} <= warns  # the WARN checks of its step still answered
    evaluation = next(
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == "cleaned_transactions" and e.check_name == "gx_suite"
    )
    result_md = md_text(evaluation.metadata["result"])
    assert "customer_id" in result_md and ".0" in result_md
