"""Sensors: publish the BI copy after monthly runs, and run new data from a landing folder.

- ``publish_after_monthly_runs`` (running by default): after a successful run that built a month,
  run ``publish_job`` (refresh the BI views, publish the read-only BI copy). While other runs are
  queued or in progress, e.g. during a backfill, it waits for the last of them, so a backfill of
  24 months publishes once or a few times, not 24 times.
- ``landing_folder_sensor`` (stopped by default): when ``RFM_SOURCE`` is a folder, watches its
  ``*.csv``, ``*.xlsx``, ``*.parquet`` (cursor = fingerprint of file names, sizes and mtimes). On a
  change it requests ``monthly_job`` for every month after the newest month the BI copy's ledger
  shows complete, up to the latest partition (at least the latest partition), oldest first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb

from rfm_assets.core.sources.spec import FILE_TYPES
from rfm_assets.core.views import latest_complete_month
from rfm_assets.core.warehouse import LEDGER, table_exists
from rfm_assets.jobs import MONTHLY_JOB_NAME, PUBLISH_JOB_NAME, monthly_job, publish_job
from rfm_assets.partitions import MONTHLY
from rfm_assets.resources import OrderSourceResource, WarehouseResource

IN_PROGRESS = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
PARTITION_TAGS = ("dagster/partition", "dagster/asset_partition_range_start")


def folder_fingerprint(folder: Path) -> str:
    """sha256 of the names, sizes and mtimes of the folder's source files (not recursive, no hidden files)."""
    stats = sorted(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns)
        for p in Path(folder).iterdir()
        if p.is_file() and p.suffix.lower() in FILE_TYPES and not p.name.startswith(".")
    )
    return hashlib.sha256(json.dumps(stats).encode()).hexdigest()


def newest_complete_month(db: Path) -> date | None:
    """The newest month every ledger table holds, read from a (published, read-only) DuckDB file."""
    if not Path(db).exists():
        return None
    with duckdb.connect(str(db), read_only=True) as con:
        if not table_exists(con, LEDGER):
            return None
        tables = tuple(r[0] for r in con.execute(f"select distinct table_name from {LEDGER}").fetchall())
        return latest_complete_month(con, tables)


def months_to_run(partition_keys: Sequence[str], newest_built: date | None) -> list[str]:
    """Partitions after ``newest_built`` (oldest first); at least the latest partition."""
    if not partition_keys:
        return []
    after = [k for k in partition_keys if newest_built is not None and date.fromisoformat(k) > newest_built]
    return after or [partition_keys[-1]]


@dg.sensor(
    job=monthly_job,
    name="landing_folder_sensor",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description="When RFM_SOURCE is a folder: runs the newest month(s) after files are added or changed.",
)
def landing_folder_sensor(
    context: dg.SensorEvaluationContext, order_source: OrderSourceResource, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    """Request monthly runs when the landing folder's files change (first tick: record a baseline)."""
    if not order_source.path or not Path(order_source.path).is_dir():
        return dg.SkipReason("RFM_SOURCE is not a folder: nothing to watch")
    fingerprint = folder_fingerprint(Path(order_source.path))
    if context.cursor is None:
        return dg.SensorResult(skip_reason="baseline of the folder's files recorded", cursor=fingerprint)
    if fingerprint == context.cursor:
        return dg.SkipReason("no new or changed files")
    keys = MONTHLY.get_partition_keys()
    months = months_to_run(keys, newest_complete_month(warehouse.bi_copy()))
    requests = [
        dg.RunRequest(
            partition_key=k,
            run_key=f"landing-{fingerprint[:16]}-{k}",
            tags={"rfm/landing_fingerprint": fingerprint[:16]},
        )
        for k in months
    ]
    context.log.info(f"landing folder changed; requesting {', '.join(k[:7] for k in months)}")
    return dg.SensorResult(run_requests=requests, cursor=fingerprint)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    name="publish_after_monthly_runs",
    request_job=publish_job,
    minimum_interval_seconds=15,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After a successful monthly run, and once no other run is pending: "
    "refresh the BI views and publish the read-only BI copy.",
)
def publish_after_monthly_runs(context: dg.RunStatusSensorContext) -> dg.RunRequest | dg.SkipReason:
    """Publish after runs that built a month, once nothing else is queued or running."""
    run = context.dagster_run
    if not builds_month(run):
        return dg.SkipReason(f"run {run.run_id[:8]} built no month")
    pending = context.instance.get_run_records(dg.RunsFilter(statuses=IN_PROGRESS), limit=1)
    if pending:
        return dg.SkipReason(f"run {pending[0].dagster_run.run_id[:8]} is still pending; publishing after the last run")
    record = context.instance.get_run_record_by_id(run.run_id)
    if record is None:
        return dg.SkipReason(f"run {run.run_id[:8]} has no run record")
    later = context.instance.get_run_records(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS], created_after=record.create_timestamp), limit=50
    )
    if any(builds_month(r.dagster_run) and r.dagster_run.run_id != run.run_id for r in later):
        return dg.SkipReason("a later successful run will publish")
    return dg.RunRequest(run_key=f"publish-after-{run.run_id}")


def builds_month(run: dg.DagsterRun) -> bool:
    """A run of the monthly job, or any run that materialized monthly partitions (not a publish run)."""
    if run.job_name == PUBLISH_JOB_NAME:
        return False
    return run.job_name == MONTHLY_JOB_NAME or any(t in run.tags for t in PARTITION_TAGS)
