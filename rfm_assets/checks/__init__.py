"""Asset checks: great-expectations suites, forecast guards, drift and ingestion checks, BI copy.

Every monthly check is partitioned like its asset. Dagster marks ``partitions_def`` on a check
as a preview feature and warns once per check at import; said once here instead, so the CLI and
``dagster dev`` do not open with a screen of warnings about our own choice.
"""

import warnings

import dagster as dg

warnings.filterwarnings(
    "ignore", message="Specifying a partitions_def on an AssetCheckSpec", category=dg.PreviewWarning
)
