"""Monthly schedule, landing-folder sensor, publish-after-run sensor, and the shipped run-queue config."""

import os
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from rfm_assets.definitions import defs
from rfm_assets.jobs import WAREHOUSE_TAG
from rfm_assets.partitions import MONTHLY
from rfm_assets.resources import OrderSourceResource, WarehouseResource
from rfm_assets.sensors import (
    folder_fingerprint,
    landing_folder_sensor,
    months_to_run,
    publish_after_monthly_runs,
)

REPO = Path(__file__).resolve().parents[2]


def test_schedule_runs_the_month_that_just_ended_on_day_3_and_is_off_by_default():
    schedule = defs.resolve_schedule_def("monthly_schedule")
    assert schedule.cron_schedule == "0 6 3 * *"
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    tick = schedule.evaluate_tick(
        dg.build_schedule_context(scheduled_execution_time=datetime(2011, 3, 3, 6, tzinfo=UTC))
    )
    [request] = tick.run_requests or []
    assert request.partition_key == "2011-02-01" and request.job_name == "monthly_job"


def test_fingerprint_sees_new_grown_and_touched_files_only(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n")
    first = folder_fingerprint(tmp_path)
    (tmp_path / ".hidden.csv").write_text("x")
    (tmp_path / "notes.txt").write_text("x")
    assert folder_fingerprint(tmp_path) == first
    (tmp_path / "b.xlsx").write_bytes(b"x")
    second = folder_fingerprint(tmp_path)
    assert second != first
    (tmp_path / "a.csv").write_text("x\n1\n2\n")
    third = folder_fingerprint(tmp_path)
    assert third != second
    os.utime(tmp_path / "a.csv", ns=(1, 1))
    assert folder_fingerprint(tmp_path) != third


def test_months_to_run_are_the_unbuilt_ones_or_else_the_latest():
    keys = ["2011-01-01", "2011-02-01", "2011-03-01", "2011-04-01"]
    assert months_to_run(keys, date(2011, 2, 1)) == ["2011-03-01", "2011-04-01"]
    assert months_to_run(keys, date(2011, 4, 1)) == ["2011-04-01"]
    assert months_to_run(keys, None) == ["2011-04-01"]
    assert months_to_run([], None) == []


def _bi_copy_built_until(path: Path, last: date) -> None:
    """A published copy whose ledger shows tables a and b built up to ``last`` (b one month less)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create table _partitions (table_name varchar, snapshot_month date, row_count bigint)")
        con.execute(
            "insert into _partitions select 'a', range::date, 1 from range(date '2011-01-01', ?, interval 1 month)",
            [date(last.year, last.month, 2)],
        )
        con.execute(
            "insert into _partitions select 'b', snapshot_month, 1 from _partitions where snapshot_month < ?", [last]
        )


def test_landing_sensor_requests_the_months_after_the_newest_complete_one(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "2011-10.csv").write_text("x\n")
    bi = tmp_path / "bi.duckdb"
    _bi_copy_built_until(bi, date(2011, 11, 1))  # complete up to 2011-10 (b lacks 2011-11)
    resources = {
        "order_source": OrderSourceResource(path=str(landing)),
        "warehouse": WarehouseResource(path=str(tmp_path / "wh.duckdb"), bi_copy_path=str(bi)),
    }
    with dg.DagsterInstance.ephemeral() as instance:
        # opened as context managers, as the daemon does: the warehouse resource has a lifecycle (a run's
        # shared connection, WarehouseResource.yield_for_execution)
        with dg.build_sensor_context(instance=instance, resources=resources) as ctx:
            first = landing_folder_sensor(ctx)
        assert isinstance(first, dg.SensorResult)
        assert not first.run_requests and first.cursor == folder_fingerprint(landing)
        with dg.build_sensor_context(instance=instance, resources=resources, cursor=first.cursor) as ctx:
            assert isinstance(landing_folder_sensor(ctx), dg.SkipReason)
            (landing / "2011-11.csv").write_text("x\n")
            result = landing_folder_sensor(ctx)
    assert isinstance(result, dg.SensorResult)
    assert MONTHLY.get_last_partition_key() == "2011-12-01"  # the embedded dataset's range
    assert [r.partition_key for r in result.run_requests or []] == ["2011-11-01", "2011-12-01"]
    assert result.cursor == folder_fingerprint(landing)


def test_landing_sensor_skips_when_the_source_is_a_file(tmp_path):
    (tmp_path / "orders.csv").write_text("x\n")
    resources = {
        "order_source": OrderSourceResource(path=str(tmp_path / "orders.csv")),
        "warehouse": WarehouseResource(path=str(tmp_path / "wh.duckdb")),
    }
    with dg.build_sensor_context(resources=resources) as ctx:
        result = landing_folder_sensor(ctx)
    assert isinstance(result, dg.SkipReason) and "not a folder" in (result.skip_message or "")


@dg.op
def _noop() -> None:
    return None


def _finished_run(instance, name: str, tags: dict):
    """A real successful run of a one-op job named ``name`` and its RUN_SUCCESS event."""
    result = (
        dg.GraphDefinition(name=name, node_defs=[_noop])
        .to_job(name=name)
        .execute_in_process(instance=instance, tags=tags)
    )
    return result.dagster_run, result.get_run_success_event()


def _evaluate(instance, run, event):
    ctx = dg.build_run_status_sensor_context(
        sensor_name="publish_after_monthly_runs", dagster_event=event, dagster_instance=instance, dagster_run=run
    )
    return publish_after_monthly_runs(ctx)


def test_publish_sensor_publishes_after_the_last_monthly_run_only():
    with dg.DagsterInstance.ephemeral() as instance:
        first, first_event = _finished_run(instance, "monthly_job", {"dagster/partition": "2010-01-01"})
        second, second_event = _finished_run(instance, "monthly_job", {"dagster/partition": "2010-02-01"})
        assert isinstance(_evaluate(instance, first, first_event), dg.SkipReason)  # the later run will publish
        request = _evaluate(instance, second, second_event)
        assert isinstance(request, dg.RunRequest) and request.run_key == f"publish-after-{second.run_id}"
        publish, publish_event = _finished_run(instance, "publish_job", {})
        assert isinstance(_evaluate(instance, publish, publish_event), dg.SkipReason)
        views_only, views_event = _finished_run(instance, "__ASSET_JOB", {})
        assert isinstance(_evaluate(instance, views_only, views_event), dg.SkipReason)
        instance.add_run(
            dg.DagsterRun(
                job_name="monthly_job",
                run_id="a" * 8 + "-0000-0000-0000-000000000000",
                status=dg.DagsterRunStatus.STARTED,
            )
        )
        skipped = _evaluate(instance, second, second_event)
        assert isinstance(skipped, dg.SkipReason) and "pending" in (skipped.skip_message or "")


def test_shipped_instance_config_lets_one_warehouse_run_at_a_time(tmp_path):
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", tmp_path / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    try:
        queue = instance.get_concurrency_config().run_queue_config
        assert queue is not None
        limits = queue.tag_concurrency_limits
    finally:
        instance.dispose()
    assert {"key": "rfm/warehouse", "limit": 1} in limits
    assert {"key": "dagster/code_location", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits
    for job in ("monthly_job", "publish_job"):
        assert WAREHOUSE_TAG.items() <= defs.resolve_job_def(job).tags.items()


@pytest.mark.parametrize("name", ["publish_after_monthly_runs", "landing_folder_sensor"])
def test_sensors_are_defined(name):
    assert defs.resolve_sensor_def(name).name == name
