"""`rfm-assets run` with a failure forced into one month: only what depends on it is left out.

The CLI runs in a subprocess (its own DAGSTER_HOME, warehouse and source, read at import by
``rfm_assets.partitions``) that first replaces one function with one that raises for one month.
"""

import os
import subprocess
import sys
import textwrap
from dataclasses import replace

import duckdb
import pytest

from rfm_assets.core.generator import GeneratorConfig, generate

pytestmark = pytest.mark.slow

# The child: make ``module.function`` raise when one of its arguments is a date in ``month``, then
# run `rfm-assets run`, or (mode "job_backfill") what a backfill of monthly_job from the UI's job
# page runs: one independent run of the whole job per month, oldest first, on one instance.
CHILD = textwrap.dedent("""
    import importlib, sys
    from datetime import date
    from rfm_assets import cli
    module, name, month = importlib.import_module(sys.argv[1]), sys.argv[2], date.fromisoformat(sys.argv[3])
    original = getattr(module, name)
    def failing(*args, **kwargs):
        if any(isinstance(a, date) and (a.year, a.month) == (month.year, month.month) for a in args):
            raise RuntimeError(f"forced failure for {month:%Y-%m}")
        return original(*args, **kwargs)
    setattr(module, name, failing)
    if sys.argv[4] == "cli":
        sys.exit(cli.main(["run"]))
    from rfm_assets.assets.metadata import plot_tags
    from rfm_assets.definitions import defs
    from rfm_assets.partitions import MONTHLY
    job, instance, keys = defs.resolve_job_def("monthly_job"), cli._instance(), MONTHLY.get_partition_keys()
    for key in keys:  # a backfill's runs draw the newest month's plots only (assets/metadata.py)
        result = job.execute_in_process(partition_key=key, instance=instance, raise_on_error=False,
                                        run_config=cli.QUIET_LOGS, tags=plot_tags(key, keys[-1]))
        print(key[:7], "ok" if result.success else "FAILED", *cli._failures(result), sep="\\n  ", flush=True)
""")

FORECASTS = ["forecast_revenue_history", "cluster_revenue_forecasts", "forecast_backtest_metrics"]


