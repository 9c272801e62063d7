"""One entry per asset: ``build_<asset>(con, month, cfg) -> <result>`` reads, computes and writes the
month's table(s) through ``core.warehouse``, and returns what the asset's metadata needs (row counts,
numbers, warnings, frames for plots). No Dagster here: the assets and the benchmarks call these.

- ``ingestion``: raw_orders, quarantined_lines, cleaned_transactions, customer_returns
- ``behaviour``: cohort_retention, rfm_snapshots, segment_migration
- ``segments``: customer_clusters, cluster_profiles
- ``lifetime_value``: clv_models (customer_lifetime_value + clv_model_params), clv_holdout_metrics
- ``forecasts``: revenue_forecasts (forecast_revenue_history, cluster_revenue_forecasts, forecast_backtest_metrics)
- ``reactivation``: dormant_reactivation (dormant_features, dormant_model_metrics, dormant_targets)

Point-in-time guards (every earlier month built) stay in the assets: they name the partitions
(Dagster's) that are missing.
"""
