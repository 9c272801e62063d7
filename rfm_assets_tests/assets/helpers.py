"""Materialize selections of the real assets and checks for given months."""

import dagster as dg

from rfm_assets.definitions import defs

ASSETS = list(defs.assets)
CHECKS = list(defs.asset_checks)
INGESTION = ["raw_orders", "cleaned_transactions", "customer_returns"]
BEHAVIOUR = ["cohort_retention", "rfm_snapshots", "segment_migration", "customer_clusters", "cluster_profiles"]


def materialize(resources, month: str, names=None, raise_on_error=True):
    """Materialize ``names`` (default: all) and their checks for ``month`` ('YYYY-MM')."""
    selection = (
        None if names is None else dg.AssetSelection.assets(*names) | dg.AssetSelection.checks_for_assets(*names)
    )
    return dg.materialize(
        [*ASSETS, *CHECKS],
        partition_key=f"{month}-01",
        resources=resources,
        selection=selection,
        raise_on_error=raise_on_error,
    )


def failed_checks(result):
    return [(e.asset_key.to_user_string(), e.check_name) for e in result.get_asset_check_evaluations() if not e.passed]
