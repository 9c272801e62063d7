"""`rfm-assets run` end to end, in a subprocess, on a small generated dataset."""

import os
import subprocess
import sys

import duckdb
import pytest

from rfm_assets.core.warehouse import table_checksum

pytestmark = pytest.mark.slow

MONTHLY_TABLES = ["raw_orders", "cleaned_transactions", "customer_returns", "cohort_retention", "rfm_snapshots",
                  "segment_migration", "customer_clusters", "cluster_profiles", "customer_lifetime_value",
                  "clv_model_params", "clv_holdout_metrics"]


def _run(env, *args):
    return subprocess.run([sys.executable, "-m", "rfm_assets.cli", "run", *args], env=env,
                          capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, small_dataset):
    home = tmp_path_factory.mktemp("e2e")
    env = {**os.environ, "RFM_WAREHOUSE": str(home / "wh.duckdb"), "RFM_SOURCE": str(small_dataset.csv_path),
           "DAGSTER_HOME": str(home / "dagster_home")}
    proc = _run(env)
    return env, home / "wh.duckdb", proc


def _checksums(path):
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [r[0] for r in con.execute("select table_name from information_schema.tables "
                                            "where table_schema = 'main' and table_type = 'BASE TABLE'").fetchall()]
        return {t: table_checksum(con, t) for t in tables}


def test_run_fills_every_table_for_every_month(first_run):
    env, path, proc = first_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == 8 and all(" ok " in line for line in lines), proc.stdout
    assert "done: 8 months" in proc.stdout
    with duckdb.connect(str(path), read_only=True) as con:
        for table in MONTHLY_TABLES:
            built = con.execute("select count(*) from _partitions where table_name = ?", [table]).fetchone()[0]
            assert built == 8, table
        for table in MONTHLY_TABLES[:8]:
            months = con.execute(f"select count(distinct snapshot_month) from {table}").fetchone()[0]
            assert months == 8, table
        fitted = con.execute("select count(distinct snapshot_month) from customer_lifetime_value").fetchone()[0]
        assert fitted >= 4  # the first months may lack repeat customers, later ones must be fitted
        assert con.execute("select count(*) from cohort_retention_triangle").fetchone()[0] == 8


def test_second_run_leaves_every_table_identical(first_run):
    env, path, proc = first_run
    assert proc.returncode == 0
    before = _checksums(path)
    again = _run(env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _checksums(path) == before


def test_month_range_outside_partitions_is_explained(first_run):
    env, _, _ = first_run
    proc = _run(env, "--from", "2012-01")
    assert proc.returncode == 2
    assert "no monthly partitions between 2012-01-01" in proc.stderr and "2010-01-01" in proc.stderr


def test_bad_source_fails_with_a_message_not_a_traceback(tmp_path):
    bad = tmp_path / "orders.csv"
    bad.write_text("Invoice;StockCode;Quantity\n1;2;3\n")
    env = {**os.environ, "RFM_WAREHOUSE": str(tmp_path / "wh.duckdb"), "RFM_SOURCE": str(bad)}
    env.pop("RFM_DEBUG", None)
    proc = _run(env)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "orders.csv" in proc.stderr and ";" in proc.stderr
