"""Jobs: the monthly job materializes every monthly asset (and runs its checks) for one month;
the publish job refreshes the BI views and publishes the read-only BI copy.

Both carry the run tag ``rfm/warehouse``: the instance configuration shipped in
``dagster_home/dagster.yaml`` lets one run with that tag write at a time (DuckDB has one writer).
"""

from __future__ import annotations

import dagster as dg

from rfm_assets.resources import RUN_CONNECTION_TAG

MONTHLY_JOB_NAME = "monthly_job"
PUBLISH_JOB_NAME = "publish_job"
BI_GROUP = "bi_views"
# Run tag limited to one run at a time by dagster_home/dagster.yaml (run queue, tag_concurrency_limits).
WAREHOUSE_TAG = {"rfm/warehouse": "write"}

monthly_job = dg.define_asset_job(
    MONTHLY_JOB_NAME,
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups(BI_GROUP),
    description="Every monthly asset and its checks for one month, oldest layer first.",
    # One process for the whole month: a step in its own process costs ~1.7 s here, ~80 ms in process.
    executor_def=dg.in_process_executor,
    tags={**WAREHOUSE_TAG, **RUN_CONNECTION_TAG},  # and one warehouse connection for the month's steps
)

publish_job = dg.define_asset_job(
    PUBLISH_JOB_NAME,
    selection=dg.AssetSelection.groups(BI_GROUP),
    description="Refresh the BI views (newest complete month + history) and publish the read-only BI copy.",
    executor_def=dg.in_process_executor,
    tags=WAREHOUSE_TAG,
)
