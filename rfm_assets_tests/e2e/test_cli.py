"""`rfm-assets run` end to end, in a subprocess, on a small generated dataset."""

import os
from datetime import date

import duckdb
import pytest

from rfm_assets.core.rows import scalar
from rfm_assets_tests.checksums import warehouse_checksums
from rfm_assets_tests.e2e.conftest import run_cli as _run

pytestmark = pytest.mark.slow

MONTHLY_TABLES = [
    "raw_orders",
    "cleaned_transactions",
    "customer_returns",
    "cohort_retention",
    "rfm_snapshots",
    "segment_migration",
    "customer_clusters",
    "cluster_profiles",
    "forecast_revenue_history",
    "cluster_revenue_forecasts",
    "customer_lifetime_value",
    "clv_model_params",
    "clv_holdout_metrics",
    "forecast_backtest_metrics",
    "dormant_features",
    "dormant_model_metrics",
    "dormant_targets",
]
NEVER_EMPTY = 10  # the first ten tables have rows every month; the others may be empty on purpose early on
N_MONTHS = 12


def test_run_fills_every_table_for_every_month(first_run):
    env, path, proc = first_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.startswith("[")]
    assert len(lines) == N_MONTHS and all(" ok " in line for line in lines), proc.stdout
    assert f"done: {N_MONTHS} months" in proc.stdout
    assert "Calculating Metrics" not in proc.stderr  # no progress-bar noise
    with duckdb.connect(str(path), read_only=True) as con:
        for table in MONTHLY_TABLES:
            built = scalar(con, "select count(*) from _partitions where table_name = ?", [table])
            assert built == N_MONTHS, table
        for table in MONTHLY_TABLES[:NEVER_EMPTY]:
            months = scalar(con, f"select count(distinct snapshot_month) from {table}")
            assert months == N_MONTHS, table
        fitted = scalar(con, "select count(distinct snapshot_month) from customer_lifetime_value")
        assert fitted >= 6  # under six months of history there is no fit; later months must be fitted
        # The last month is the first with a known dormant outcome and an older training anchor.
        for table in ("dormant_model_metrics", "dormant_targets"):
            months = [r[0] for r in con.execute(f"select distinct snapshot_month from {table}").fetchall()]
            assert months == [date(2010, 12, 1)], table
        assert scalar(con, "select count(*) from cohort_retention_triangle") == N_MONTHS


def test_second_run_leaves_every_table_identical(first_run):
    """Rerunning the last two months rebuilds every asset and leaves every table identical.

    Two months, not twelve, cover every path a rerun takes: 2010-11 writes the dormant tables empty
    (no known outcome yet) and 2010-12 fills them; both fit CLV and forecasts, read the previous
    month's snapshot (segment_migration), and 2010-11 is rebuilt while 2010-12 already exists.
    """
    env, path, proc = first_run
    assert proc.returncode == 0
    before = warehouse_checksums(path)
    again = _run(env, "--from", "2010-11")
    assert again.returncode == 0, again.stdout + again.stderr
    lines = [line for line in again.stdout.splitlines() if line.startswith("[")]
    assert "done: 2 months" in again.stdout and len(lines) == 2, again.stdout  # really rebuilt, not skipped
    assert all(" ok " in line for line in lines), again.stdout
    assert warehouse_checksums(path) == before


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
