"""Shared fixtures: a small generated dataset and resources pointing at a fresh DuckDB file."""

from dataclasses import replace
from pathlib import Path

import pytest

from rfm_assets.core.generator import GeneratorConfig, generate

SMALL = replace(GeneratorConfig(), n_customers=700, n_months=8, seed=7)


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory):
    """An 8-month synthetic Online Retail II export (about 50k lines), generated once per session."""
    return generate(tmp_path_factory.mktemp("small_source"), SMALL)


def make_resources(tmp_path: Path, source_csv: Path, **params):
    from rfm_assets.resources import AnalysisParamsResource, OrderSourceResource, WarehouseResource

    return {
        "warehouse": WarehouseResource(path=str(tmp_path / "warehouse.duckdb")),
        "order_source": OrderSourceResource(path=str(source_csv), staging_dir=str(tmp_path / "staging")),
        "params": AnalysisParamsResource(**params),
    }
