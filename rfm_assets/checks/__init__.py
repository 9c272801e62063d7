"""Asset checks: great-expectations suites, forecast guards, drift and ingestion checks, BI copy.

Every monthly check is partitioned like its asset. Dagster marks ``partitions_def`` on a check as a
preview feature and warns at each spec; ``table_checks._monthly_spec`` silences that one warning where
the specs are made (not with a process-wide filter), so the CLI, ``dagster dev`` and the tests stay quiet.
"""
