"""Decorators and specs shared by the assets: monthly SQL assets versioned by their SQL file, and
monthly multi-assets whose tables one build writes together."""

from typing import Any

import dagster as dg

from rfm_assets.core.code_version import sql_code_version
from rfm_assets.partitions import MONTHLY

SQL_KINDS = {"duckdb", "sql"}


def monthly_sql_asset(table: str, **kwargs: Any) -> Any:
    """A monthly asset built by ``sql/<table>.sql``; its code_version is that file's hash."""
    return dg.asset(name=table, partitions_def=MONTHLY, kinds=SQL_KINDS, code_version=sql_code_version(table), **kwargs)


def sql_spec(table: str, **kwargs: Any) -> dg.AssetSpec:
    """The spec of a multi-asset's table built by ``sql/<table>.sql``, versioned by that file's hash."""
    return dg.AssetSpec(table, kinds=SQL_KINDS, code_version=sql_code_version(table), **kwargs)


def monthly_multi_asset(*specs: dg.AssetSpec) -> Any:
    """A monthly multi-asset of ``specs`` that always materializes them together (one build writes all)."""
    return dg.multi_asset(specs=list(specs), partitions_def=MONTHLY, can_subset=False)


def status_metadata(status: str, message: str | None) -> dict[str, dg.MetadataValue]:
    """A build's status and its message ("ok" when there is none)."""
    return {"status": dg.MetadataValue.text(status), "message": dg.MetadataValue.text(message or "ok")}
