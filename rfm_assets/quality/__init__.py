"""Data-quality suites (great-expectations 1.x) and their runner. Never imports dagster."""
