"""Materialize selections of the real assets and checks for given months."""

from collections.abc import Iterable, Mapping
from typing import TypeVar

import dagster as dg

from rfm_assets.assets.metadata import PLOTS_TAG
from rfm_assets.definitions import defs
from rfm_assets.resources import RUN_CONNECTION_TAG

# Stock codes that are not products, written out here independently of the cleaning SQL, so the
# tests that recompute cleaned_transactions by hand do not reuse the rule they check.
NON_PRODUCT = {
    "POST",
    "DOT",
    "M",
    "D",
    "C2",
    "C3",
    "S",
    "B",
    "PADS",
    "CRUK",
    "BANK CHARGES",
    "AMAZONFEE",
    "ADJUST",
    "ADJUST2",
    "TEST001",
    "TEST002",
}

T = TypeVar("T")


def _all_of(kind: type[T], items: Iterable[object] | None) -> list[T]:
    """``items`` as a list of ``kind``, refusing anything else (a bare spec or source asset would not build)."""
    items = list(items or ())
    typed = [x for x in items if isinstance(x, kind)]
    if len(typed) != len(items):
        raise TypeError(
            f"definitions hold non-{kind.__name__} entries: {[x for x in items if not isinstance(x, kind)]}"
        )
    return typed


ASSETS = _all_of(dg.AssetsDefinition, defs.assets)
CHECKS = _all_of(dg.AssetChecksDefinition, defs.asset_checks)
INGESTION = ["raw_orders", "cleaned_transactions", "customer_returns"]
BEHAVIOUR = ["cohort_retention", "rfm_snapshots", "segment_migration", "customer_clusters", "cluster_profiles"]


# A test's run, unless it says otherwise: no plots (as in every month but the last of an `rfm-assets run`;
# a test that reads a plot passes rfm/plots=yes) and one warehouse connection for the run's steps, as the
# monthly job's runs have (resources.RUN_CONNECTION_TAG).
TEST_RUN_TAGS = {PLOTS_TAG: "no", **RUN_CONNECTION_TAG}
DRAW_PLOTS = {PLOTS_TAG: "yes"}


def materialize(resources, month: str, names=None, raise_on_error=True, tags: Mapping[str, str] | None = None):
    """Materialize ``names`` (default: all) and their checks for ``month`` ('YYYY-MM'), with run ``tags``
    over :data:`TEST_RUN_TAGS` (``DRAW_PLOTS`` to draw the month's plots)."""
    selection = (
        None if names is None else dg.AssetSelection.assets(*names) | dg.AssetSelection.checks_for_assets(*names)
    )
    return dg.materialize(
        [*ASSETS, *CHECKS],
        partition_key=f"{month}-01",
        resources=resources,
        selection=selection,
        raise_on_error=raise_on_error,
        tags={**TEST_RUN_TAGS, **(tags or {})},
    )


def materialized_names(result) -> list[str]:
    """The asset of each materialization event of ``result``, in order."""
    return [_name(e.asset_key) for e in result.get_asset_materialization_events()]


def materialized_metadata(result) -> dict[str, Mapping[str, dg.MetadataValue]]:
    """Asset name -> the metadata of its materialization in ``result``."""
    return {_name(e.asset_key): e.materialization.metadata for e in result.get_asset_materialization_events()}


def md_text(value: dg.MetadataValue) -> str:
    """The text of a markdown or text metadata value (an error for any other kind)."""
    assert isinstance(value.value, str), value
    return value.value


def _name(key: dg.AssetKey | None) -> str:
    assert key is not None, "a materialization event names its asset"
    return key.to_user_string()


def failed_checks(result):
    return [(e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations() if not e.passed]
