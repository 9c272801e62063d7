"""The same assets and checks, unchanged, build the same tables on a lake as on the single DuckDB file."""

import pytest

from rfm_assets.assets.metadata import plot_tags
from rfm_assets_tests.assets.helpers import materialize
from rfm_assets_tests.conftest import make_resources
from rfm_assets_tests.lake.checksums import checksums
from rfm_assets_tests.lake.conftest import lake_resources

pytestmark = pytest.mark.slow
MONTHS = ["2010-01", "2010-02", "2010-03"]


def test_three_months_on_a_lake_equal_the_single_file_table_by_table(tmp_path, small_dataset, new_lake):
    target, data_path = new_lake()
    file_res = make_resources(tmp_path / "file", small_dataset.csv_path)
    lake_res = lake_resources(tmp_path / "lake", small_dataset.csv_path, target, data_path)
    outcomes = {}
    for name, resources in (("file", file_res), ("lake", lake_res)):
        # plots for the last month only on both, as `rfm-assets run` draws them
        results = [materialize(resources, m, raise_on_error=False, tags=plot_tags(m, MONTHS[-1])) for m in MONTHS]
        outcomes[name] = [
            sorted((e.step_key, e.event_type_value) for e in r.all_events if e.is_step_success or e.is_step_failure)
            for r in results
        ]
    assert outcomes["lake"] == outcomes["file"]  # the same steps succeed (and fail, if any) on both
    on_file = checksums(str(tmp_path / "file" / "warehouse.duckdb"))
    on_lake = checksums(target, data_path)
    assert len(on_file) > 10 and "cleaned_transactions" in on_file
    # on a lake, publishing writes bi_catalog into the lake; the file's goes to its BI copy
    assert sorted(set(on_lake) - {"bi_catalog"}) == sorted(on_file)
    assert {t for t in on_file if on_lake[t] != on_file[t]} == set()
