"""The whole-month split by who spends it (benchmarks/instrument.py, benchmarks/report_month.split): checks
that run inside their asset's step count as validation, not as the asset's compute or as Dagster glue."""

import time

import pytest

from benchmarks.instrument import CHECKS, COMPUTE, VALIDATION, Recorder
from benchmarks.report_month import split


def test_great_expectations_inside_the_checks_is_timed_and_compute_inside_them_is_not():
    rec = Recorder()

    def gx() -> None:
        time.sleep(0.02)

    def core_query() -> None:
        time.sleep(0.01)

    timed_gx, timed_core = rec.wrap(gx, VALIDATION, "gx"), rec.wrap(core_query, COMPUTE, "core")

    def evaluate_groups():  # a generator, as the project's: all work done before the first yield
        timed_core()
        timed_gx()
        yield "result a"
        yield "result b"

    timed_checks = rec.wrap(evaluate_groups, CHECKS, "checks")
    assert list(timed_checks()) == ["result a", "result b"]
    by = {i.category: i.seconds for i in rec.intervals}
    assert set(by) == {CHECKS, VALIDATION}  # the query inside the checks is theirs, not compute
    assert by[CHECKS] >= 0.03 and 0.02 <= by[VALIDATION] <= by[CHECKS]
    timed_core()  # outside any check: compute
    assert rec.intervals[-1].category == COMPUTE and rec.depth == 0


def _step(name: str, kind: str, seconds: float, compute: float = 0.0, checks: float = 0.0, gx: float = 0.0) -> dict:
    return {
        "step": name,
        "kind": kind,
        "seconds": seconds,
        "compute": compute,
        "metadata_plots": 0.0,
        "validation_gx": gx,
        "checks": checks,
    }


def test_split_counts_in_step_checks_as_validation():
    steps = [
        _step("rfm_snapshots", "asset", 10.0, compute=6.0, checks=3.0, gx=1.0),  # checks in the asset's step
        _step("drift_check", "check", 2.0, gx=0.5),  # a check in a step of its own
    ]
    s = split({"whole_month": {"seconds": 15.0, "steps": steps}})
    assert s["compute"] == 6.0
    assert s["validation"] == pytest.approx(3.0 + 2.0)
    assert s["validation_gx"] == pytest.approx(1.5)
    assert s["glue"] == pytest.approx(10.0 - 6.0 - 3.0)
    assert s["orchestration"] == pytest.approx(15.0 - 12.0)
    assert s["compute"] + s["validation"] + s["glue"] + s["orchestration"] == pytest.approx(15.0)
