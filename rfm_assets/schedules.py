"""The monthly schedule: on the 3rd of every month at 06:00 (UTC), run the month that just ended.

It runs ``monthly_job`` (every monthly asset and its blocking checks) for the partition whose
month ended last; ``publish_after_monthly_runs`` (``sensors.py``) then refreshes the BI views and
publishes the BI copy. A few days' margin lets late order lines land first.

Stopped by default: switch it on in the UI (Automation -> monthly_schedule -> toggle) or with
``dagster schedule start monthly_schedule -w workspace.yaml`` (the daemon must be running, as it is
under ``make dev``). It finds a new month every month only when the partitions grow with time,
i.e. with ``RFM_END_MONTH=live``; past a fixed end month it keeps asking for the last month, which
Dagster launches only once (the run key is the partition key).
"""

from __future__ import annotations

import dagster as dg

from rfm_assets.jobs import monthly_job

SCHEDULE_DAY, SCHEDULE_HOUR = 3, 6


# The job's partitions are inferred from its assets (all monthly) when Definitions resolves it, so this
# schedule is resolved there too: defs.resolve_schedule_def("monthly_schedule") gives it whole.
monthly_schedule = dg.build_schedule_from_partitioned_job(
    monthly_job,
    name="monthly_schedule",
    description="Runs the month that just ended (every monthly asset and check) on the 3rd at 06:00 UTC.",
    day_of_month=SCHEDULE_DAY,
    hour_of_day=SCHEDULE_HOUR,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
