"""The --workers scheduler on the real asset graph: which assets of which month may run together, and
what a failure skips. Expected batches are written by hand from the asset modules' declared dependencies."""

import dagster as dg
import pytest

from rfm_assets.cli import main
from rfm_assets.definitions import defs
from rfm_assets.jobs import MONTHLY_JOB_NAME
from rfm_assets.run_parallel import Scheduler
from rfm_assets.run_plan import FAILED, OK, SKIPPED, Outcome, RunPlan

MONTHS = ["2010-01-01", "2010-02-01", "2010-03-01"]
INGESTION = {"raw_orders", "quarantined_lines", "cleaned_transactions", "customer_returns"}
DORMANT = {"dormant_features", "dormant_model_metrics", "dormant_targets", "dormant_calibration"}


def scheduler() -> Scheduler:
    job = defs.resolve_job_def(MONTHLY_JOB_NAME)
    return Scheduler(RunPlan(defs.resolve_asset_graph(), job.asset_layer.selected_asset_keys, MONTHS))


def names(keys) -> set[str]:
    return {k.to_user_string() for k in keys}


def finish(s: Scheduler, month: str, batch, failed=()):
    outcomes = {k: Outcome(FAILED, reason="boom") if k.to_user_string() in failed else Outcome(OK) for k in batch}
    s.finish(month, batch, outcomes)


def test_ingestion_of_every_month_first_then_analytics_as_earlier_months_exist():
    s = scheduler()
    every = names(s.plan.keys)
    first = {m: s.next_batch(m) for m in MONTHS}
    assert names(first[MONTHS[0]]) == every  # the first month reads no earlier month: all of it at once
    assert names(first[MONTHS[1]]) == names(first[MONTHS[2]]) == INGESTION
    for m in MONTHS:
        s.start(m, first[m])
    assert s.next_batch(MONTHS[1]) == []  # one batch per month in flight
    finish(s, MONTHS[1], first[MONTHS[1]])
    assert s.next_batch(MONTHS[1]) == []  # its analytics read 2010-01, not built yet
    finish(s, MONTHS[0], first[MONTHS[0]])
    assert names(s.next_batch(MONTHS[1])) == every - INGESTION
    assert s.next_batch(MONTHS[2]) == []  # 2010-03's analytics also wait for 2010-02's
    assert not s.done()


def test_a_failure_skips_what_reads_it_in_later_months_and_nothing_else():
    s = scheduler()
    every = names(s.plan.keys)
    first = {m: s.next_batch(m) for m in MONTHS}
    for m in MONTHS:
        s.start(m, first[m])
    for m in MONTHS:
        finish(s, m, first[m], failed={"customer_lifetime_value"} if m == MONTHS[0] else ())
    # 2010-01's CLV failed: dormant_model_metrics of later months reads every earlier month's CLV, and
    # the dormant multi-asset cannot be split, so its four tables wait; everything else runs
    # (and, in their month, what the asset modules build on the dormant tables)
    waiting = set(DORMANT)
    todo = [dg.AssetKey(d) for d in DORMANT]
    while todo:
        for part in s.plan.graph.get_children_partitions(todo.pop(), MONTHS[1]):
            child = part.asset_key
            if part.partition_key == MONTHS[1] and child in s.plan.keys and child.to_user_string() not in waiting:
                waiting.add(child.to_user_string())
                todo.append(child)
    batch = s.next_batch(MONTHS[1])
    assert names(batch) == every - INGESTION - waiting
    skipped = {k.to_user_string(): o for k, o in s.plan.outcomes[MONTHS[1]].items() if o.status == SKIPPED}
    assert "dormant_model_metrics" in skipped
    assert str(skipped["dormant_model_metrics"].cause) == "customer_lifetime_value 2010-01"
    assert dg.AssetKey("customer_lifetime_value") in batch  # 2010-02's own CLV still runs


def test_workers_must_be_a_whole_number_of_at_least_one(capsys):
    for bad in ("0", "-2", "two"):
        with pytest.raises(SystemExit) as exited:
            main(["run", "--workers", bad])
        assert exited.value.code == 2
        assert "use a whole number >= 1" in capsys.readouterr().err
