"""What one month's run did to each asset, and the month x asset summary `rfm-assets run` prints."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

import dagster as dg
from dagster._core.definitions.assets.graph.base_asset_graph import BaseAssetGraph
from dagster._core.definitions.dependency import NodeHandle

from rfm_assets.checks.table_checks import ERROR_KEY
from rfm_assets.run_plan import FAILED, OK, SKIPPED, Cause, Outcome, RunPlan

WIDTH = 110  # summary lines wrap here


def _last_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1].strip() if lines else ""


def step_error(event: dg.DagsterEvent) -> str:
    """The most telling line of a step failure: the cause's message when there is one."""
    error = event.step_failure_data.error
    if error is None:
        return "unknown error"
    return _last_line(error.cause.message if error.cause else error.message) or _last_line(error.message)


def classify(
    result: dg.ExecuteInProcessResult, graph: BaseAssetGraph, month: str, planned: Iterable[dg.AssetKey]
) -> tuple[dict[dg.AssetKey, Outcome], list[str]]:
    """Each planned asset's outcome in this run, and the non-blocking checks that errored.

    Checks run in their asset's step (``checks/table_checks.py``) or as separate check steps; both say
    the same here.

    - ok: materialized, and no blocking check of it failed;
    - failed: its step failed before materializing it, or one of its blocking checks failed or
      raised (the data is written, but nothing may build on it);
    - skipped: not materialized because an ancestor failed in this run (the cause names it).
    """
    layer = result.job_def.asset_layer
    materialized = {ev.asset_key for ev in result.get_asset_materialization_events()}
    failed: dict[dg.AssetKey, str] = {}
    by_check: set[dg.AssetKey] = set()
    check_errors: list[str] = []
    evaluations = {ev.asset_check_key: ev for ev in result.get_asset_check_evaluations()}
    # Checks run in their asset's step: a failed blocking check fails the asset; a check that raised
    # is a failed result carrying its error (table_checks.ERROR_KEY).
    for key, ev in evaluations.items():
        error = ev.metadata.get(ERROR_KEY)
        if ev.passed:
            continue
        if graph.get(key).blocking and ev.severity == dg.AssetCheckSeverity.ERROR:
            failed.setdefault(
                key.asset_key, f"check {key.name} errored: {error.value}" if error else f"check {key.name} failed"
            )
            by_check.add(key.asset_key)
        elif error:
            check_errors.append(f"check {key.asset_key.to_user_string()}:{key.name} errored: {error.value}")
    for event in result.get_step_failure_events():
        reason = step_error(event)
        if event.step_key is None:  # a step failure always names its step
            continue
        node_keys = layer.get_selected_entity_keys_for_node(NodeHandle.from_string(event.step_key))
        for key in node_keys:
            if isinstance(key, dg.AssetCheckKey):
                if key in evaluations or key.asset_key in node_keys:
                    continue  # answered above, or not run because its own asset's step failed
                # a separate check step that failed
                if graph.get(key).blocking:
                    failed.setdefault(key.asset_key, f"check {key.name} errored: {reason}")
                    by_check.add(key.asset_key)
                else:
                    check_errors.append(f"check {key.asset_key.to_user_string()}:{key.name} errored: {reason}")
            elif key not in materialized:
                failed.setdefault(key, reason)
    # A blocking check that fails fails its asset's whole step: Dagster then skips what follows any
    # table of that step (a multi-asset's other tables too), so the failed table is their cause.
    blocked_by = {sibling: key for key in by_check for sibling in graph.get(key).execution_set_asset_keys}
    planned = set(planned)
    order = {k: i for i, k in enumerate(graph.toposorted_asset_keys)}
    outcomes: dict[dg.AssetKey, Outcome] = {}
    for key in planned:
        if key in failed:
            outcomes[key] = Outcome(FAILED, reason=failed[key], by_check=key in by_check)
        elif key in materialized:
            outcomes[key] = Outcome(OK)
        else:
            ancestors = sorted(
                {blocked_by.get(a, a) for a in graph.get_ancestor_asset_keys(key) if a in failed or a in blocked_by},
                key=lambda a: order[a],
            )
            outcomes[key] = (
                Outcome(SKIPPED, cause=Cause(ancestors[0].to_user_string(), month))
                if ancestors
                else Outcome(FAILED, reason="not built: the run failed")
            )
    return outcomes, check_errors


def _month_text(outcomes: dict[dg.AssetKey, Outcome]) -> list[str]:
    """The non-ok assets of one month, grouped: one phrase per failure reason and per skip cause."""
    groups: dict[str, list[str]] = {}
    for key, outcome in sorted(outcomes.items(), key=lambda item: item[0].to_user_string()):
        if outcome.status == FAILED:
            groups.setdefault(f"FAILED ({outcome.reason})", []).append(key.to_user_string())
        elif outcome.status == SKIPPED:
            groups.setdefault(f"skipped because of {outcome.cause}", []).append(key.to_user_string())
    return [f"{head}: {', '.join(names)}" for head, names in sorted(groups.items(), key=lambda g: g[0][0])]


def summary_lines(plan: RunPlan) -> list[str]:
    """A month x asset summary: one line per run of consecutive months with the same non-ok assets.

    Months where every asset is ok are left out; a totals line comes first.
    """
    counts = plan.counts()
    n_assets = len(plan.keys)
    lines = [
        f"summary: {len(plan.outcomes)} months x {n_assets} assets: {counts[OK]} ok, "
        f"{counts[FAILED]} failed, {counts[SKIPPED]} skipped"
    ]
    runs: list[tuple[str, str, list[str]]] = []  # (first month, last month, phrases)
    for month in plan.months:
        if month not in plan.outcomes:
            continue
        phrases = _month_text(plan.outcomes[month])
        if runs and phrases and runs[-1][2] == phrases and _next(plan, runs[-1][1]) == month:
            runs[-1] = (runs[-1][0], month, phrases)
        elif phrases:
            runs.append((month, month, phrases))
    for first, last, phrases in runs:
        label = first[:7] if first == last else f"{first[:7]}..{last[:7]}"
        for phrase in phrases:
            wrapped = textwrap.wrap(phrase, width=WIDTH - 19, subsequent_indent="    ", break_on_hyphens=False)
            lines.extend(
                f"  {label if i == 0 and phrase is phrases[0] else '':<17}{text}" for i, text in enumerate(wrapped)
            )
    return lines


def _next(plan: RunPlan, month: str) -> str | None:
    i = plan.months.index(month) + 1
    return plan.months[i] if i < len(plan.months) else None
