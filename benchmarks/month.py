"""The whole month through ``rfm-assets run``'s own code path, and backfills.

``whole_month`` calls ``rfm_assets.cli.run(month, month)`` (what ``rfm-assets run --from M --to M``
does: ``monthly_job`` executed in process, every asset and blocking check) against a Dagster
instance in ``DAGSTER_HOME`` (SQLite event log, as ``make run`` uses), with the project's
functions timed by :mod:`benchmarks.instrument`. Afterwards it reads the run's step events and
splits the wall time into: compute (core functions), metadata and plots, validation (the checks,
in their asset's step or in a step of their own: reading the partition and running its
great-expectations suite), and Dagster plus asset glue (the rest: orchestration between steps,
event logging, the asset bodies' own small queries).
"""

from __future__ import annotations

import time
from datetime import date
from typing import Any

from benchmarks.instrument import CHECKS, COMPUTE, METADATA, VALIDATION, Recorder, install


def _steps(instance: Any, run_id: str) -> dict[str, dict[str, Any]]:
    """step key -> start, end, kind ('check' or 'asset') and status, from the run's event log."""
    steps: dict[str, dict[str, Any]] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or not entry.step_key:
            continue
        step = steps.setdefault(entry.step_key, {"kind": "asset", "status": "?"})
        kind = event.event_type_value
        if kind == "STEP_START":
            step["start"] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"):
            step["end"], step["status"] = entry.timestamp, kind.removeprefix("STEP_").lower()
        elif kind == "ASSET_MATERIALIZATION":
            step["materialized"] = True
        elif kind == "ASSET_CHECK_EVALUATION":
            step["evaluated"] = True
    for step in steps.values():  # a step that writes an asset is the asset's, whatever checks run in it
        evaluated, materialized = step.pop("evaluated", False), step.pop("materialized", False)
        step["kind"] = "check" if evaluated and not materialized else "asset"
    return {k: v for k, v in steps.items() if "start" in v and "end" in v}


def _split(steps: dict[str, dict[str, Any]], recorder: Recorder) -> list[dict[str, Any]]:
    rows = []
    for key, step in sorted(steps.items(), key=lambda kv: kv[1]["start"]):
        inside = [i for i in recorder.intervals if step["start"] - 0.002 <= i.start <= step["end"] + 0.002]
        by = {c: sum(i.seconds for i in inside if i.category == c) for c in (COMPUTE, METADATA, VALIDATION, CHECKS)}
        rows.append(
            {"step": key, "kind": step["kind"], "status": step["status"], "seconds": step["end"] - step["start"], **by}
        )
    return rows


def whole_month(args: dict[str, Any]) -> dict[str, Any]:
    """One month through rfm_assets.cli.run with every asset and check (and whatever else the CLI
    runs after the months, e.g. publishing); the environment names the warehouse, the source and
    DAGSTER_HOME (set by the parent)."""
    started = time.perf_counter()
    import dagster as dg

    from rfm_assets import cli
    from rfm_assets.definitions import defs  # noqa: F401 - load every module before wrapping

    import_seconds = time.perf_counter() - started
    recorder = Recorder()
    wrapped = install(recorder)
    month = date.fromisoformat(args["month"])
    t0 = time.perf_counter()
    status = cli.run(month, month)
    wall = time.perf_counter() - t0
    instance = dg.DagsterInstance.get()
    steps, checks, failed_checks, runs = [], 0, [], []
    for run in sorted(instance.get_runs(), key=lambda r: instance.get_run_stats(r.run_id).start_time or 0):
        stats = instance.get_run_stats(run.run_id)
        runs.append(
            {
                "job": run.job_name,
                "status": str(run.status.value),
                "seconds": (stats.end_time or 0) - (stats.start_time or 0),
            }
        )
        prefix = "" if run.job_name == "monthly_job" else f"{run.job_name}: "
        steps += [
            {**s, "step": prefix + s["step"], "job": run.job_name}
            for s in _split(_steps(instance, run.run_id), recorder)
        ]
        for e in instance.all_logs(run.run_id):
            if e.dagster_event is not None and e.dagster_event.event_type_value == "ASSET_CHECK_EVALUATION":
                checks += 1
                data = e.dagster_event.event_specific_data
                if isinstance(data, dg.AssetCheckEvaluation) and not data.passed:
                    failed_checks.append(data.asset_check_key.to_user_string())
    failed = [s["step"] for s in steps if s["status"] != "success"]
    return {
        "seconds": wall,
        "exit_status": status,
        "import_seconds": import_seconds,
        "functions_wrapped": wrapped,
        "runs": runs,
        "steps": steps,
        "failed_steps": failed,
        "checks": checks,
        "failed_checks": failed_checks,
    }


def backfill(args: dict[str, Any]) -> dict[str, Any]:
    """``rfm-assets run [--to last]`` in process; with ``generate_default`` the embedded dataset is
    generated first (timed apart), as a first ``make run`` on a fresh machine does."""
    import os
    import sys
    from pathlib import Path

    from rfm_assets.settings import Settings

    generate_seconds = 0.0
    if args.get("generate_default"):
        from rfm_assets.core.default_source import ensure_default_source

        settings = Settings.from_env()
        t0 = time.perf_counter()
        ensure_default_source(settings.default_source_dir, scale=settings.default_scale)
        generate_seconds = time.perf_counter() - t0
    from rfm_assets import cli
    from rfm_assets.partitions import MONTHLY

    last = date.fromisoformat(args["last"]) if args.get("last") else None
    t0 = time.perf_counter()
    status = cli.run(None, last)
    seconds = time.perf_counter() - t0
    sys.stdout.flush()
    if status != 0:
        raise RuntimeError(f"rfm-assets run failed (exit {status}); see the log")
    keys = [k for k in MONTHLY.get_partition_keys() if last is None or date.fromisoformat(k) <= last]
    return {
        "seconds": seconds,
        "generate_seconds": generate_seconds,
        "months": len(keys),
        "warehouse_mb": Path(os.environ["RFM_WAREHOUSE"]).stat().st_size / 2**20,
    }
