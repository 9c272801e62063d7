"""Checks run inside their asset's step (assets/decorators.py, checks/table_checks.py), on a toy chain
built with the real decorators and a real DuckDB file: a failing blocking check stops the month's
downstream assets, a failing WARN check does not, a check that raises is reported as errored, and the
CLI's classification (run_summary.classify) says the same as separate check steps did."""

import dagster as dg
import pytest

from rfm_assets.assets.decorators import monthly_asset
from rfm_assets.checks.table_checks import ERROR_KEY, CheckGroup, TableCheck, Verdict
from rfm_assets.partitions import MONTHLY
from rfm_assets.resources import AnalysisParamsResource, WarehouseResource
from rfm_assets.run_plan import FAILED, OK, SKIPPED, Cause
from rfm_assets.run_summary import classify

VERDICTS: dict[str, object] = {}  # check name -> "pass" | "fail" | "raise", set per test
_FIRST = MONTHLY.get_first_partition_key()
if _FIRST is None:
    raise RuntimeError("the monthly partitions have no first month")
MONTH: str = _FIRST


def _answer(con, month, window_months, names) -> dict[str, Verdict]:
    out = {}
    for name in names:
        what = VERDICTS.get(name, "pass")
        if what == "raise":
            raise RuntimeError(f"{name} cannot answer")
        # the check really reads the warehouse: the row the asset wrote this month
        (rows,) = con.execute("select count(*) from toy where month = ?", [month]).fetchone()
        out[name] = Verdict(what == "pass" and rows == 1, f"{rows} row(s)", {"rows": dg.MetadataValue.int(rows)})
    return out


GUARD = CheckGroup("toy_upstream", (TableCheck("guard", "blocking", blocking=True),), _answer)
WATCH = CheckGroup("toy_upstream", (TableCheck("watch", "warn only", blocking=False),), _answer)


@monthly_asset(checks=[GUARD, WATCH])
def toy_upstream(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    """Writes one row for the month."""
    with warehouse.connect() as con:
        con.execute("create table if not exists toy (month date)")
        con.execute("insert into toy values (?)", [context.partition_key])
    return dg.MaterializeResult(metadata={"written": 1})


@monthly_asset(deps=[toy_upstream])
def toy_downstream(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult()


KEYS = {dg.AssetKey("toy_upstream"), dg.AssetKey("toy_downstream")}


@pytest.fixture
def run(tmp_path):
    def _run(**verdicts: str):
        VERDICTS.clear()
        VERDICTS.update(verdicts)
        defs = dg.Definitions(
            assets=[toy_upstream, toy_downstream],
            jobs=[dg.define_asset_job("toy", executor_def=dg.in_process_executor)],
            resources={
                "warehouse": WarehouseResource(path=str(tmp_path / "w.duckdb")),
                "params": AnalysisParamsResource(),
            },
        )
        with dg.DagsterInstance.ephemeral() as instance:
            result = defs.resolve_job_def("toy").execute_in_process(
                partition_key=MONTH, instance=instance, raise_on_error=False
            )
        outcomes, errors = classify(result, defs.resolve_asset_graph(), MONTH, KEYS)
        return result, {k.to_user_string(): o for k, o in outcomes.items()}, errors

    yield _run
    VERDICTS.clear()


def _evaluations(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_checks_are_attached_to_their_asset_and_run_in_its_step(run):
    assert {k.name for k in toy_upstream.check_keys} == {"guard", "watch"}
    assert not toy_downstream.check_keys
    result, outcomes, errors = run()
    assert result.success and errors == [] and all(o.status == OK for o in outcomes.values())
    evaluations = _evaluations(result)
    assert set(evaluations) == {"guard", "watch"} and all(e.passed for e in evaluations.values())
    assert evaluations["guard"].metadata["rows"].value == 1  # read what the body wrote just before
    steps = {e.step_key for e in result.all_events if e.is_step_success}
    assert steps == {"toy_upstream", "toy_downstream"}  # no separate check step


def test_a_failing_blocking_check_stops_the_months_downstream_assets(run):
    result, outcomes, errors = run(guard="fail")
    assert not result.success
    assert [e.asset_key.to_user_string() for e in result.get_asset_materialization_events()] == ["toy_upstream"]
    assert _evaluations(result)["guard"].severity == dg.AssetCheckSeverity.ERROR
    assert _evaluations(result)["watch"].passed  # the other checks still answered
    assert outcomes["toy_upstream"].status == FAILED and outcomes["toy_upstream"].by_check
    assert outcomes["toy_upstream"].reason == "check guard failed"
    assert outcomes["toy_downstream"].status == SKIPPED
    assert outcomes["toy_downstream"].cause == Cause("toy_upstream", MONTH)
    assert errors == []


def test_a_failing_warn_check_stops_nothing(run):
    result, outcomes, errors = run(watch="fail")
    assert result.success
    assert not _evaluations(result)["watch"].passed
    assert _evaluations(result)["watch"].severity == dg.AssetCheckSeverity.WARN
    assert {k: o.status for k, o in outcomes.items()} == {"toy_upstream": OK, "toy_downstream": OK}
    assert errors == []


def test_a_warn_check_that_raises_is_an_error_that_stops_nothing(run):
    result, outcomes, errors = run(watch="raise")
    assert result.success
    watch = _evaluations(result)["watch"]
    error = watch.metadata[ERROR_KEY].value
    assert not watch.passed and isinstance(error, str) and "watch cannot answer" in error
    assert all(o.status == OK for o in outcomes.values())
    assert errors == ["check toy_upstream:watch errored: RuntimeError: watch cannot answer"]


def test_a_blocking_check_that_raises_fails_its_asset(run):
    result, outcomes, errors = run(guard="raise")
    assert not result.success
    assert outcomes["toy_upstream"].status == FAILED and outcomes["toy_upstream"].by_check
    assert outcomes["toy_upstream"].reason == "check guard errored: RuntimeError: guard cannot answer"
    assert outcomes["toy_downstream"].status == SKIPPED and errors == []


def test_tables_whose_asset_does_not_run_its_checks_get_separate_check_steps():
    from rfm_assets.checks.table_checks import check_groups, standalone_checks
    from rfm_assets.definitions import ASSETS

    every = {key for groups in check_groups().values() for group in groups for key in group.keys()}
    in_steps = {key for asset in ASSETS for key in asset.check_keys}
    assert every <= in_steps  # the project's own assets run every table's checks in their steps
    assert standalone_checks(ASSETS) == []
    plain = [a for a in ASSETS if not a.check_keys]  # as if every asset were a plain dg.asset
    assert {key for c in standalone_checks(plain) for key in c.check_keys} == every
