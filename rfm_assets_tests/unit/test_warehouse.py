"""Partition writes are atomic, refuse empty or foreign rows, and never lose the previous month."""

import subprocess
import sys
import textwrap
from datetime import date

import duckdb
import pytest

from rfm_assets.core.rows import scalar
from rfm_assets.core.warehouse import (
    WarehouseError,
    connect,
    replace_partition,
    replace_partition_frame,
    table_checksum,
)

JAN, FEB = date(2010, 1, 1), date(2010, 2, 1)


def _rows(con, table="t"):
    return con.execute(f"select * from {table} order by all").fetchall()


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "w.duckdb") as c:
        yield c


def _month_query(n):
    return f"select $m::date as snapshot_month, range::int as x from range({n})"


def test_first_write_creates_table_and_rewrite_replaces_only_that_month(con):
    assert replace_partition(con, "t", JAN, _month_query(2), {"m": JAN}) == 2
    assert replace_partition(con, "t", FEB, _month_query(3), {"m": FEB}) == 3
    assert replace_partition(con, "t", FEB, _month_query(1), {"m": FEB}) == 1
    assert _rows(con) == [(JAN, 0), (JAN, 1), (FEB, 0)]


def test_empty_result_is_refused_and_month_kept(con):
    replace_partition(con, "t", JAN, _month_query(2), {"m": JAN})
    with pytest.raises(WarehouseError, match="refusing to replace the month with nothing"):
        replace_partition(con, "t", JAN, _month_query(0), {"m": JAN})
    assert _rows(con) == [(JAN, 0), (JAN, 1)]


def test_empty_allowed_when_asked(con):
    replace_partition(con, "t", JAN, _month_query(2), {"m": JAN})
    assert replace_partition(con, "t", JAN, _month_query(0), {"m": JAN}, allow_empty=True) == 0
    assert _rows(con) == []


def test_rows_of_another_month_are_refused(con):
    replace_partition(con, "t", JAN, _month_query(1), {"m": JAN})
    with pytest.raises(WarehouseError, match="snapshot_month != 2010-02-01"):
        replace_partition(con, "t", FEB, _month_query(2), {"m": JAN})
    assert _rows(con) == [(JAN, 0)]


def test_failing_query_rolls_back(con):
    replace_partition(con, "t", JAN, _month_query(2), {"m": JAN})
    with pytest.raises(duckdb.Error):
        replace_partition(con, "t", JAN, "select $m::date as snapshot_month, 1/0 > 'x'::int as x", {"m": JAN})
    assert _rows(con) == [(JAN, 0), (JAN, 1)]


def test_schema_change_with_other_months_is_refused_with_advice(con):
    replace_partition(con, "t", JAN, _month_query(1), {"m": JAN})
    with pytest.raises(WarehouseError, match="drop table t"):
        replace_partition(con, "t", FEB, "select $m::date as snapshot_month, 'a' as y", {"m": FEB})
    assert _rows(con) == [(JAN, 0)]


def test_frame_write(con):
    import polars as pl

    frame = pl.DataFrame({"snapshot_month": [JAN, JAN], "x": [5, 6]})
    assert replace_partition_frame(con, "t", JAN, frame) == 2
    assert _rows(con) == [(JAN, 5), (JAN, 6)]


def test_checksum_ignores_row_order_but_not_content(con):
    con.execute("create table a as select * from (values (1,'x'),(2,'y')) v(i,s)")
    con.execute("create table b as select * from (values (2,'y'),(1,'x')) v(i,s)")
    con.execute("create table c as select * from (values (2,'y'),(1,'z')) v(i,s)")
    assert table_checksum(con, "a") == table_checksum(con, "b") != table_checksum(con, "c")


def test_kill_mid_write_keeps_previous_month(tmp_path):
    """SIGKILL a process in the middle of a partition rewrite: the old month survives intact."""
    path = tmp_path / "w.duckdb"
    with connect(path) as c:
        replace_partition(c, "t", JAN, _month_query(1000), {"m": JAN})
        before = table_checksum(c, "t")
    # The child starts the rewrite (its DELETE has run inside the open transaction), signals, then hangs.
    script = textwrap.dedent(f"""
        import os, signal, duckdb
        con = duckdb.connect({str(path)!r})
        con.execute("begin transaction")
        con.execute("delete from t where snapshot_month = date '2010-01-01'")
        con.execute("insert into t select date '2010-01-01', 1 from range(10)")
        print("mid-write", flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert proc.returncode == -9 and "mid-write" in proc.stdout
    with connect(path) as c:
        assert table_checksum(c, "t") == before
        assert scalar(c, "select count(*) from t") == 1000


def test_second_writer_waits_for_lock(tmp_path):
    """A writer blocked by another process's lock retries until the lock is released."""
    path = tmp_path / "w.duckdb"
    with connect(path) as c:
        replace_partition(c, "t", JAN, _month_query(1), {"m": JAN})
    with subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(path)!r}); print('held', flush=True); time.sleep(1.5)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with connect(path, lock_timeout_s=30) as c:  # would raise "Could not set lock" without the retry
            replace_partition(c, "t", FEB, _month_query(1), {"m": FEB})
            assert scalar(c, "select count(*) from t") == 2


def test_ledger_tells_empty_months_from_unbuilt_ones(con):
    from rfm_assets.core.warehouse import built_months

    replace_partition(con, "t", JAN, _month_query(2), {"m": JAN})
    replace_partition(con, "t", FEB, _month_query(0), {"m": FEB}, allow_empty=True)
    assert built_months(con, "t") == {JAN, FEB}
    with pytest.raises(WarehouseError):
        replace_partition(con, "t", date(2010, 3, 1), _month_query(0), {"m": date(2010, 3, 1)})
    assert built_months(con, "t") == {JAN, FEB}  # the refused write left no trace
