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


def test_a_session_shares_one_connection_and_lets_go_of_it_when_released(tmp_path):
    path = str(tmp_path / "wh.duckdb")
    resource = WarehouseResource(path=path)
    with resource.session():
        with resource.connect() as first, resource.connect() as second:
            assert first is second
            first.execute("create table t as select 1 as x")
        # DuckDB refuses a read-only connection beside the session's read-write one ...
        with pytest.raises(duckdb.ConnectionException, match="different configuration"):
            duckdb.connect(path, read_only=True)
        with resource.released():  # ... and accepts it while the session lets go
            with duckdb.connect(path, read_only=True) as reader:
                assert scalar(reader, "select x from t") == 1
        with resource.connect() as again:  # the session has a connection again, the same for every use
            assert again is not first
            assert scalar(again, "select count(*) from t") == 1
            with resource.connect() as same:
                assert same is again
    with duckdb.connect(path, read_only=True) as reader:  # the session closed its connection at the end
        assert scalar(reader, "select x from t") == 1
