"""Every monthly table's checks, run inside the step of the asset that builds the table.

A table's checks are declared once, in :func:`check_groups`: its great-expectations suite (generated
from its sidecar ``sql/<table>.yml``), the forecast guards, the drift checks and the ingestion checks.
The asset decorators (``assets/decorators.py``) attach them to the asset as ``check_specs`` and
evaluate them right after the body yields its ``MaterializeResult``: one step per asset instead of
one more step per check (a step costs ~80 ms of Dagster machinery even in process).

Semantics, the same as separate checks: a blocking check (severity ERROR) that fails fails the
asset's step once every result is yielded, so Dagster runs none of that month's downstream assets;
a WARN check never stops anything. A check that raises is reported as a failed result with the error
in its ``check_error`` metadata (``run_summary`` counts it as an errored check, as it did an errored
check step), and never hides the other checks' results.

A check group's ``evaluate(con, month, window_months, names)`` is plain code on a DuckDB connection:
testable without Dagster's machinery. Groups whose table is not built by a decorated asset (an asset
declared with plain ``dg.asset``) still run, as separate check steps (:func:`standalone_checks`).
"""

import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import dagster as dg
import duckdb

from rfm_assets.partitions import MONTHLY, partition_month
from rfm_assets.resources import AnalysisParamsResource, WarehouseResource

ERROR_KEY = "check_error"  # metadata of a check that raised instead of answering


@dataclass(frozen=True)
class Verdict:
    """A check's answer: passed or not, one line why, and the numbers behind it."""

    passed: bool
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TableCheck:
    """One named check of a table: blocking checks fail with severity ERROR, the others WARN."""

    name: str
    description: str
    blocking: bool


Evaluate = Callable[[duckdb.DuckDBPyConnection, date, int, Sequence[str]], dict[str, Verdict]]


@dataclass(frozen=True)
class CheckGroup:
    """Checks of ``asset`` answered together by ``evaluate(con, month, window_months, names)`` (so their
    inputs are read once)."""

    asset: str
    checks: tuple[TableCheck, ...]
    evaluate: Evaluate

    def keys(self) -> list[dg.AssetCheckKey]:
        return [dg.AssetCheckKey(dg.AssetKey(self.asset), c.name) for c in self.checks]


def single(
    asset: str, check: TableCheck, verdict: Callable[[duckdb.DuckDBPyConnection, date, int], Verdict]
) -> CheckGroup:
    """A group of one check answered by ``verdict(con, month, window_months)``."""
    return CheckGroup(asset, (check,), lambda con, month, window, names: {check.name: verdict(con, month, window)})


@cache
def check_groups() -> dict[str, tuple[CheckGroup, ...]]:
    """{table: its check groups}: suite first, then ingestion, forecast and drift checks."""
    from rfm_assets.checks.drift_checks import drift_groups
    from rfm_assets.checks.forecast_checks import forecast_groups
    from rfm_assets.checks.gx_checks import gx_groups
    from rfm_assets.checks.ingestion_checks import ingestion_groups

    out: dict[str, list[CheckGroup]] = {}
    for group in [*gx_groups(), *ingestion_groups(), *forecast_groups(), *drift_groups()]:
        out.setdefault(group.asset, []).append(group)
    return {table: tuple(groups) for table, groups in out.items()}


def groups_of(tables: Iterable[str]) -> list[CheckGroup]:
    """The check groups of ``tables``, in their order."""
    registry = check_groups()
    return [group for table in tables for group in registry.get(table, ())]


def asset_check_specs(groups: Iterable[CheckGroup]) -> list[dg.AssetCheckSpec]:
    """The ``check_specs`` of an asset running ``groups``: every check of each, partitioned by month."""
    return [_monthly_spec(group, c) for group in groups for c in group.checks]


def _monthly_spec(group: CheckGroup, check: TableCheck) -> dg.AssetCheckSpec:
    # Dagster marks partitions_def on a check as a preview and warns at each spec; the choice is ours
    # and deliberate, so the warning is silenced here, at the one place that makes it, and nowhere else.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Specifying a partitions_def", category=dg.PreviewWarning)
        return dg.AssetCheckSpec(
            check.name,
            asset=group.asset,
            description=check.description,
            blocking=check.blocking,
            partitions_def=MONTHLY,
        )


def _result(group: CheckGroup, check: TableCheck, verdict: Verdict) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        asset_key=group.asset,
        check_name=check.name,
        passed=verdict.passed,
        severity=dg.AssetCheckSeverity.ERROR if check.blocking else dg.AssetCheckSeverity.WARN,
        description=verdict.description,
        metadata=verdict.metadata,
    )


def errored(exc: BaseException) -> Verdict:
    """The verdict of a check that raised: failed, with the error in ``check_error``."""
    message = f"{type(exc).__name__}: {exc}".strip()
    return Verdict(False, f"check errored: {message}", {ERROR_KEY: dg.MetadataValue.text(message)})


def evaluate_groups(
    groups: Sequence[CheckGroup],
    selected: Iterable[dg.AssetCheckKey],
    warehouse: WarehouseResource,
    month: date,
    window_months: int,
    log: Any = None,
) -> Iterator[dg.AssetCheckResult]:
    """The results of the ``selected`` checks of ``groups`` for ``month``, on one connection."""
    chosen = set(selected)
    todo = [(g, [c for c in g.checks if dg.AssetCheckKey(dg.AssetKey(g.asset), c.name) in chosen]) for g in groups]
    todo = [(g, checks) for g, checks in todo if checks]
    if not todo:
        return
    with warehouse.connect() as con:
        answers = []
        for group, checks in todo:
            try:
                verdicts = group.evaluate(con, month, window_months, [c.name for c in checks])
                answers.extend((group, c, verdicts[c.name]) for c in checks)
            except Exception as exc:  # reported as the check's result, never as the asset's failure
                if log is not None:
                    log.error(f"checks {[c.name for c in checks]} of {group.asset} raised:\n{traceback.format_exc()}")
                answers.extend((group, c, errored(exc)) for c in checks)
    for group, check, verdict in answers:
        yield _result(group, check, verdict)


def run_asset_checks(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    params: AnalysisParamsResource,
    groups: Sequence[CheckGroup],
) -> Iterator[dg.AssetCheckResult]:
    """Inside an asset's step, after its materializations: the selected checks of ``groups``."""
    yield from evaluate_groups(
        groups,
        context.selected_asset_check_keys,
        warehouse,
        partition_month(context),
        params.window_months,
        context.log,
    )


def _standalone(group: CheckGroup) -> dg.AssetChecksDefinition:
    @dg.multi_asset_check(
        name=f"{group.asset}_{'_'.join(c.name for c in group.checks)}",
        specs=[_monthly_spec(group, c) for c in group.checks],
        can_subset=True,
    )
    def _checks(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, params: AnalysisParamsResource
    ) -> Iterator[dg.AssetCheckResult]:
        yield from evaluate_groups(
            [group],
            context.selected_asset_check_keys,
            warehouse,
            partition_month(context),
            params.window_months,
            context.log,
        )

    return _checks


def standalone_checks(assets: Iterable[Any]) -> list[dg.AssetChecksDefinition]:
    """Separate check steps for the groups that no asset of ``assets`` runs in its own step: the tables
    of assets declared without the decorators of ``assets/decorators.py``."""
    in_step = {key for a in assets for key in getattr(a, "check_keys", ())}
    return [
        _standalone(group) for groups in check_groups().values() for group in groups if not set(group.keys()) <= in_step
    ]
