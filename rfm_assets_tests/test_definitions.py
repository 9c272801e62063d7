"""Smoke test: the Definitions load, list every asset and check, and resolve the monthly job."""

import dagster as dg


def test_definitions_load_with_all_assets_and_checks():
    from rfm_assets.definitions import defs

    dg.Definitions.validate_loadable(defs)
    keys = {k.to_user_string() for k in defs.resolve_asset_graph().get_all_asset_keys()}
    expected = {
        "raw_orders",
        "cleaned_transactions",
        "customer_returns",
        "cohort_retention",
        "rfm_snapshots",
        "segment_migration",
        "customer_clusters",
        "cluster_profiles",
    }
    assert expected <= keys
    checks = {(c.asset_key.to_user_string(), c.name) for c in defs.resolve_asset_graph().asset_check_keys}
    assert {(k, "gx_suite") for k in expected} <= checks
    job = defs.resolve_job_def("monthly_job")
    assert job.partitions_def is not None


def test_every_asset_describes_itself():
    from rfm_assets.definitions import defs

    for spec in defs.resolve_all_asset_specs():
        assert spec.description and len(spec.description) > 40, spec.key
        assert spec.group_name in {
            "ingestion",
            "customer_behaviour",
            "lifetime_value",
            "forecasting",
            "reactivation",
            "bi_views",
        }, spec.key
        assert spec.kinds and spec.owners, spec.key


def test_bi_views_read_only_defined_assets_and_run_in_their_own_job():
    from rfm_assets.definitions import defs

    graph = defs.resolve_asset_graph()
    views = {k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "bi_views"}
    assert {k.to_user_string() for k in views} >= {"mart_customer_360", "mart_segment_summary", "warehouse_bi_copy"}
    materializable = {k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable}
    for key in views:
        assert graph.get(key).parent_keys and graph.get(key).parent_keys <= materializable, key
        assert graph.get(key).partitions_def is None, key
    monthly = set(defs.resolve_job_def("monthly_job").asset_layer.asset_graph.get_all_asset_keys())
    publish = defs.resolve_job_def("publish_job")
    assert not monthly & views
    assert publish.partitions_def is None and views <= set(publish.asset_layer.asset_graph.get_all_asset_keys())
