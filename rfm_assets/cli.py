"""`rfm-assets`: run the monthly pipeline from a terminal, or generate synthetic data.

`rfm-assets run` executes the same job the Dagster UI launches (``monthly_job``), month by month,
oldest first, in process, against the instance in ``DAGSTER_HOME`` (so runs show in the UI) or an
ephemeral one. It stops at the first month with a failed step or blocking check and exits 1.
When every month succeeded it runs ``publish_job``: refresh the BI views, publish the BI copy.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def _month_arg(text: str) -> date:
    from rfm_assets.core.months import month_start

    try:
        return month_start(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _instance():  # noqa: ANN202 - dagster's instance type is internal
    import dagster as dg

    if os.environ.get("DAGSTER_HOME"):
        Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
        return dg.DagsterInstance.get()
    return dg.DagsterInstance.ephemeral()


def _failures(result) -> list[str]:  # noqa: ANN001
    """Human-readable failed steps and failed blocking checks of one run."""
    out = []
    for ev in result.get_asset_check_evaluations():
        if not ev.passed:
            level = ev.severity.value
            desc = ev.description or ""
            out.append(f"check {ev.asset_key.to_user_string()}:{ev.check_name} failed ({level}) {desc}".strip())
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            message = error.message.strip().splitlines()[-1] if error else "unknown error"
            cause = error.cause.message.strip().splitlines()[-1] if error and error.cause else ""
            out.append(f"step {event.step_key} failed: {cause or message}")
    return out


def run(first: date | None, last: date | None, verbose: bool = False) -> int:
    """Materialize every monthly asset and run every check for each month in range."""
    from rfm_assets.core.months import month_start
    from rfm_assets.definitions import defs
    from rfm_assets.jobs import MONTHLY_JOB_NAME
    from rfm_assets.partitions import MONTHLY

    job = defs.resolve_job_def(MONTHLY_JOB_NAME)
    keys = [k for k in MONTHLY.get_partition_keys()
            if (first is None or month_start(k) >= first) and (last is None or month_start(k) <= last)]
    if not keys:
        print(f"no monthly partitions between {first} and {last}; the partitions span "
              f"{MONTHLY.get_first_partition_key()} .. {MONTHLY.get_last_partition_key()}", file=sys.stderr)
        return 2
    instance = _instance()
    started = time.perf_counter()
    for i, key in enumerate(keys, 1):
        t0 = time.perf_counter()
        result = job.execute_in_process(
            partition_key=key, instance=instance, raise_on_error=False,
            run_config={} if verbose else QUIET_LOGS,
        )
        failures = _failures(result)
        warned = [f for f in failures if "(WARN)" in f]
        blocking = [f for f in failures if f not in warned]
        status = "ok" if result.success and not blocking else "FAILED"
        print(f"[{i:>3}/{len(keys)}] {key[:7]}  {status:<6} {time.perf_counter() - t0:6.1f}s  "
              f"run {result.run_id[:8]}", flush=True)
        for line in failures:
            print(f"          {line}", flush=True)
        if status != "ok":
            print(f"stopped at {key[:7]}: later months build on this one. Fix the cause and rerun "
                  f"`rfm-assets run --from {key[:7]}`.", file=sys.stderr)
            return 1
    print(f"done: {len(keys)} months in {time.perf_counter() - started:.1f}s", flush=True)
    return publish(defs, instance, verbose)


def publish(defs, instance, verbose: bool = False) -> int:  # noqa: ANN001 - dagster types
    """Refresh the BI views and publish the read-only BI copy (``publish_job``), after a successful run."""
    from rfm_assets.jobs import PUBLISH_JOB_NAME

    t0 = time.perf_counter()
    result = defs.resolve_job_def(PUBLISH_JOB_NAME).execute_in_process(
        instance=instance, raise_on_error=False, run_config={} if verbose else QUIET_LOGS)
    failures = _failures(result)
    if not result.success or failures:
        for line in failures:
            print(f"          {line}", flush=True)
        print("publishing the BI views failed; the previous BI copy is kept", file=sys.stderr)
        return 1
    metadata = {ev.asset_key.to_user_string(): ev.materialization.metadata
                for ev in result.get_asset_materialization_events()}
    skipped = [f"{name} (needs {md['missing_tables'].value})" for name, md in metadata.items()
               if "missing_tables" in md]
    copy = metadata.get("warehouse_bi_copy", {}).get("path")
    print(f"published BI copy {copy.value if copy else '?'} in {time.perf_counter() - t0:.1f}s"
          + (f"; views not created: {', '.join(skipped)}" if skipped else ""), flush=True)
    return 0


def generate(out: Path, scale: float, months: int, seed: int) -> int:
    """Write the synthetic Online Retail II dataset (and its true parameters) into ``out``."""
    from dataclasses import replace

    from rfm_assets.core.generator import GeneratorConfig
    from rfm_assets.core.generator import generate as gen

    t0 = time.perf_counter()
    ds = gen(out, replace(GeneratorConfig(), scale=scale, n_months=months, seed=seed))
    print(f"wrote {ds.n_lines:,} lines, {ds.n_customers:,} customers, {ds.first_month:%Y-%m}..{ds.last_month:%Y-%m}"
          f" to {ds.csv_path} in {time.perf_counter() - t0:.1f}s")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rfm-assets`` command."""
    parser = argparse.ArgumentParser(prog="rfm-assets", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="materialize every asset and check, month by month, oldest first")
    p_run.add_argument("--from", dest="first", type=_month_arg, metavar="YYYY-MM")
    p_run.add_argument("--to", dest="last", type=_month_arg, metavar="YYYY-MM")
    p_run.add_argument("--verbose", action="store_true", help="show Dagster's own logs")
    p_gen = sub.add_parser("generate", help="write the synthetic dataset")
    p_gen.add_argument("--out", type=Path, required=True)
    p_gen.add_argument("--scale", type=float, default=1.0, help="1 ~ 0.7M lines; 13 ~ 10M lines")
    p_gen.add_argument("--months", type=int, default=24)
    p_gen.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return run(args.first, args.last, args.verbose)
        return generate(args.out, args.scale, args.months, args.seed)
    except Exception as exc:  # a clear message, not only a traceback
        print(f"rfm-assets {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("RFM_DEBUG"):
            raise
        return 1


if __name__ == "__main__":
    sys.exit(main())
