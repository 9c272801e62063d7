"""`rfm-assets run` stages the source before loading the definitions, so a month that landed since
the last staging is a partition of this run (loading the definitions reads only the recorded range)."""

import shutil
from dataclasses import replace
from datetime import date

from rfm_assets import cli
from rfm_assets.core.generator import GeneratorConfig, generate
from rfm_assets.core.sources import SourceSpec
from rfm_assets.core.sources.month_range import recorded_month_range
from rfm_assets.core.sources.staging import stage_source


def test_run_stages_a_source_whose_files_changed(tmp_path, monkeypatch):
    folder = tmp_path / "landing"
    folder.mkdir()
    two = generate(tmp_path / "two", replace(GeneratorConfig(), n_customers=60, n_months=2, seed=1))
    three = generate(tmp_path / "three", replace(GeneratorConfig(), n_customers=60, n_months=3, seed=2))
    shutil.copy(two.csv_path, folder / "a.csv")
    spec, staging = SourceSpec(path=folder), tmp_path / "data" / "staging"
    stage_source(spec, staging)
    first = recorded_month_range(spec, staging)
    assert first is not None and first.last == date(2010, 2, 1)

    shutil.copy(three.csv_path, folder / "b.csv")  # a third month lands
    stale = recorded_month_range(spec, staging)
    assert stale is not None and not stale.current
    monkeypatch.setenv("RFM_SOURCE", str(folder))
    monkeypatch.setenv("RFM_WAREHOUSE", str(tmp_path / "data" / "warehouse.duckdb"))
    monkeypatch.delenv("RFM_SOURCE_FORMAT", raising=False)
    monkeypatch.delenv("RFM_COLUMNS", raising=False)
    cli._stage_source()
    recorded = recorded_month_range(spec, staging)
    assert (
        recorded is not None
        and recorded.current
        and (recorded.first, recorded.last) == (date(2010, 1, 1), date(2010, 3, 1))
    )
