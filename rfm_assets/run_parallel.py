"""`rfm-assets run --workers N`: months built in parallel by N worker processes, as their inputs exist.

The unit of work is a *batch*: some assets of one month, run as one Dagster run (``monthly_job`` with an
asset selection) in a worker process that imported the Definitions once. A month's batch holds every
asset not yet built whose parents in *earlier* months are built (per the asset graph's partition
mappings: ``ALL_HISTORY``, ``PREVIOUS_AND_THIS``) and whose same-month parents are built or in the same
batch; a non-subsettable multi-asset goes whole or not at all. So the ingestion of every month starts at
once, and the analytics of month M start as soon as what they read of months <= M exists. One batch per
month is in flight at a time, oldest month first when more are ready than workers are free.

Failures isolate as in the sequential run (``run_plan``): a failed asset-month is never built on; what
depends on it, in its month or later ones, is skipped with it named as the cause. Workers write the
warehouse at once: on a lake each write is its own transaction (conflicts retried), a single DuckDB
file makes them wait for its lock in turn.
"""

from __future__ import annotations

import sys
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

import dagster as dg

from rfm_assets.run_plan import FAILED, OK, SKIPPED, Cause, Outcome, RunPlan

_worker: dict[str, Any] = {}


def _init_worker(verbose: bool) -> None:
    """In each worker, once: the Definitions, the monthly job, the instance."""
    from rfm_assets.cli import QUIET_LOGS, _instance
    from rfm_assets.definitions import defs
    from rfm_assets.jobs import MONTHLY_JOB_NAME

    _worker.update(
        defs=defs,
        job=defs.resolve_job_def(MONTHLY_JOB_NAME),
        graph=defs.resolve_asset_graph(),
        instance=_instance(),
        run_config={} if verbose else QUIET_LOGS,
    )


def run_batch(month: str, assets: list[str], last_month: str) -> dict[str, Any]:
    """In a worker: run ``assets`` of ``month``; plain data back (outcomes, errored checks, failure lines).
    Plots are drawn for the range's ``last_month`` only, as in the sequential run."""
    from rfm_assets.assets.metadata import plot_tags
    from rfm_assets.cli import _failures
    from rfm_assets.run_summary import classify

    started = time.perf_counter()
    keys = [dg.AssetKey.from_user_string(a) for a in assets]
    result = _worker["job"].execute_in_process(
        partition_key=month,
        instance=_worker["instance"],
        raise_on_error=False,
        asset_selection=keys,
        run_config=_worker["run_config"],
        tags=plot_tags(month, last_month),
    )
    outcomes, errors = classify(result, _worker["graph"], month, keys)
    return {
        "outcomes": {
            k.to_user_string(): (o.status, o.reason, o.by_check, o.cause.asset if o.cause else None)
            for k, o in outcomes.items()
        },
        "errors": errors,
        "failures": _failures(result),
        "run_id": result.run_id,
        "seconds": time.perf_counter() - started,
    }


