"""`rfm-assets`: run the monthly pipeline from a terminal, or generate synthetic data.

`rfm-assets run` executes the same job the Dagster UI launches (``monthly_job``), month by month,
oldest first, in process, against the instance in ``DAGSTER_HOME`` (so runs show in the UI) or an
ephemeral one. A failed step or blocking check skips only what depends on it (that month's
descendants, and later months that read it, per the asset graph's partition mappings: see
``run_plan``); every other asset of every month still runs. It prints a month x asset summary of
what failed or was skipped, then runs ``publish_job`` (refresh the BI views, publish the BI copy)
unless a blocking check failed, and exits 1 if anything failed.
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


def _workers_arg(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: use a whole number >= 1")
    return int(text)


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


def _stage_source() -> None:
    """Stage a configured source before the definitions load, so the partitions span its current months.

    Loading the definitions reads only the month range the last staging recorded (``partitions.py``);
    staging here, which is a no-op when the files did not change, refreshes it for this run.
    """
    from rfm_assets.core.sources import SourceSpec, parse_column_mapping
    from rfm_assets.core.sources.staging import stage_source
    from rfm_assets.settings import Settings

    settings = Settings.from_env()
    if settings.source is not None:
        mapping = parse_column_mapping(settings.columns) if settings.columns else None
        spec = SourceSpec(path=Path(settings.source), format=settings.source_format, columns=mapping)
        stage_source(spec, Path(settings.staging_dir))


def run(first: date | None, last: date | None, verbose: bool = False, workers: int = 1) -> int:
    """Materialize every monthly asset and run every check for each month in range.

    A failure blocks only its descendants (this month and the later months that read it); the
    rest goes on. Exits 1 when anything failed, after a month x asset summary.
    """
    from rfm_assets.core.months import month_start

    _stage_source()
    from rfm_assets.assets.metadata import plot_tags
    from rfm_assets.definitions import defs
    from rfm_assets.jobs import MONTHLY_JOB_NAME
    from rfm_assets.partitions import MONTHLY
    from rfm_assets.run_plan import FAILED, RunPlan
    from rfm_assets.run_summary import classify, summary_lines

    job = defs.resolve_job_def(MONTHLY_JOB_NAME)
    keys = [
        k
        for k in MONTHLY.get_partition_keys()
        if (first is None or month_start(k) >= first) and (last is None or month_start(k) <= last)
    ]
    if not keys:
        print(
            f"no monthly partitions between {first} and {last}; the partitions span "
            f"{MONTHLY.get_first_partition_key()} .. {MONTHLY.get_last_partition_key()}",
            file=sys.stderr,
        )
        return 2
    instance = _instance()
    graph = defs.resolve_asset_graph()
    plan = RunPlan(graph, job.asset_layer.selected_asset_keys, keys)
    check_errors = 0
    started = time.perf_counter()
    if workers > 1:  # months in parallel as their inputs exist (run_parallel), on `workers` processes
        from rfm_assets.run_parallel import run_parallel

        check_errors = run_parallel(plan, workers, verbose)
    for i, key in enumerate(keys if workers == 1 else [], 1):
        t0 = time.perf_counter()
        selection = plan.selection(key)
        if selection == []:
            plan.record(key, {})
            print(f"[{i:>3}/{len(keys)}] {key[:7]}  {'skipped':<7} every asset waits on an earlier failure", flush=True)
            continue
        result = job.execute_in_process(
            partition_key=key,
            instance=instance,
            raise_on_error=False,
            asset_selection=selection,
            run_config={} if verbose else QUIET_LOGS,
            tags=plot_tags(key, keys[-1]),  # plots for the range's last month only
        )
        outcomes, errors = classify(result, graph, key, plan.keys if selection is None else selection)
        plan.record(key, outcomes)
        check_errors += len(errors)
        statuses = {o.status for o in plan.outcomes[key].values()}
        status = "FAILED" if FAILED in statuses or errors else ("ok" if statuses == {"ok"} else "partial")
        print(
            f"[{i:>3}/{len(keys)}] {key[:7]}  {status:<7} {time.perf_counter() - t0:6.1f}s  run {result.run_id[:8]}",
            flush=True,
        )
        for line in _failures(result):
            print(f"          {line}", flush=True)
    print(f"done: {len(keys)} months in {time.perf_counter() - started:.1f}s", flush=True)
    for line in summary_lines(plan):
        print(line, flush=True)
    failed = [(m, o) for m, outcomes in plan.outcomes.items() for o in outcomes.values() if o.status == FAILED]
    if not failed and not check_errors:
        return publish(defs, instance, verbose)
    if check_errors:
        print(f"{check_errors} non-blocking check(s) errored (listed under their month above)", file=sys.stderr)
    if failed:
        print(
            f"{len(failed)} asset-month(s) failed; fix the cause and rerun `rfm-assets run --from {failed[0][0][:7]}`.",
            file=sys.stderr,
        )
    if any(o.by_check for _, o in failed):
        # Data that failed a blocking check is written and in the ledger: a view could show it.
        print(
            "not publishing the BI views: a blocking check failed on data the views could show; "
            "the previous BI copy is kept",
            file=sys.stderr,
        )
    else:
        # Each view shows only the newest month the ledger holds for all its inputs; a failed step's are not.
        publish(defs, instance, verbose)
    return 1


def publish(defs, instance, verbose: bool = False) -> int:  # noqa: ANN001 - dagster types
    """Refresh the BI views and publish the read-only BI copy (``publish_job``), after a successful run."""
    from rfm_assets.jobs import PUBLISH_JOB_NAME

    t0 = time.perf_counter()
    result = defs.resolve_job_def(PUBLISH_JOB_NAME).execute_in_process(
        instance=instance, raise_on_error=False, run_config={} if verbose else QUIET_LOGS
    )
    failures = _failures(result)
    if not result.success or failures:
        for line in failures:
            print(f"          {line}", flush=True)
        print("publishing the BI views failed; the previous BI copy is kept", file=sys.stderr)
        return 1
    metadata = {
        ev.asset_key.to_user_string(): ev.materialization.metadata for ev in result.get_asset_materialization_events()
    }
    skipped = [
        f"{name} (needs {md['missing_tables'].value})" for name, md in metadata.items() if "missing_tables" in md
    ]
    copy = metadata.get("warehouse_bi_copy", {}).get("path")
    snapshot = metadata.get("warehouse_bi_copy", {}).get("lake_snapshot")  # a lake: BI reads this snapshot
    where = f"lake snapshot {snapshot.value}" if snapshot else f"BI copy {copy.value if copy else '?'}"
    print(
        f"published {where} in {time.perf_counter() - t0:.1f}s"
        + (f"; views not created: {', '.join(skipped)}" if skipped else ""),
        flush=True,
    )
    return 0


def generate(out: Path, scale: float, months: int, seed: int) -> int:
    """Write the synthetic Online Retail II dataset (and its true parameters) into ``out``."""
    from dataclasses import replace

    from rfm_assets.core.generator import GeneratorConfig
    from rfm_assets.core.generator import generate as gen

    t0 = time.perf_counter()
    ds = gen(out, replace(GeneratorConfig(), scale=scale, n_months=months, seed=seed))
    print(
        f"wrote {ds.n_lines:,} lines, {ds.n_customers:,} customers, {ds.first_month:%Y-%m}..{ds.last_month:%Y-%m}"
        f" to {ds.csv_path} in {time.perf_counter() - t0:.1f}s"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``rfm-assets`` command."""
    parser = argparse.ArgumentParser(prog="rfm-assets", description=(__doc__ or "rfm-assets").splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="materialize every asset and check, month by month, oldest first")
    p_run.add_argument("--from", dest="first", type=_month_arg, metavar="YYYY-MM")
    p_run.add_argument("--to", dest="last", type=_month_arg, metavar="YYYY-MM")
    p_run.add_argument("--verbose", action="store_true", help="show Dagster's own logs")
    p_run.add_argument(
        "--workers",
        type=_workers_arg,
        default=1,
        metavar="N",
        help="build months in parallel on N processes as their inputs exist (a lake warehouse: docs/scaling.md)",
    )
    p_gen = sub.add_parser("generate", help="write the synthetic dataset")
    p_gen.add_argument("--out", type=Path, required=True)
    p_gen.add_argument("--scale", type=float, default=1.0, help="1 ~ 0.7M lines; 13 ~ 10M lines")
    p_gen.add_argument("--months", type=int, default=24)
    p_gen.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            return run(args.first, args.last, args.verbose, args.workers)
        return generate(args.out, args.scale, args.months, args.seed)
    except Exception as exc:  # a clear message, not only a traceback
        print(f"rfm-assets {args.command}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("RFM_DEBUG"):
            raise
        return 1


if __name__ == "__main__":
    sys.exit(main())
