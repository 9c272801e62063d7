"""classify() on real in-process runs of a toy job: failed steps, failed blocking checks, skips,
errored non-blocking checks, and a run restricted to a selection (rfm_assets/run_summary.py)."""

import warnings

import dagster as dg
import pytest

from rfm_assets.run_plan import FAILED, OK, SKIPPED, Cause
from rfm_assets.run_summary import classify

MONTHS = dg.MonthlyPartitionsDefinition(start_date="2020-01-01", end_date="2020-04-01")
BREAK: set[str] = set()  # what the toy assets and checks should break this run


def _maybe_raise(what: str) -> None:
    if what in BREAK:
        raise RuntimeError(f"{what} broke")


# a -> b -> c, and d on its own; a has a blocking check, d a non-blocking one.
@dg.asset(partitions_def=MONTHS)
def a() -> None:
    _maybe_raise("a")


@dg.asset(partitions_def=MONTHS, deps=[a])
def b() -> None:
    _maybe_raise("b")


@dg.asset(partitions_def=MONTHS, deps=[b])
def c() -> None: ...


@dg.asset(partitions_def=MONTHS)
def d() -> None: ...


# Partitioned checks are a Dagster preview, as in the project (rfm_assets.checks.table_checks).
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)

    @dg.asset_check(asset=a, blocking=True, partitions_def=MONTHS)
    def a_is_fine() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed="a_check" not in BREAK, severity=dg.AssetCheckSeverity.ERROR)

    @dg.asset_check(asset=d, blocking=False, partitions_def=MONTHS)
    def d_looks_normal() -> dg.AssetCheckResult:
        _maybe_raise("d_check")
        return dg.AssetCheckResult(passed=True)


DEFS = dg.Definitions(
    assets=[a, b, c, d],
    asset_checks=[a_is_fine, d_looks_normal],
    jobs=[dg.define_asset_job("toy", executor_def=dg.in_process_executor)],
)
GRAPH = DEFS.resolve_asset_graph()
ALL = {dg.AssetKey(n) for n in "abcd"}


@pytest.fixture
def run():
    def _run(*broken: str, selection=None):
        BREAK.clear()
        BREAK.update(broken)
        with dg.DagsterInstance.ephemeral() as instance:
            result = DEFS.resolve_job_def("toy").execute_in_process(
                partition_key="2020-02-01", instance=instance, raise_on_error=False, asset_selection=selection
            )
        outcomes, errors = classify(result, GRAPH, "2020-02-01", selection or ALL)
        return {k.to_user_string(): o for k, o in outcomes.items()}, errors

    yield _run
    BREAK.clear()


def test_everything_ok(run):
    outcomes, errors = run()
    assert {k: o.status for k, o in outcomes.items()} == dict.fromkeys("abcd", OK) and errors == []


def test_a_failed_step_skips_its_descendants_only(run):
    outcomes, errors = run("b")
    assert outcomes["b"].status == FAILED and outcomes["b"].reason == "RuntimeError: b broke"
    assert not outcomes["b"].by_check
    assert outcomes["c"].status == SKIPPED and outcomes["c"].cause == Cause("b", "2020-02-01")
    assert outcomes["a"].status == OK and outcomes["d"].status == OK and errors == []


def test_a_failed_blocking_check_fails_its_asset_and_skips_what_follows(run):
    outcomes, _ = run("a_check")
    assert outcomes["a"].status == FAILED and outcomes["a"].by_check
    assert outcomes["a"].reason.startswith("check a_is_fine failed")
    assert [outcomes[k].cause for k in "bc"] == [Cause("a", "2020-02-01")] * 2
    assert outcomes["d"].status == OK


def test_an_errored_non_blocking_check_blocks_nothing_but_is_reported(run):
    outcomes, errors = run("d_check")
    assert all(o.status == OK for o in outcomes.values())
    assert len(errors) == 1 and "d:d_looks_normal errored" in errors[0] and "d_check broke" in errors[0]


def test_a_selection_runs_only_its_assets_and_their_checks(run):
    outcomes, errors = run("a_check", selection=[dg.AssetKey("c"), dg.AssetKey("d")])
    assert {k: o.status for k, o in outcomes.items()} == {"c": OK, "d": OK}  # a's failing check did not run
    assert errors == []
