"""`python -m benchmarks.run` at a tiny scale, so the benchmark never rots (full runs are not in CI).

One run (8 months, 700 customers; the months before the last built with the core functions, not
`rfm-assets run`, to keep it short) checks that the script finishes, that its agreement checks
(floor and notebook against the project) pass, and that the report has every row.
"""

import csv
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from benchmarks.project import PIECES

# slow: a whole month through Dagster plus ~15 child processes; one worker under `make test`
# (--dist loadgroup), so the module-scoped fixture is built once
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("test_benchmark_smoke")]

REPO = Path(__file__).resolve().parents[2]
AGREEMENTS = 9  # month run, bare read, floor RFM, pandas RFM, summary, CLV, BG x2, Gamma-Gamma


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.run",
        "--scale",
        "0.0737",
        "--months",
        "8",
        "--seed",
        "7",
        "--prefix",
        "core",
        "--data-dir",
        str(root / "data"),
        "--results-dir",
        str(root / "results"),
        "--out",
        str(root / "RESULTS.md"),
    ]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    results = list((root / "results").glob("*.json"))
    return proc, root, json.loads(results[0].read_text()) if len(results) == 1 else None


def test_script_runs_and_every_agreement_check_passes(bench):
    proc, root, rec = bench
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert rec is not None
    assert len(rec["agreement"]) == AGREEMENTS
    assert all(a["passed"] for a in rec["agreement"]), rec["agreement"]
    (prefix,) = (root / "data").glob("m8_*/prefix.json")
    assert json.loads(prefix.read_text())["dormant_state"] is True  # anchors and fits as a backfill leaves them


def test_month_lines_match_a_plain_count_of_the_csv(bench):
    _, root, rec = bench
    csv_path = next((root / "data").glob("m8_*/source/online_retail_ii.csv"))
    month = datetime.fromisoformat(rec["month"])
    with csv_path.open(newline="") as fh:
        n = sum(
            1
            for row in csv.DictReader(fh)
            if datetime.fromisoformat(row["InvoiceDate"]).replace(day=1, hour=0, minute=0, second=0) == month
        )
    assert n > 0
    assert rec["month_lines"] == n
    assert rec["floor"]["bare_read"]["rows"] == n


def test_report_has_every_row(bench):
    _, root, rec = bench
    text = (root / "RESULTS.md").read_text()
    for piece in PIECES:
        assert f"| `{piece}` |" in text, piece
    for row in (
        "**floor**: bare read of the month",
        "**floor**: one-query RFM",
        "**baseline**: pandas + lifetimes notebook",
        "weighted BG/NBD + Gamma-Gamma fit (project)",
        "**whole month**",
        "RFM snapshot / floor one-query RFM",
        "**Dagster total**",
        "validation: checks (partition read + GX)",
        "RFM snapshot within 1.5x",
        "RFM + CLV >= 10x",
        "Dagster overhead < 10%",
        "validation < 20%",
        "whole month < 2 min",
    ):
        assert row in text, row
    for agreement in rec["agreement"]:
        assert f"| {agreement['check']} |" in text, agreement["check"]
    for piece, measured in rec["pieces"].items():
        assert measured["seconds"] > 0 and measured["peak_rss_mb"] > 50, piece


def test_customer_scale_script_runs_and_agrees(tmp_path):
    """`python -m benchmarks.customers` at 3,000 customers: finishes, RFM equals the floor's, the
    weighted fit equals the unweighted one, and the lines written are one per simulated purchase."""
    out = tmp_path / "customers.json"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.customers", "--customers", "3k", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (rec,) = json.loads(out.read_text())["records"]
    assert rec["customers"] == 3000 and rec["lines"] >= 3000  # every customer buys at least once
    assert rec["agreement"]["rfm_rows_differing_from_floor"] == 0 and rec["rfm_rows"] > 0
    assert rec["agreement"]["bg_weighted_vs_unweighted_max_rel_diff"] < 1e-3
    assert rec["clv_customers"] == 3000  # CLV summary covers everyone who ever bought by the last month
    assert "| RFM snapshot / floor |" in proc.stdout
