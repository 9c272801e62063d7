"""The one place the project's Definitions are built (loaded by workspace.yaml and the CLI)."""

from __future__ import annotations

import dagster as dg

from rfm_assets.assets import (
    accuracy,
    behaviour,
    campaigns,
    forecasting,
    ingestion,
    lifetime_value,
    reactivation,
    segments,
)
from rfm_assets.assets.bi_views import bi_assets
from rfm_assets.checks.bi_checks import all_bi_checks
from rfm_assets.checks.table_checks import standalone_checks
from rfm_assets.jobs import monthly_job, publish_job
from rfm_assets.partitions import SETTINGS
from rfm_assets.resources import build_resources
from rfm_assets.schedules import monthly_schedule
from rfm_assets.sensors import landing_folder_sensor, publish_after_monthly_runs

ASSETS = [
    *dg.load_assets_from_modules(
        [ingestion, behaviour, segments, lifetime_value, forecasting, accuracy, reactivation, campaigns]
    ),
    *bi_assets(),
]
defs = dg.Definitions(
    assets=ASSETS,
    # The monthly tables' checks run inside their assets' steps (assets/decorators.py); a table whose
    # asset does not run them gets them as separate check steps.
    asset_checks=[*standalone_checks(ASSETS), *all_bi_checks()],
    jobs=[monthly_job, publish_job],
    schedules=[monthly_schedule],
    sensors=[publish_after_monthly_runs, landing_folder_sensor],
    resources=build_resources(SETTINGS),
)