def run_failing(
    tmp_path, source, module: str, function: str, month: str, mode: str = "cli"
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFM_")}
    env.update(
        RFM_WAREHOUSE=str(tmp_path / "wh.duckdb"), RFM_SOURCE=str(source), DAGSTER_HOME=str(tmp_path / "dagster_home")
    )
    return subprocess.run(
        [sys.executable, "-c", CHILD, module, function, month, mode],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def built_months(path, table: str) -> list[int]:
    """The months (1..12 of 2010) the ledger records as built for ``table``."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute("select snapshot_month from _partitions where table_name = ? order by 1", [table])
        return [m.month for (m,) in rows.fetchall()]


def test_forecast_failing_in_month_6_holds_back_only_the_forecasts_after_it(tmp_path, small_dataset):
    """Each month's forecasts are calibrated on every earlier month's (a self-dependency), so a failure in
    month 6 holds back the forecasts of months 6..8 and their accuracy; every other asset is built.

    Eight months (the session's small source), not twelve: month 6 is the first whose forecasts are
    backtested (forecasting.MIN_MONTHS), CLV is fitted in months 6..8 (six months of history), so the
    failure still sits among fitted models with two later months held back, as in a longer run."""
    proc = run_failing(tmp_path, small_dataset.csv_path, "rfm_assets.core.forecasting", "forecast_all", "2010-06-01")
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr[-3000:]
    wh = tmp_path / "wh.duckdb"
    # (revenue_forecasts writes forecast_revenue_history before it forecasts: that table may hold month 6)
    for table in (*FORECASTS[1:], "forecast_accuracy"):
        assert built_months(wh, table) == [1, 2, 3, 4, 5], table
    for table in (
        "rfm_snapshots",
        "customer_clusters",
        "customer_lifetime_value",
        "segment_migration",
        "dormant_targets",
    ):
        assert built_months(wh, table) == list(range(1, 9)), table
    with duckdb.connect(str(wh), read_only=True) as con:  # CLV really fitted after the failed month
        fitted = con.execute("select distinct month(snapshot_month) from customer_lifetime_value order by 1").fetchall()
    assert [m for (m,) in fitted][-3:] == [6, 7, 8], fitted
    lines = [line for line in out.splitlines() if line.startswith("[")]
    assert len(lines) == 8 and " FAILED " in lines[5], out
    assert all(" ok " in line for line in lines[:5]), out
    summary = " ".join(out[out.index("summary:") :].split())  # wrapped lines joined
    assert "forced failure for 2010-06" in summary, summary
    assert "2010-07..2010-08 skipped because of cluster_revenue_forecasts 2010-06" in summary, summary
    assert "rerun `rfm-assets run --from 2010-06`" in proc.stderr


@pytest.fixture(scope="module")
def five_months(tmp_path_factory):
    config = replace(GeneratorConfig(), n_customers=500, n_months=5, seed=5)
    return generate(tmp_path_factory.mktemp("five_months"), config)


def ledger_after_rfm_failing_in_month_3(wh) -> None:
    """rfm_snapshots is read by the same month's clusters and forecasts, and by the next month's
    segment_migration (previous and this month), and every later month's forecasts (they read the
    clusters entering each month and the forecasts of the month before): those are missing, nothing else."""
    assert built_months(wh, "rfm_snapshots") == [1, 2, 4, 5]
    assert built_months(wh, "segment_migration") == [1, 2, 5]
    for table in ("customer_clusters", "cluster_profiles"):
        assert built_months(wh, table) == [1, 2, 4, 5], table
    for table in (*FORECASTS[1:], "forecast_accuracy"):
        assert built_months(wh, table) == [1, 2], table
    for table in ("cleaned_transactions", "cohort_retention", "customer_lifetime_value", "dormant_features"):
        assert built_months(wh, table) == [1, 2, 3, 4, 5], table


def test_rfm_failing_in_month_3_skips_only_what_reads_it(tmp_path, five_months):
    proc = run_failing(tmp_path, five_months.csv_path, "rfm_assets.core.rfm", "build_rfm_snapshot", "2010-03-01")
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr[-3000:]
    ledger_after_rfm_failing_in_month_3(tmp_path / "wh.duckdb")
    summary = " ".join(out[out.index("summary:") :].split())  # wrapped lines joined
    later = "cluster_revenue_forecasts, forecast_accuracy, forecast_backtest_metrics, forecast_revenue_history"
    assert f"2010-04 skipped because of rfm_snapshots 2010-03: {later}, segment_migration" in summary, summary
    month3 = summary[summary.index("2010-03") : summary.index("2010-04")]
    assert "FAILED (RuntimeError: forced failure for 2010-03): rfm_snapshots" in month3
    skipped = {"segment_migration", "customer_clusters", "cluster_profiles", *FORECASTS, "forecast_accuracy"}
    assert f"skipped because of rfm_snapshots 2010-03: {', '.join(sorted(skipped))}" in month3


def test_a_job_backfill_builds_the_same_months(tmp_path, five_months):
    """A backfill from the job page: every month's run goes ahead; the one asset of month 4 that reads
    the failed month fails at once, naming it (require_history), instead of being skipped (segment_migration
    and the forecasts)."""
    proc = run_failing(
        tmp_path, five_months.csv_path, "rfm_assets.core.rfm", "build_rfm_snapshot", "2010-03-01", mode="job_backfill"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    ledger_after_rfm_failing_in_month_3(tmp_path / "wh.duckdb")
    month4 = proc.stdout[proc.stdout.index("2010-04") : proc.stdout.index("2010-05")]
    assert "FAILED" in month4 and "step segment_migration failed" in month4, proc.stdout
    assert "rfm_snapshots is missing 1 month(s) needed for 2010-04: 2010-03" in month4, proc.stdout
    # and the month's forecasts, which read the clusters entering each month (month 3's too)
    assert "customer_clusters is missing 1 month(s) needed for 2010-03: 2010-03" in month4, proc.stdout
    assert month4.count("step ") == 2 and "step revenue_forecasts failed" in month4, month4
