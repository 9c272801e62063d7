"""Loading the code location is cheap: importing the definitions neither stages the source nor imports the
heavy libraries (they load when a step or check runs). Checked in a fresh interpreter, as Dagster loads it."""

import json
import os
import subprocess
import sys

from rfm_assets.core.sources import SourceSpec, parse_column_mapping, stage_source

HEAVY = ("great_expectations", "sklearn", "matplotlib", "statsforecast", "lifetimes", "statsmodels")
MAPPING = "customer_id=cust,order_date=dt,amount=amt"
PROBE = f"""
import json, sys
from rfm_assets.definitions import defs
from rfm_assets.partitions import MONTHLY
print(json.dumps({{"keys": MONTHLY.get_partition_keys(), "heavy": [m for m in {HEAVY!r} if m in sys.modules]}}))
"""


def test_definitions_load_reads_no_line_and_imports_no_heavy_library(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "a.csv").write_text("cust,dt,amt\nc1,2011-01-05,10\nc2,2011-02-07,4\nc1,2011-03-02,7\n")
    staging = tmp_path / "data" / "staging"
    stage_source(SourceSpec(path=landing, format="generic", columns=parse_column_mapping(MAPPING)), staging)
    (landing / "b.csv").write_text("cust,dt,amt\nc3,2011-06-01,3\n")  # lands after the last staging
    before = sorted(p.name for p in staging.iterdir())

    env = {
        **os.environ,
        "RFM_SOURCE": str(landing),
        "RFM_SOURCE_FORMAT": "generic",
        "RFM_COLUMNS": MAPPING,
        "RFM_WAREHOUSE": str(tmp_path / "data" / "warehouse.duckdb"),
    }
    proc = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    loaded = json.loads(proc.stdout.strip().splitlines()[-1])
    assert loaded["heavy"] == []
    assert loaded["keys"] == ["2011-01-01", "2011-02-01", "2011-03-01"]  # the recorded range: b.csv not read
    assert sorted(p.name for p in staging.iterdir()) == before  # nothing staged at load
    assert "changed since it was last staged" in proc.stderr
