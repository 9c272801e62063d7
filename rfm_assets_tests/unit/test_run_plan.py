"""Which asset-months a failure blocks (rfm_assets/run_plan.py), and the summary that names them.

A toy graph with every kind of edge the project uses; the expected sets are worked out by hand
from the edges drawn below. Then the real Definitions' graph, against edges read off the asset
modules (README "Assets").
"""

from collections.abc import Sequence

import dagster as dg

from rfm_assets.assets.inputs import ALL_HISTORY, PREVIOUS_AND_THIS
from rfm_assets.run_plan import FAILED, OK, SKIPPED, Cause, Outcome, RunPlan
from rfm_assets.run_summary import summary_lines

MONTHS = dg.MonthlyPartitionsDefinition(start_date="2020-01-01", end_date="2020-07-01")
KEYS = MONTHS.get_partition_keys()  # 2020-01-01 .. 2020-06-01


# a -> b (same month) -> c (this and the next month); a -> d (this and every later month);
# b -> m1 (this and the next month), where m1 and m2 are one multi-asset that cannot be subset;
# m2 -> e (same month).
@dg.asset(partitions_def=MONTHS)
def a() -> None: ...


@dg.asset(partitions_def=MONTHS, deps=[a])
def b() -> None: ...


@dg.asset(partitions_def=MONTHS, deps=[dg.AssetDep(b, partition_mapping=PREVIOUS_AND_THIS)])
def c() -> None: ...


@dg.asset(partitions_def=MONTHS, deps=[dg.AssetDep(a, partition_mapping=ALL_HISTORY)])
def d() -> None: ...


@dg.multi_asset(
    specs=[dg.AssetSpec("m1", deps=[dg.AssetDep(b, partition_mapping=PREVIOUS_AND_THIS)]), dg.AssetSpec("m2")],
    partitions_def=MONTHS,
    can_subset=False,
)
def m():  # noqa: ANN201 - dagster reads a multi-asset's return annotation
    yield from ()


@dg.asset(partitions_def=MONTHS, deps=["m2"])
def e() -> None: ...


def toy_plan(months: Sequence[str] = KEYS) -> RunPlan:
    graph = dg.Definitions(assets=[a, b, c, d, m, e]).resolve_asset_graph()
    return RunPlan(graph, graph.get_all_asset_keys(), months)


def names(blocked: dict) -> set[str]:
    return {k.to_user_string() for k in blocked}


def fail(plan: RunPlan, month: str, *failed: str) -> None:
    plan.record(month, {dg.AssetKey(n): Outcome(FAILED, reason="boom") for n in failed})


def test_a_failure_blocks_the_next_month_through_previous_and_this_and_whole_multi_assets():
    plan = toy_plan()
    fail(plan, "2020-02-01", "b")
    assert names(plan.blocked["2020-03-01"]) == {"c", "m1", "m2", "e"}
    assert all(not plan.blocked[k] for k in KEYS if k != "2020-03-01")
    assert set(plan.blocked["2020-03-01"].values()) == {Cause("b", "2020-02-01")}
    assert {k.to_user_string() for k in plan.selection("2020-03-01") or []} == {"a", "b", "d"}
    assert plan.selection("2020-04-01") is None  # nothing blocked: the whole job


def test_a_root_failure_blocks_all_later_history_readers_and_what_its_same_month_children_feed():
    plan = toy_plan()
    fail(plan, "2020-02-01", "a")
    assert names(plan.blocked["2020-03-01"]) == {"c", "m1", "m2", "e", "d"}
    for month in KEYS[3:]:
        assert names(plan.blocked[month]) == {"d"}, month
    assert not plan.blocked["2020-01-01"] and not plan.blocked["2020-02-01"]


def test_a_leaf_failure_blocks_nothing_and_the_last_month_has_no_later_months():
    plan = toy_plan()
    fail(plan, "2020-03-01", "e")
    fail(plan, "2020-06-01", "a")
    assert all(not plan.blocked[k] for k in KEYS)


