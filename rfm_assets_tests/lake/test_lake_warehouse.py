"""The warehouse on DuckLake (a real private Postgres catalog, Parquet files in tmp_path): extensions from
the registry packages, atomic month replacement, concurrent writer processes, snapshot readers, SIGKILL.

Expected contents are written by hand (``range`` values per month), never read back from the code.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
from datetime import date

import duckdb
import pytest

from rfm_assets.core import lake
from rfm_assets.core.ledger import one
from rfm_assets.core.warehouse import (
    WarehouseError,
    built_months,
    connect,
    ledger_row_count,
    replace_partition,
    table_checksum,
)

pytestmark = pytest.mark.slow  # a Postgres cluster and writer processes: about a minute
JAN, FEB, MAR = date(2010, 1, 1), date(2010, 2, 1), date(2010, 3, 1)


def month_rows(month: date, n: int, tag: int = 0) -> str:
    """n rows for ``month``: v = 0..n-1, tag as given (a rewrite changes the tag)."""
    return f"select date '{month}' as snapshot_month, range as v, {tag} as tag from range({n})"


def contents(con, table="t"):
    return con.execute(
        f"select snapshot_month, count(*), sum(v), min(tag), max(tag) from {table} group by 1 order by 1"
    ).fetchall()


def test_extensions_come_from_the_packages_and_nothing_downloads(new_lake):
    target, data_path = new_lake()
    with connect(target, data_path=data_path) as con:
        loaded = dict(
            con.execute("select extension_name, install_mode from duckdb_extensions() where loaded").fetchall()
        )
        settings = dict(
            con.execute(
                "select name, value from duckdb_settings() where name in "
                "('autoinstall_known_extensions', 'autoload_known_extensions')"
            ).fetchall()
        )
        assert one(con, "select current_database()")[0] == lake.ALIAS
    assert {"ducklake", "postgres_scanner"} <= set(loaded)
    assert loaded["ducklake"] == loaded["postgres_scanner"] == "NOT_INSTALLED"  # loaded from a file, not installed
    assert settings == {"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"}
    assert lake.extension_file("duckdb_extension_ducklake").parent.name == f"v{duckdb.__version__}"


def test_a_month_is_replaced_atomically_and_a_refused_write_keeps_it(new_lake):
    target, data_path = new_lake()
    with connect(target, data_path=data_path) as con:
        for month, n in ((JAN, 3), (FEB, 4), (MAR, 5)):
            replace_partition(con, "t", month, month_rows(month, n))
        replace_partition(con, "t", FEB, month_rows(FEB, 2, tag=1))
        assert contents(con) == [(JAN, 3, 3, 0, 0), (FEB, 2, 1, 1, 1), (MAR, 5, 10, 0, 0)]
        with pytest.raises(WarehouseError, match="refusing to replace the month with nothing"):
            replace_partition(con, "t", MAR, "select date '2010-03-01' as snapshot_month, 1 as v, 1 as tag limit 0")
        with pytest.raises(WarehouseError, match="!= 2010-01-01"):
            replace_partition(con, "t", JAN, month_rows(FEB, 2, tag=9))
        assert contents(con) == [(JAN, 3, 3, 0, 0), (FEB, 2, 1, 1, 1), (MAR, 5, 10, 0, 0)]
        assert built_months(con, "t") == {JAN, FEB, MAR}
        assert [ledger_row_count(con, "t", m) for m in (JAN, FEB, MAR)] == [3, 2, 5]
        partitioned = one(con, "select count(*) from __ducklake_metadata_lake.ducklake_partition_info")[0]
        assert partitioned >= 1  # the table is partitioned by snapshot_month: one file per month


WRITER = textwrap.dedent("""
    import json, sys
    from datetime import date
    from rfm_assets.core import lake
    from rfm_assets.core.warehouse import connect, replace_partition
    target, data_path, worker = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with connect(target, data_path=data_path) as con:
        for rnd in range(3):
            for m in range(1, 5):  # every worker rewrites every month of the same table
                month = date(2010, m, 1)
                replace_partition(con, "t", month,
                    f"select date '{month}' as snapshot_month, range as v, {worker * 10 + rnd} as tag from range({m * 100})")
    print(json.dumps(lake.STATS), flush=True)
