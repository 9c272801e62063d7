"""WarehouseResource is dagster-duckdb's DuckDBResource, with the project's lock wait and read-only mode."""

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from rfm_assets.core.rows import one_row, scalar
from rfm_assets.resources import WarehouseResource, build_resources
from rfm_assets.settings import Settings


def test_is_a_duckdb_resource_configured_by_path(tmp_path):
    resource = WarehouseResource(path=str(tmp_path / "wh.duckdb"))
    assert isinstance(resource, DuckDBResource)
    assert resource.database == resource.path == str(tmp_path / "wh.duckdb")
    settings = Settings.from_env({"RFM_WAREHOUSE": str(tmp_path / "other.duckdb")})
    assert build_resources(settings)["warehouse"].database == str(tmp_path / "other.duckdb")


def test_connection_config_is_applied_to_every_connection(tmp_path):
    resource = WarehouseResource(
        path=str(tmp_path / "wh.duckdb"), connection_config={"threads": 1, "memory_limit": "256MB"}
    )
    for read_only in (False, True):
        with resource.get_connection(read_only=read_only) as con:
            threads, memory = one_row(con, "select current_setting('threads'), current_setting('memory_limit')")
        assert threads == 1 and memory.startswith("244")  # 256 MB shown as 244.1 MiB
    with pytest.raises(ValueError, match="not a DuckDB setting name"):
        with WarehouseResource(path=str(tmp_path / "wh.duckdb"), connection_config={"threads; drop": 1}).connect():
            pass


def test_assets_write_and_read_through_it(tmp_path):
    @dg.asset
    def written(warehouse: WarehouseResource) -> None:
        with warehouse.get_connection() as con:
            con.execute("create table t as select 42 as x")

    @dg.asset(deps=[written])
    def read(warehouse: WarehouseResource) -> int:
        with warehouse.connect(read_only=True) as con:
            with pytest.raises(duckdb.Error):
                con.execute("insert into t values (1)")
            return scalar(con, "select x from t")

    result = dg.materialize(
        [written, read], resources={"warehouse": WarehouseResource(path=str(tmp_path / "w.duckdb"))}
    )
    assert result.success and result.output_for_node("read") == 42
