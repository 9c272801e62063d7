"""`rfm-assets run --workers 4` on a lake (Postgres catalog, Parquet files) with the Dagster instance in
Postgres builds 12 months equal, table by table, to the single-file sequential build (``first_run``),
with runs of different months overlapping in time."""

import itertools
import os

import dagster as dg
import pytest

from rfm_assets_tests.e2e.conftest import run_cli
from rfm_assets_tests.lake.checksums import checksums
from rfm_assets_tests.lake.conftest import new_lake, pg_cluster  # noqa: F401 - fixtures used below

pytestmark = pytest.mark.slow
LAKE_ONLY = {"bi_catalog"}  # on a lake, publishing writes bi_catalog into the lake (the file's goes to its copy)


def test_four_workers_on_a_lake_equal_the_single_file_build(first_run, pg_cluster, new_lake, tmp_path):  # noqa: F811
    if not os.environ.get("CI"):  # pinned in constraints.txt; under CI a missing package fails the import below
        pytest.importorskip("dagster_postgres", reason="dagster-postgres keeps the instance in Postgres")
    file_env, file_warehouse, file_proc = first_run
    target, data_path = new_lake("workers")
    home = tmp_path / "dagster_home"
    home.mkdir()
    instance_db = pg_cluster.create_database("dagster_instance")
    url = f"postgresql+psycopg2://rfm@127.0.0.1:{pg_cluster.port}/dagster_instance"  # not psycopg 3 (SQLAlchemy 2.1)
    assert instance_db.endswith("dbname=dagster_instance")
    (home / "dagster.yaml").write_text(
        f"telemetry:\n  enabled: false\nstorage:\n  postgres:\n    postgres_url: {url}\n"
    )
    env = {
        **file_env,
        "RFM_WAREHOUSE": target,
        "RFM_LAKE_DATA_PATH": data_path,
        "DAGSTER_HOME": str(home),
    }
    proc = run_cli(env, "--workers", "4")
    assert proc.returncode == file_proc.returncode, proc.stdout[-3000:] + proc.stderr[-3000:]
    batches = [line for line in proc.stdout.splitlines() if line.startswith("[batch")]
    months = {line.split()[2] for line in batches}
    assert len(months) == 12, batches
    on_file = checksums(str(file_warehouse))
    on_lake = checksums(target, data_path)
    assert sorted(set(on_lake) - LAKE_ONLY) == sorted(on_file)
    assert {t for t in on_file if on_lake[t] != on_file[t]} == set()
    # the runs were recorded in Postgres, and runs of different months overlapped in time
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records()
    spans = [
        (r.dagster_run.tags.get("dagster/partition"), r.start_time, r.end_time)
        for r in records
        if r.dagster_run.tags.get("dagster/partition") and r.start_time and r.end_time
    ]
    assert len(spans) == len(batches)
    overlapping = [
        (a[0], b[0]) for a, b in itertools.combinations(spans, 2) if a[0] != b[0] and a[1] < b[2] and b[1] < a[2]
    ]
    assert overlapping, spans
    assert os.path.isdir(data_path)