""")


def test_four_writer_processes_replace_the_same_tables_months_at_once(new_lake):
    """4 processes x 3 rounds x 4 months of one table: every write lands (conflicts retried with backoff)."""
    target, data_path = new_lake()
    with connect(target, data_path=data_path) as con:  # the table and ledger exist before the race
        replace_partition(con, "t", JAN, month_rows(JAN, 1))
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, target, data_path, str(w)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for w in range(4)
    ]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outs
    stats = [json.loads(out.strip().splitlines()[-1]) for out in outs]
    with connect(target, data_path=data_path) as con:
        rows = contents(con)
        # each month holds exactly one writer's last round: m*100 rows, v summing to n(n-1)/2, one tag
        assert [(r[0], r[1], r[2]) for r in rows] == [
            (date(2010, m, 1), m * 100, m * 100 * (m * 100 - 1) // 2) for m in range(1, 5)
        ]
        assert all(r[3] == r[4] and r[3] % 10 == 2 for r in rows), rows  # a final round (2) of one worker
        assert [ledger_row_count(con, "t", date(2010, m, 1)) for m in range(1, 5)] == [100, 200, 300, 400]
    print("retries per worker:", stats)
    assert sum(s["retries"] for s in stats) > 0  # the writers did race


def test_a_reader_at_a_snapshot_sees_consistent_data_while_months_are_rewritten(new_lake):
    target, data_path = new_lake()
    with connect(target, data_path=data_path) as con:
        for month in (JAN, FEB):
            replace_partition(con, "t", month, month_rows(month, 10))
        snapshot = lake.current_snapshot(con)
        before = table_checksum(con, "t")
        with lake.connect_lake(target, data_path, snapshot=snapshot) as reader:
            assert table_checksum(reader, "t") == before
            replace_partition(con, "t", FEB, month_rows(FEB, 7, tag=1))  # a writer goes on meanwhile
            replace_partition(con, "t", MAR, month_rows(MAR, 5, tag=1))
            assert table_checksum(reader, "t") == before  # the reader's snapshot does not move
            assert contents(reader) == [(JAN, 10, 45, 0, 0), (FEB, 10, 45, 0, 0)]
            with pytest.raises(duckdb.Error):
                reader.execute("delete from t")  # read-only
        assert contents(con) == [(JAN, 10, 45, 0, 0), (FEB, 7, 21, 1, 1), (MAR, 5, 10, 1, 1)]


def test_readers_see_whole_months_while_writer_processes_rewrite_them(new_lake):
    """Two writer processes rewrite months 1..4 (WRITER); meanwhile a reader pinned at a snapshot keeps
    seeing that snapshot, and a reader of the newest snapshot sees each month whole: one writer's round."""
    target, data_path = new_lake()
    with connect(target, data_path=data_path) as con:
        for m in range(1, 5):
            replace_partition(con, "t", date(2010, m, 1), month_rows(date(2010, m, 1), m * 100, tag=99))
        snapshot = lake.current_snapshot(con)
    pinned_expected = [(date(2010, m, 1), m * 100, m * 100 * (m * 100 - 1) // 2, 99, 99) for m in range(1, 5)]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, target, data_path, str(w)], env=env, stdout=subprocess.PIPE)
        for w in range(2)
    ]
    pinned_reads, states = 0, set()
    with (
        lake.connect_lake(target, data_path, snapshot=snapshot) as pinned,
        lake.open_lake(target, data_path, read_only=True) as live,
    ):
        while any(p.poll() is None for p in procs):
            assert contents(pinned) == pinned_expected
            pinned_reads += 1
            rows = contents(live)
            for month, n, total, low, high in rows:  # whole months only, never two rounds mixed
                assert (n, total, low) == (month.month * 100, n * (n - 1) // 2, high), rows
            states.add(tuple(r[3] for r in rows))
    assert [p.wait(600) for p in procs] == [0, 0]
    assert pinned_reads > 1 and len(states) > 1, (pinned_reads, states)  # the reads overlapped the rewrites


KILLED = textwrap.dedent("""
    import sys, time
    from datetime import date
    from rfm_assets.core import warehouse
    from rfm_assets.core.warehouse import connect, replace_partition
    original = warehouse._record
    def record_then_hang(con, table, month, *args, **kwargs):
        original(con, table, month, *args, **kwargs)
        con.execute("delete from t")  # would show if the kill did not roll back
        print("mid-write", flush=True)
        time.sleep(120)
    warehouse._record = record_then_hang
    target, data_path = sys.argv[1], sys.argv[2]
    with connect(target, data_path=data_path) as con:
        replace_partition(con, "t", date(2010, 2, 1),
                          "select date '2010-02-01' as snapshot_month, range as v, 1 as tag from range(3)")
""")


def test_a_writer_killed_mid_write_leaves_the_old_month(new_lake):
    target, data_path = new_lake()
    with connect(target, data_path=data_path) as con:
        for month in (JAN, FEB):
            replace_partition(con, "t", month, month_rows(month, 10))
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED, target, data_path], env=env, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "mid-write"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    with connect(target, data_path=data_path) as con:
        assert contents(con) == [(JAN, 10, 45, 0, 0), (FEB, 10, 45, 0, 0)]
        assert ledger_row_count(con, "t", FEB) == 10
        replace_partition(con, "t", FEB, month_rows(FEB, 3, tag=1))  # and the next write goes through
        assert contents(con) == [(JAN, 10, 45, 0, 0), (FEB, 3, 3, 1, 1)]
