"""A month's fixed cost: the project on tiny data, next to Dagster alone running the same graph.

    .venv/bin/python -m benchmarks.fixed_cost                 # CDNOW sample, 18 months
    .venv/bin/python -m benchmarks.fixed_cost --months 3      # a quicker look (the smoke test's size)

- **project**: ``rfm-assets run`` over the CDNOW sample bundled with ``lifetimes`` (2,357 customers,
  1997-01..1998-06) through the generic mapping, in a subprocess with a fresh warehouse and
  ``DAGSTER_HOME``: wall seconds and the CPU seconds of the process tree, per month.
- **dagster floor**: the monthly job's own asset graph (the same assets, dependencies, partition
  mappings, check specs and steps) with bodies that do nothing but report their materializations and
  passing checks, run month by month with ``execute_in_process`` on a fresh SQLite instance in a
  subprocess: what Dagster's machinery (run creation, planned events, step events, event log writes)
  costs a month before any of the project's work.

The difference is the project's own work a month on tiny data (SQL, models, checks, metadata).
Writes ``benchmarks/results/fixed_cost.json`` (``--results``) and prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.measure import REPO
from rfm_assets.core.package_data import ensure_instance_config
from rfm_assets_tests.lake.cdnow import COLUMNS, write_cdnow_csv

RESULTS = REPO / "benchmarks" / "results" / "fixed_cost.json"
CDNOW_FIRST = "1997-01"
CDNOW_MONTHS = 18

# Run in a child process: the floor job built from the project's monthly job (env selects the months).
FLOOR_SCRIPT = """
import sys, time
import dagster as dg
from rfm_assets.definitions import defs
from rfm_assets.jobs import MONTHLY_JOB_NAME
from rfm_assets.partitions import MONTHLY

def in_order(specs):  # a multi-asset yields its assets after the ones among them they depend on
    done, todo = [], list(specs)
    while todo:
        ready = [s for s in todo if not {d.asset_key for d in s.deps} & {t.key for t in todo if t is not s}]
        done += ready
        todo = [s for s in todo if s not in ready]
    return [s.key for s in done]

def stub(a):
    specs = [a.specs_by_key[k] for k in a.keys]
    keys = in_order(specs)
    checks = list(a.check_specs)
    @dg.multi_asset(name=a.node_def.name + "_floor", specs=specs, check_specs=checks, partitions_def=MONTHLY,
                    can_subset=False)
    def body(context):
        for key in keys:
            yield dg.MaterializeResult(asset_key=key, metadata={"row_count": 1})
        for spec in checks:
            yield dg.AssetCheckResult(asset_key=spec.asset_key, check_name=spec.name, passed=True)
    return body

def stub_checks(a):
    checks = list(a.check_specs)
    @dg.multi_asset_check(name=a.node_def.name + "_floor", specs=checks)
    def body(context):
        for spec in checks:
            yield dg.AssetCheckResult(asset_key=spec.asset_key, check_name=spec.name, passed=True)
    return body

job = defs.resolve_job_def(MONTHLY_JOB_NAME)
monthly = {k for k in job.asset_layer.selected_asset_keys}
defs_all = defs.resolve_asset_graph().assets_defs
assets = [a for a in defs_all if a.keys and set(a.keys) <= monthly and a.is_executable]
checks = [a for a in defs_all if not a.keys and {s.asset_key for s in a.check_specs} <= monthly]
floor = dg.Definitions(
    assets=[stub(a) for a in assets],
    asset_checks=[stub_checks(a) for a in checks],
    jobs=[dg.define_asset_job("floor", executor_def=dg.in_process_executor)],
).resolve_job_def("floor")
instance = dg.DagsterInstance.get()
for key in MONTHLY.get_partition_keys():
    result = floor.execute_in_process(instance=instance, partition_key=key)
    assert result.success, key
print(len(assets) + len(checks), len(MONTHLY.get_partition_keys()))
"""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall s, CPU s of the child's process tree, stdout) of ``cmd``; raises with its output if it fails."""
    cpu0, t0 = _children_cpu(), time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=REPO)
    wall, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return wall, cpu, proc.stdout


def _env(work: Path, months: int) -> dict[str, str]:
    source, _ = write_cdnow_csv(work / "cdnow.csv")
    last = f"{1997 + (months - 1) // 12}-{(months - 1) % 12 + 1:02d}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RFM_") and k != "DAGSTER_HOME"}
    return {
        **env,
        "RFM_SOURCE": str(source),
        "RFM_SOURCE_FORMAT": "generic",
        "RFM_COLUMNS": COLUMNS,
        "RFM_START_MONTH": CDNOW_FIRST,
        "RFM_END_MONTH": last,
        "RFM_WAREHOUSE": str(work / "warehouse.duckdb"),
        "RFM_CONTACTS_DIR": str(work / "contacts"),
        "RFM_BI_COPY": str(work / "bi.duckdb"),
        "DAGSTER_HOME": str(work / "dagster_home"),
    }


def measure(months: int, work: Path) -> dict[str, Any]:
    """Time the project's run and the Dagster floor over ``months`` months of CDNOW, in ``work``."""
    (work / "project").mkdir(parents=True)
    (work / "floor").mkdir(parents=True)
    env = _env(work / "project", months)
    wall, cpu, _ = _timed([sys.executable, "-m", "rfm_assets.cli", "run"], env)
    floor_env = _env(work / "floor", months)
    ensure_instance_config(Path(floor_env["DAGSTER_HOME"]))  # the instance config the project's run uses
    f_wall, f_cpu, out = _timed([sys.executable, "-c", FLOOR_SCRIPT], floor_env)
    n_assets_defs, n_months = (int(x) for x in out.split()[-2:])
    assert n_months == months, (n_months, months)
    return {
        "source": "CDNOW_sample (lifetimes), generic mapping",
        "months": months,
        "steps_per_month": n_assets_defs,
        "project": {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)},
        "dagster_floor": {"wall_s": round(f_wall, 2), "cpu_s": round(f_cpu, 2)},
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "run_at": time.strftime("%Y-%m-%d %H:%M"),
    }


def table(r: dict[str, Any]) -> str:
    """The markdown table of a result: whole run and per month, wall and CPU."""
    m = r["months"]
    rows = [
        "| what | wall s | wall s / month | CPU s | CPU s / month |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, key in (("project: `rfm-assets run`", "project"), ("Dagster alone, same graph", "dagster_floor")):
        w, c = r[key]["wall_s"], r[key]["cpu_s"]
        rows.append(f"| {name} | {w:.1f} | {w / m:.2f} | {c:.1f} | {c / m:.2f} |")
    pw = r["project"]["wall_s"] - r["dagster_floor"]["wall_s"]
    pc = r["project"]["cpu_s"] - r["dagster_floor"]["cpu_s"]
    rows.append(f"| the project's own work | {pw:.1f} | {pw / m:.2f} | {pc:.1f} | {pc / m:.2f} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="A month's fixed cost: the project on tiny data next to Dagster alone."
    )
    parser.add_argument("--months", type=int, default=CDNOW_MONTHS, help=f"months from 1997-01 (1..{CDNOW_MONTHS})")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not 1 <= args.months <= CDNOW_MONTHS:
        parser.error(f"--months must be 1..{CDNOW_MONTHS} (the CDNOW sample's months)")
    with tempfile.TemporaryDirectory(prefix="rfm_fixed_cost_") as tmp:
        result = measure(args.months, Path(tmp))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=1) + "\n")
    print(table(result))
    print(f"load average {result['load_average']}; written {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