def test_only_months_in_the_run_are_blocked():
    plan = toy_plan(KEYS[:3])
    fail(plan, "2020-01-01", "a")
    assert list(plan.blocked) == KEYS[:3]
    assert names(plan.blocked["2020-03-01"]) == {"d"}


def test_summary_names_failures_and_causes_and_merges_consecutive_months():
    plan = toy_plan()
    ok = {dg.AssetKey(n): Outcome(OK) for n in ("a", "b", "c", "d", "m1", "m2", "e")}
    plan.record("2020-01-01", ok)
    cause = Cause("a", "2020-02-01")
    plan.record(
        "2020-02-01",
        {
            **ok,
            dg.AssetKey("a"): Outcome(FAILED, reason="RuntimeError: boom"),
            **{dg.AssetKey(n): Outcome(SKIPPED, cause=cause) for n in ("b", "c", "d", "m1", "m2", "e")},
        },
    )
    for month in KEYS[2:]:
        plan.record(month, {k: o for k, o in ok.items() if k not in plan.blocked[month]})
    assert summary_lines(plan) == [
        "summary: 6 months x 7 assets: 27 ok, 1 failed, 14 skipped",
        "  2020-02          FAILED (RuntimeError: boom): a",
        "                   skipped because of a 2020-02: b, c, d, e, m1, m2",
        "  2020-03          skipped because of a 2020-02: c, d, e, m1, m2",
        "  2020-04..2020-06 skipped because of a 2020-02: d",
    ]


def test_the_real_graph_blocks_what_the_asset_modules_declare():
    from rfm_assets.definitions import defs
    from rfm_assets.jobs import MONTHLY_JOB_NAME
    from rfm_assets.partitions import MONTHLY

    months = MONTHLY.get_partition_keys()[:4]
    job_keys = defs.resolve_job_def(MONTHLY_JOB_NAME).asset_layer.selected_asset_keys
    assert len(job_keys) == 22

    def blocked_after(asset: str) -> list[set[str]]:
        plan = RunPlan(defs.resolve_asset_graph(), job_keys, months)
        fail(plan, months[1], asset)
        return [names(plan.blocked[m]) for m in months]

    # Each month's forecasts are calibrated on the month before's (cluster_revenue_forecasts depends on
    # its own previous partition), so a failed forecast month holds back every later month's forecasts.
    forecasts = {
        "cluster_revenue_forecasts",
        "forecast_accuracy",
        "forecast_backtest_metrics",
        "forecast_revenue_history",
    }
    assert blocked_after("cluster_revenue_forecasts") == [set(), set(), forecasts, forecasts]
    # segment_migration reads this and the previous month's rfm_snapshots; the forecasts follow the
    # month's clusters (which read its snapshot), and later forecasts follow them.
    assert blocked_after("rfm_snapshots") == [set(), set(), {"segment_migration"} | forecasts, forecasts]
    # The dormant model trains on every earlier month's CLV; its multi-asset (which cannot be subset)
    # also writes dormant_features, dormant_calibration and dormant_targets, so all four wait, and the
    # contacts of a campaign read its earlier target lists.
    dormant = {
        "dormant_features",
        "dormant_model_metrics",
        "dormant_calibration",
        "dormant_targets",
        "campaign_contacts",
    }
    assert blocked_after("customer_lifetime_value") == [set(), set(), dormant, dormant]
    # Every analytic asset reads all of cleaned_transactions' history; the ingestion layer reads only its month.
    ingestion = {"raw_orders", "quarantined_lines", "cleaned_transactions", "customer_returns"}
    analytic = {k.to_user_string() for k in job_keys} - ingestion
    assert blocked_after("cleaned_transactions") == [set(), set(), analytic, analytic]
    assert blocked_after("dormant_targets") == [set(), set(), set(), set()]
