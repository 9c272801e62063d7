"""Scale-out benchmark: a whole backfill on a lake (private Postgres catalog, Parquet files) with 1, 2 and 4
workers: months per minute and peak RSS per worker process.

    .venv/bin/python -m benchmarks.scale_out --lines 3M 10M --months 36 --workers 1 2 4

Each (lines, workers) pair builds every month from scratch into a new lake database, through the real
command, ``rfm-assets run --workers N`` (instance in Postgres, like a cluster), while a sampler polls the
RSS of every process of the run's tree every 0.5 s. Data comes from ``benchmarks/dataset.py`` (cached under
``data/bench/``; the source is staged again for each run, as a fresh backfill does). Writes
``benchmarks/results/scale_out.json`` (``--results``) and prints a markdown table for
``benchmarks/RESULTS.md``. The Postgres cluster is the tests' (``rfm_assets_tests/lake/postgres.py``).
With one worker the CLI builds the months itself, so its own peak RSS is the worker's.

Smoke test (``rfm_assets_tests/benchmarks/test_scale_out_smoke.py``): ``--lines 10k --months 1 --workers 1 2``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

from benchmarks.dataset import ensure_data, label, parse_lines, scale_for_lines
from benchmarks.measure import REPO
from benchmarks.report_scale_out import table
from rfm_assets_tests.lake.postgres import start_cluster

RESULTS = REPO / "benchmarks" / "results" / "scale_out.json"


def _sample(root: psutil.Process, peaks: dict[int, int], loads: list[float], stop: threading.Event) -> None:
    """Peak RSS of each process in ``root``'s tree, and the machine's 1-minute load average, until ``stop``."""
    while not stop.is_set():
        loads.append(os.getloadavg()[0])
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for proc in procs:
            try:
                peaks[proc.pid] = max(peaks.get(proc.pid, 0), proc.memory_info().rss)
            except psutil.NoSuchProcess:
                continue
        stop.wait(0.5)


def one_run(cluster, csv: Path, workers: int, work: Path, tag: str) -> dict:  # noqa: ANN001 - Cluster
    """One backfill with ``workers`` processes; wall time, months, peak RSS of the biggest worker."""
    name = f"bench_{tag}_w{workers}".replace(".", "_").lower()
    shutil.rmtree(work / name, ignore_errors=True)  # a new lake's data path holds no earlier run's files
    target = f"ducklake:postgres:{cluster.create_database(name)}"
    home = cluster.dagster_home(work / name / "dagster_home", f"{name}_dagster")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RFM_")},  # only the benchmark's settings
        "RFM_WAREHOUSE": target,
        "RFM_LAKE_DATA_PATH": str(work / name / "lake"),
        "RFM_SOURCE": str(csv),
        "DAGSTER_HOME": str(home),
    }
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "rfm_assets.cli", "run", "--workers", str(workers)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=work,
    )
    peaks: dict[int, int] = {}
    loads: list[float] = []
    stop = threading.Event()
    sampler = threading.Thread(target=_sample, args=(psutil.Process(proc.pid), peaks, loads, stop), daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the CLI and its workers, once all have exited
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    stop.set()
    sampler.join()
    (work / name / "run.log").write_text(out)  # the whole output, to look into a failed run
    months = len({line.split()[2] for line in out.splitlines() if line.startswith("[batch")}) or len(
        [line for line in out.splitlines() if line.startswith("[") and "/" in line[:10]]
    )
    # the biggest child processes are the workers; with one worker the CLI builds the months itself
    worker_peaks = sorted((v for pid, v in peaks.items() if pid != proc.pid), reverse=True)[:workers]
    if workers == 1:
        worker_peaks = [peaks.get(proc.pid, 0)]
    return {
        "workers": workers,
        # the run's own workers load the machine too: above ~N workers (or 2 cores), something else ran
        "mean_load_average": round(sum(loads) / len(loads), 2) if loads else None,
        "returncode": proc.returncode,
        "seconds": round(seconds, 1),
        # CPU seconds of the CLI and its workers (not Postgres): above the wall time, workers ran at once
        "cpu_seconds": round(cpu, 1),
        "months": months,
        "months_per_minute": round(months / seconds * 60, 2) if seconds else None,
        "peak_rss_mb_per_worker": round(max(worker_peaks, default=0) / 2**20),
        "peak_rss_mb_cli": round(peaks.get(proc.pid, 0) / 2**20),
        "tail": out.splitlines()[-3:] if proc.returncode == 0 else out.splitlines()[-40:],
        "log": str(work / name / "run.log"),
    }


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"rows": rows, "cpus": os.cpu_count()}, indent=1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--lines", nargs="+", default=["3M", "10M"])
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--workers", nargs="+", type=int, default=[1, 2, 4])
    parser.add_argument("--data-dir", type=Path, default=REPO / "data" / "bench")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--results", type=Path, default=RESULTS, help="the JSON file to write")
    args = parser.parse_args(argv)
    cluster = start_cluster()
    rows = []
    try:
        for text in args.lines:
            lines = parse_lines(text)
            data = ensure_data(
                args.data_dir, scale_for_lines(lines, args.months, args.seed, args.data_dir), args.months, args.seed
            )
            for workers in args.workers:
                row = one_run(cluster, data.csv, workers, data.folder / "scale_out", label(data.n_lines))
                rows.append({"lines": label(data.n_lines), **row})
                print(table(rows[-1:]).splitlines()[-1], flush=True)
                _write(args.results, rows)  # after every run: a long benchmark cut short keeps what it measured
    finally:
        cluster.stop()
    print(table(rows))
    return 0 if all(r["returncode"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
