"""Decorators and specs shared by the assets: monthly assets that run their tables' checks in their own
step, monthly SQL assets versioned by their SQL file, and monthly multi-assets whose tables one build
writes together.

Every decorator here attaches the checks of the tables the asset builds (``checks/table_checks.py``:
the sidecar's great-expectations suite, drift, forecast and ingestion checks) as ``check_specs``, and
wraps the body so those checks run right after it yields its ``MaterializeResult``\\ s. A new asset
declared with these decorators gets its table's checks with nothing else to write.
"""

import inspect
import typing
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import dagster as dg

from rfm_assets.checks.table_checks import CheckGroup, asset_check_specs, groups_of, run_asset_checks
from rfm_assets.core.code_version import sql_code_version
from rfm_assets.partitions import MONTHLY
from rfm_assets.resources import AnalysisParamsResource, WarehouseResource

SQL_KINDS = {"duckdb", "sql"}
# Resources the checks need; added to a body's parameters when it does not take them itself.
CHECK_RESOURCES = {"warehouse": WarehouseResource, "params": AnalysisParamsResource}


def with_checks(fn: Callable[..., Any], groups: Sequence[CheckGroup]) -> Callable[..., Iterator[Any]]:
    """``fn`` (an asset body taking ``context`` first), then the checks of ``groups``.

    The wrapper's signature is ``fn``'s plus the check resources it lacks, so Dagster provides them;
    without checks, ``fn`` itself.
    """
    if not groups:
        return fn
    hints = typing.get_type_hints(fn)
    own = inspect.signature(fn).parameters
    params = [p.replace(annotation=hints.get(name, p.annotation)) for name, p in own.items()]
    params += [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=resource)
        for name, resource in CHECK_RESOURCES.items()
        if name not in own
    ]

    def body(context: dg.AssetExecutionContext, **kwargs: Any) -> Iterator[Any]:
        with kwargs["warehouse"].session():  # the body and its checks share one connection
            out = fn(context, **{name: value for name, value in kwargs.items() if name in own})
            if inspect.isgenerator(out):
                yield from out
            elif out is not None:
                yield out
            yield from run_asset_checks(context, kwargs["warehouse"], kwargs["params"], groups)

    body.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    body.__annotations__ = {p.name: p.annotation for p in params if p.annotation is not inspect.Parameter.empty}
    for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
        setattr(body, attr, getattr(fn, attr))
    return body


def monthly_asset(
    name: str | None = None, checks: Sequence[CheckGroup] = (), **kwargs: Any
) -> Callable[[Callable[..., Any]], dg.AssetsDefinition]:
    """A monthly asset (``name`` defaults to the body's) that runs its table's checks, and ``checks``, in
    its step."""

    def decorate(fn: Callable[..., Any]) -> dg.AssetsDefinition:
        table = name or fn.__name__
        groups = [*groups_of([table]), *checks]
        return dg.asset(name=table, partitions_def=MONTHLY, check_specs=asset_check_specs(groups), **kwargs)(
            with_checks(fn, groups)
        )

    return decorate


def monthly_sql_asset(table: str, **kwargs: Any) -> Any:
    """A monthly asset built by ``sql/<table>.sql``; its code_version is that file's hash."""
    return monthly_asset(table, kinds=SQL_KINDS, code_version=sql_code_version(table), **kwargs)


def sql_spec(table: str, **kwargs: Any) -> dg.AssetSpec:
    """The spec of a multi-asset's table built by ``sql/<table>.sql``, versioned by that file's hash."""
    return dg.AssetSpec(table, kinds=SQL_KINDS, code_version=sql_code_version(table), **kwargs)


def monthly_multi_asset(*specs: dg.AssetSpec) -> Any:
    """A monthly multi-asset of ``specs`` that always materializes them together (one build writes all),
    then runs every check of their tables."""
    groups = groups_of(spec.key.to_user_string() for spec in specs)

    def decorate(fn: Callable[..., Any]) -> dg.AssetsDefinition:
        return dg.multi_asset(
            specs=list(specs), partitions_def=MONTHLY, can_subset=False, check_specs=asset_check_specs(groups)
        )(with_checks(fn, groups))

    return decorate


def status_metadata(status: str, message: str | None) -> dict[str, dg.MetadataValue]:
    """A build's status and its message ("ok" when there is none)."""
    return {"status": dg.MetadataValue.text(status), "message": dg.MetadataValue.text(message or "ok")}
