"""The BI copy: complete, read-only, swapped in atomically, and never taken in the middle of a write."""

import stat
import subprocess
import sys
import textwrap
from datetime import date

import duckdb
import pytest

from rfm_assets.core import views
from rfm_assets.core.publish import CATALOG, default_bi_copy, publish_copy
from rfm_assets.core.rows import scalar
from rfm_assets.core.warehouse import connect, replace_partition, table_checksum

JAN, FEB = date(2010, 1, 1), date(2010, 2, 1)


def _month(con, month, n):
    replace_partition(
        con, "t", month, "select $m::date as snapshot_month, range::int as x from range($n)", {"m": month, "n": n}
    )


@pytest.fixture
def warehouse(tmp_path):
    path = tmp_path / "wh.duckdb"
    with connect(path) as con:
        _month(con, JAN, 3)
        _month(con, FEB, 2)
    (tmp_path / "views").mkdir()
    (tmp_path / "views" / "mart_t.sql").write_text("select snapshot_month, sum(x) as total from t group by all")
    (tmp_path / "views" / "mart_t.yml").write_text(
        "name: mart_t\ndescription: totals\ngrain: one row per month\n"
        "columns:\n  snapshot_month: month\n  total: sum of x\n"
    )
    defs = views.load_view_defs(tmp_path / "views")
    with connect(path) as con:
        views.refresh_view(con, defs[0], defs)
    return path, defs


def test_default_copy_sits_beside_the_warehouse(tmp_path):
    assert default_bi_copy(tmp_path / "data" / "warehouse.duckdb") == tmp_path / "data" / "bi" / "warehouse_bi.duckdb"


def test_copy_holds_every_table_and_view_and_a_catalog(warehouse, tmp_path):
    path, defs = warehouse
    target = tmp_path / "bi" / "copy.duckdb"
    result = publish_copy(path, target, view_defs=defs)
    assert set(result.tables) == {"t", "_partitions", CATALOG} and set(result.views) == {"mart_t", "mart_t_history"}
    assert sorted(p.name for p in target.parent.iterdir()) == ["copy.duckdb"]  # no temp file or WAL left
    assert not target.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    with duckdb.connect(str(target), read_only=True) as bi, duckdb.connect(str(path), read_only=True) as wh:
        assert table_checksum(bi, "t") == table_checksum(wh, "t")
        assert bi.execute("select * from mart_t").fetchall() == [(FEB, 1)]  # 0 + 1
        assert bi.execute(f"select view_name, newest_month, newest_month_rows from {CATALOG}").fetchall() == [
            ("mart_t", FEB, 1)
        ]


def test_republishing_replaces_the_copy(warehouse, tmp_path):
    path, defs = warehouse
    target = tmp_path / "copy.duckdb"
    publish_copy(path, target, view_defs=defs)
    with connect(path) as con:
        _month(con, date(2010, 3, 1), 4)
    publish_copy(path, target, view_defs=defs)
    with duckdb.connect(str(target), read_only=True) as bi:
        assert bi.execute("select * from mart_t").fetchall() == [(date(2010, 3, 1), 6)]


def test_copy_waits_for_a_writer_and_never_holds_half_a_transaction(warehouse, tmp_path):
    """A writer deletes February, pauses, then writes it back with 5 rows and commits: the copy has 5."""
    path, defs = warehouse
    script = textwrap.dedent(f"""
        import time, duckdb
        con = duckdb.connect({str(path)!r})
        con.execute("begin transaction")
        con.execute("delete from t where snapshot_month = date '2010-02-01'")
        print("mid-write", flush=True)
        time.sleep(1.5)
        con.execute("insert into t select date '2010-02-01', range::int from range(5)")
        con.execute("commit")
    """)
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "mid-write"
    publish_copy(path, tmp_path / "copy.duckdb", view_defs=defs, lock_timeout_s=30)
    assert writer.wait(timeout=30) == 0
    with duckdb.connect(str(tmp_path / "copy.duckdb"), read_only=True) as bi:
        assert scalar(bi, "select count(*) from t where snapshot_month = date '2010-02-01'") == 5