@dataclass
class Scheduler:
    """Which asset-months are built, failed, skipped or pending, and the next batch of each month."""

    plan: RunPlan

    def __post_init__(self) -> None:
        months = set(self.plan.months)
        self.state: dict[tuple[dg.AssetKey, str], str | None] = {
            (k, m): None for m in self.plan.months for k in self.plan.keys
        }
        self.parents = {
            node: [
                (p.asset_key, p.partition_key)
                for p in self.plan.graph.get_parents_partitions(*node).parent_partitions
                if p.asset_key in self.plan.keys
                and p.partition_key in months
                and (p.asset_key, p.partition_key) != node
            ]
            for node in self.state
        }
        self.busy: set[str] = set()

    def done(self) -> bool:
        return all(s in (OK, FAILED, SKIPPED) for s in self.state.values())

    def _skip_blocked(self, month: str) -> None:
        """Mark pending assets whose parent failed or was skipped (or that the plan blocks) as skipped."""
        changed = True
        while changed:
            changed = False
            for key in self.plan.keys:
                node = (key, month)
                if self.state[node] is not None:
                    continue
                cause = self.plan.blocked[month].get(key)
                for parent in self.parents[node]:
                    if cause is None and self.state[parent] in (FAILED, SKIPPED):
                        prior = self.plan.outcomes.get(parent[1], {}).get(parent[0])
                        cause = prior.cause if prior and prior.cause else Cause(parent[0].to_user_string(), parent[1])
                if cause is not None:
                    self.state[node] = SKIPPED
                    self.plan.outcomes.setdefault(month, {})[key] = Outcome(SKIPPED, cause=cause)
                    changed = True

    def next_batch(self, month: str) -> list[dg.AssetKey]:
        """The assets of ``month`` that can run now, together (empty: none, or the month is busy)."""
        if month in self.busy:
            return []
        self._skip_blocked(month)
        batch = {
            k
            for k in self.plan.keys
            if self.state[(k, month)] is None
            and all(self.state[p] == OK for p in self.parents[(k, month)] if p[1] != month)
        }
        changed = True
        while changed:
            changed = False
            for key in list(batch):
                same = [p for p in self.parents[(key, month)] if p[1] == month]
                members = self.plan.execution_set(key)  # a multi-asset that cannot be subset: whole or not
                if any(self.state[p] != OK and p[0] not in batch for p in same) or any(
                    self.state[(k, month)] is None and k not in batch for k in members
                ):
                    batch.discard(key)
                    changed = True
        return sorted(batch, key=lambda k: k.to_user_string())

    def start(self, month: str, batch: list[dg.AssetKey]) -> None:
        self.busy.add(month)
        for key in batch:
            self.state[(key, month)] = "running"

    def finish(self, month: str, batch: list[dg.AssetKey], outcomes: dict[dg.AssetKey, Outcome]) -> None:
        self.busy.discard(month)
        for key in batch:
            outcome = outcomes.get(key, Outcome(FAILED, reason="no outcome reported"))
            self.state[(key, month)] = outcome.status
        self.plan.merge(month, {k: outcomes.get(k, Outcome(FAILED, reason="no outcome reported")) for k in batch})


def _outcomes(raw: dict[str, Any], month: str) -> dict[dg.AssetKey, Outcome]:
    out = {}
    for name, (status, reason, by_check, cause) in raw.items():
        out[dg.AssetKey.from_user_string(name)] = Outcome(
            status, reason=reason, by_check=by_check, cause=Cause(cause, month) if cause else None
        )
    return out


def run_parallel(plan: RunPlan, workers: int, verbose: bool = False) -> int:
    """Build every asset-month of ``plan`` on ``workers`` processes; returns how many non-blocking checks errored."""
    scheduler = Scheduler(plan)
    check_errors = 0
    running: dict[Future, tuple[str, list[dg.AssetKey]]] = {}
    n = 0
    with ProcessPoolExecutor(
        workers, mp_context=get_context("spawn"), initializer=_init_worker, initargs=(verbose,)
    ) as pool:
        while not scheduler.done():
            for month in plan.months:
                if len(running) >= workers:
                    break
                batch = scheduler.next_batch(month)
                if batch:
                    scheduler.start(month, batch)
                    future = pool.submit(run_batch, month, [k.to_user_string() for k in batch], plan.months[-1])
                    running[future] = (month, batch)
            if not running:
                if not scheduler.done():  # nothing can run and nothing runs: should not happen
                    raise RuntimeError("no batch can run, yet asset-months are pending (a dependency cycle?)")
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                month, batch = running.pop(future)
                report = future.result()
                outcomes = _outcomes(report["outcomes"], month)
                scheduler.finish(month, batch, outcomes)
                check_errors += len(report["errors"])
                n += 1
                statuses = {o.status for o in outcomes.values()}
                status = (
                    "FAILED" if FAILED in statuses or report["errors"] else ("ok" if statuses == {OK} else "partial")
                )
                print(
                    f"[batch {n:>3}] {month[:7]}  {status:<7} {report['seconds']:6.1f}s  run {report['run_id'][:8]}  "
                    f"{len(batch)} asset(s): {', '.join(k.to_user_string() for k in batch)}",
                    flush=True,
                )
                for line in report["failures"]:
                    print(f"          {line}", flush=True)
    return check_errors


if __name__ == "__main__":  # pragma: no cover - the CLI is the entry point
    sys.exit("use: rfm-assets run --workers N")
