"""The decorator of the monthly multi-assets: every table of one build written in one step."""

from typing import Any

import dagster as dg

from rfm_assets.partitions import MONTHLY


def monthly_multi_asset(*specs: dg.AssetSpec) -> Any:
    """A monthly multi-asset of ``specs`` that always materializes them together (one build writes all)."""
    return dg.multi_asset(specs=list(specs), partitions_def=MONTHLY, can_subset=False)


def status_metadata(status: str, message: str | None) -> dict[str, dg.MetadataValue]:
    """A build's status and its message ("ok" when there is none)."""
    return {"status": dg.MetadataValue.text(status), "message": dg.MetadataValue.text(message or "ok")}
