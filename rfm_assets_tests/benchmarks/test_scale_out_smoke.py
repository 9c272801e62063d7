"""`python -m benchmarks.scale_out` at a tiny scale (1 month, ~10k lines, 1 and 2 workers), so the
scale-out benchmark never rots: each run builds every month into a new lake (private Postgres) and the
script reports months, months per minute and a worker's peak RSS. The 36-month 3M/10M run is by hand."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rfm_assets_tests.lake.conftest import require_lake

pytestmark = pytest.mark.slow  # two 1-month backfills through the CLI

REPO = Path(__file__).resolve().parents[2]


def test_scale_out_benchmark_runs_end_to_end(tmp_path):
    require_lake()
    if not os.environ.get("CI"):  # pinned in constraints.txt; under CI a missing package fails the run instead
        pytest.importorskip("dagster_postgres", reason="dagster-postgres keeps the instance in Postgres")
    results = tmp_path / "scale_out.json"
    cmd = [sys.executable, "-m", "benchmarks.scale_out", "--lines", "10k", "--months", "1", "--workers", "1", "2"]
    cmd += ["--data-dir", str(tmp_path / "data"), "--results", str(results)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = json.loads(results.read_text())["rows"]
    assert [r["workers"] for r in rows] == [1, 2]
    for r in rows:
        assert r["returncode"] == 0 and r["months"] == 1, r
        assert r["months_per_minute"] == pytest.approx(1 / r["seconds"] * 60, rel=0.02)
        assert 50 < r["peak_rss_mb_per_worker"] < 4000, r  # a Python process with Dagster and DuckDB loaded
    assert "| lines | months | workers |" in proc.stdout
    print(proc.stdout)
