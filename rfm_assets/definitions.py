"""The one place the project's Definitions are built (loaded by workspace.yaml and the CLI)."""

from __future__ import annotations

import dagster as dg

from rfm_assets.assets import behaviour, forecasting, ingestion, lifetime_value, reactivation, segments
from rfm_assets.assets.bi_views import bi_assets
from rfm_assets.checks.bi_checks import all_bi_checks
from rfm_assets.checks.drift_checks import all_drift_checks
from rfm_assets.checks.forecast_checks import FORECAST_CHECKS
from rfm_assets.checks.gx_checks import all_gx_checks
from rfm_assets.checks.ingestion_checks import INGESTION_CHECKS
from rfm_assets.jobs import monthly_job, publish_job
from rfm_assets.partitions import SETTINGS
from rfm_assets.resources import build_resources
from rfm_assets.schedules import monthly_schedule
from rfm_assets.sensors import landing_folder_sensor, publish_after_monthly_runs

defs = dg.Definitions(
    assets=[
        *dg.load_assets_from_modules([ingestion, behaviour, segments, lifetime_value, forecasting, reactivation]),
        *bi_assets(),
    ],
    asset_checks=[*all_gx_checks(), *FORECAST_CHECKS, *all_drift_checks(), *all_bi_checks(), *INGESTION_CHECKS],
    jobs=[monthly_job, publish_job],
    schedules=[monthly_schedule],
    sensors=[publish_after_monthly_runs, landing_folder_sensor],
    resources=build_resources(SETTINGS),
)
