"""The shared helpers: the transaction context manager, identifier quoting, and SQL code versions."""

import hashlib
from datetime import date

import dagster as dg
import duckdb
import pytest

from rfm_assets.core.code_version import sql_code_version
from rfm_assets.core.quoting import quote_ident
from rfm_assets.core.rows import scalar
from rfm_assets.core.sqlfiles import SQL_DIR, load_sql
from rfm_assets.core.warehouse import connect, replace_partition_frame, transaction

JAN = date(2010, 1, 1)


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "w.duckdb") as c:
        c.execute("create table t (x int)")
        yield c


def test_transaction_commits_the_block(con):
    with transaction(con):
        con.execute("insert into t values (1), (2)")
    assert scalar(con, "select count(*) from t") == 2


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_transaction_rolls_back_on_any_exception_and_reraises(con, error):
    con.execute("insert into t values (1)")
    with pytest.raises(error), transaction(con):
        con.execute("insert into t values (2), (3)")
        raise error("boom")
    assert con.execute("select x from t").fetchall() == [(1,)]
    with transaction(con):  # no transaction left open
        con.execute("insert into t values (4)")
    assert scalar(con, "select count(*) from t") == 2


@pytest.mark.parametrize("name", ["plain", "with space", 'quo"te', "select"])
def test_quote_ident_round_trips_through_duckdb(name):
    frame = duckdb.sql(f"select 1 as {quote_ident(name)}")
    assert frame.columns == [name]


def test_quote_ident_doubles_embedded_quotes():
    assert quote_ident('a"b') == '"a""b"'


def test_frame_write_applies_the_select_list(con):
    import pandas as pd

    frame = pd.DataFrame({"snapshot_month": [pd.Timestamp(JAN)], "d": [pd.Timestamp("2010-03-01")]})
    replace_partition_frame(con, "f", JAN, frame, select="* replace (d::date as d)")
    assert con.execute("select d, typeof(d) from f").fetchone() == (date(2010, 3, 1), "DATE")


def _sha12(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def test_sql_code_version_is_the_short_sha256_of_the_file_and_follows_its_text(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"  # two folders: load_sql caches per (name, folder)
    first.mkdir()
    second.mkdir()
    (first / "t.sql").write_text("select 1 as x\n")
    (second / "t.sql").write_text("select 2 as x\n")
    assert sql_code_version("t", first) == _sha12("select 1 as x\n")
    assert sql_code_version("t", second) == _sha12("select 2 as x\n")
    assert sql_code_version("t", first) != sql_code_version("t", second)


def test_sql_code_version_follows_an_included_fragment(tmp_path):
    versions = []
    for i, body in enumerate(["select 1 as x", "select 2 as x"]):
        folder = tmp_path / str(i)
        folder.mkdir()
        (folder / "t.sql").write_text("-- include: _frag\n")
        (folder / "_frag.sql").write_text(body + "\n")
        versions.append(sql_code_version("t", folder))
    assert versions[0] != versions[1]


SQL_ASSETS = [
    "raw_orders",
    "quarantined_lines",
    "cleaned_transactions",
    "customer_returns",
    "cohort_retention",
    "rfm_snapshots",
    "segment_migration",
    "cluster_profiles",
    "forecast_revenue_history",
    "dormant_features",
]


def test_every_sql_asset_carries_its_files_hash():
    from rfm_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    plain = 0
    for table in SQL_ASSETS:
        text = (SQL_DIR / f"{table}.sql").read_text()
        if "-- include:" in text:  # the fragments are part of what runs: hashed expanded (test above)
            text = load_sql(table)
        else:
            plain += 1
        assert graph.get(dg.AssetKey(table)).code_version == _sha12(text), table
    assert plain >= 6  # most files are compared with an independent hash of their bytes
