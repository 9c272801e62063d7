"""Checks take their settings where the assets do (the ``params`` resource, the forecast config),
never from the environment at import, and load without great-expectations."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rfm_assets.core.rows import scalar
from rfm_assets_tests.assets.helpers import failed_checks, materialize
from rfm_assets_tests.conftest import make_resources

MONTHS = ["2010-01", "2010-02", "2010-03", "2010-04"]
INGESTION = ["raw_orders", "quarantined_lines", "cleaned_transactions", "customer_returns"]
FORECASTS = [
    "rfm_snapshots",
    "customer_clusters",
    "forecast_revenue_history",
    "cluster_revenue_forecasts",
    "forecast_backtest_metrics",
]


@pytest.mark.parametrize("window", [2, 3])
def test_checks_follow_the_window_of_the_params_resource(tmp_path, small_dataset, window):
    """With a 2- or 3-month RFM window the checks run with that window (the rfm_snapshots suite's recency
    bound). The cluster histories reconcile with company customer revenue on every day whatever the
    window: a month's line goes to the cluster entering it, or to 'New or returning'."""
    resources = make_resources(tmp_path, small_dataset.csv_path, window_months=window)
    for month in MONTHS:
        assert materialize(resources, month, INGESTION).success
    for month in MONTHS:  # each month's forecasts need the clusters and forecasts of the month before
        result = materialize(resources, month, FORECASTS)  # no plots: nothing here reads one
        assert result.success and not failed_checks(result)
    checks = {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}
    assert checks[("forecast_revenue_history", "clusters_reconcile")].passed
    assert checks[("rfm_snapshots", "gx_suite")].passed  # recency bound from the same window
    # before the window too: no customer revenue is left out of the cluster series
    with resources["warehouse"].connect(read_only=True) as con:
        gap = scalar(
            con,
            "select sum(revenue) filter (where series = 'company_customers') "
            "- coalesce(sum(revenue) filter (where series not in ('company', 'company_customers')), 0) "
            "from forecast_revenue_history where snapshot_month = '2010-04-01' and ds < ?",
            [f"2010-0{5 - window}-01"],
        )
    assert abs(gap) < 0.01


def test_checks_modules_load_without_great_expectations(tmp_path):
    code = (
        "import sys\n"
        "import rfm_assets.checks.bi_checks, rfm_assets.checks.drift_checks, rfm_assets.checks.forecast_checks, "
        "rfm_assets.checks.gx_checks\n"
        "print(sorted(m for m in sys.modules if m.startswith('great_expectations'))[:3])\n"
    )
    env = {
        **os.environ,
        "RFM_START_MONTH": "2010-01",
        "RFM_END_MONTH": "2010-03",
        "RFM_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "DAGSTER_HOME": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
    assert not Path(tmp_path / "warehouse.duckdb").exists()  # loading the checks reads no data
