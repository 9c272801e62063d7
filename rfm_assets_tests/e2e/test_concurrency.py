"""Two Dagster runs writing the same warehouse at once both succeed; a run killed mid-write leaves
the previous contents intact and a rerun succeeds. Real processes, real DuckDB file."""

import os
import shutil
import signal
import subprocess
import sys
import textwrap

import dagster as dg
import duckdb
import pytest

from rfm_assets.assets import ingestion
from rfm_assets.core.rows import one_row
from rfm_assets.core.warehouse import connect, table_checksum
from rfm_assets_tests.assets.helpers import materialize
from rfm_assets_tests.conftest import make_resources

# one worker under `make test` (--dist loadgroup), so the module-scoped fixture is built once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("test_concurrency")]
INGESTION = sorted(
    k.to_user_string()
    for a in dg.load_assets_from_modules([ingestion])
    if isinstance(a, dg.AssetsDefinition)
    for k in a.keys
)

# A child process: a Dagster run of the ingestion assets of one month against the given folder
# (only the ingestion module is imported: the full Definitions take ~9 s of CPU to import).
CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    import dagster as dg
    from rfm_assets.assets import ingestion
    from rfm_assets_tests.conftest import make_resources
    folder, csv, month = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    resources = make_resources(folder, csv)
    print("ready", flush=True)
    result = dg.materialize(dg.load_assets_from_modules([ingestion]), partition_key=month + "-01",
                            resources=resources, raise_on_error=False)
    print("success" if result.success else "failed", flush=True)
""")

# The same, but the cleaned_transactions write stops inside its transaction (the month swapped in
# and recorded, not committed) after also deleting every row of the table, so that a kill which
# did not roll back would show; the parent SIGKILLs it there.
KILLED = (
    textwrap.dedent("""
    import time
    from rfm_assets.core import warehouse
    original = warehouse._record
    def record_then_hang(con, table, month, *args, **kwargs):
        original(con, table, month, *args, **kwargs)
        if table == "cleaned_transactions":
            con.execute("delete from cleaned_transactions")
            con.execute("delete from _partitions")
            print("mid-write", flush=True)
            time.sleep(120)
    warehouse._record = record_then_hang
""")
    + CHILD
)


@pytest.fixture(scope="module")
def two_months(tmp_path_factory, small_dataset):
    """Ingestion built for 2010-01 and 2010-02, and the staged source cache warmed."""
    base = tmp_path_factory.mktemp("concurrency")
    resources = make_resources(base, small_dataset.csv_path)
    for month in ("2010-01", "2010-02"):
        assert materialize(resources, month, INGESTION).success
    return base


def _copy(base, tmp_path):
    shutil.copy(base / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    shutil.copytree(base / "staging", tmp_path / "staging")


def _line(child: subprocess.Popen) -> str:
    """The child's next line of output (its stdout is a pipe: _child)."""
    assert child.stdout is not None
    return child.stdout.readline().strip()


def _child(script, folder, csv, month):
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    return subprocess.Popen(
        [sys.executable, "-c", script, str(folder), str(csv), month],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_runs_of_different_months_at_once_both_succeed(two_months, tmp_path, small_dataset):
    """The parent holds the write lock while both runs start, so both must wait for it and then for
    each other; connect() retries instead of failing with "Could not set lock on file"."""
    _copy(two_months, tmp_path)
    path = tmp_path / "warehouse.duckdb"
    holder = duckdb.connect(str(path))
    children = [_child(CHILD, tmp_path, small_dataset.csv_path, m) for m in ("2010-03", "2010-04")]
    try:
        for child in children:
            assert _line(child) == "ready"
    finally:
        holder.close()
    outputs = [child.communicate(timeout=600) for child in children]
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0 and out.split()[-1] == "success", out + err[-3000:]
    with connect(path, read_only=True) as con:
        for table in INGESTION:
            months = con.execute(
                "select strftime(snapshot_month, '%Y-%m') from _partitions where table_name = ? order by 1", [table]
            ).fetchall()
            assert [m[0] for m in months] == ["2010-01", "2010-02", "2010-03", "2010-04"], table
            ledger, counted = one_row(
                con,
                f"select (select sum(row_count) from _partitions where table_name = '{table}'), count(*) from {table}",
            )
            assert ledger == counted


def test_a_run_killed_mid_write_leaves_the_month_intact_and_a_rerun_succeeds(two_months, tmp_path, small_dataset):
    _copy(two_months, tmp_path)
    path = tmp_path / "warehouse.duckdb"
    with connect(path, read_only=True) as con:
        before = {t: table_checksum(con, t) for t in INGESTION + ["_partitions"]}
    child = _child(KILLED, tmp_path, small_dataset.csv_path, "2010-02")
    assert _line(child) == "ready"
    assert _line(child) == "mid-write"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    with connect(path, read_only=True) as con:  # opens (replaying the WAL if any): the old state exactly
        assert {t: table_checksum(con, t) for t in before} == before
    resources = make_resources(tmp_path, small_dataset.csv_path)
    assert materialize(resources, "2010-02", INGESTION).success
    with connect(path, read_only=True) as con:  # the rerun rewrote the month with the same rows
        assert {t: table_checksum(con, t) for t in INGESTION} == {t: before[t] for t in INGESTION}
