"""A month that lands in the source folder after a run is built by the next `rfm-assets run`.

Loading the definitions reads the month range the last staging recorded (it never stages a source it
has seen), so the CLI must stage the source before it loads them (``stage_configured_source``);
otherwise the new month is not a partition yet. Two months of a small shop are enough: the first run
sees one month, the second month lands, and the second run must build it.
"""

import csv
import os
from dataclasses import replace

import duckdb
import pytest

from rfm_assets.core.generator import GeneratorConfig, generate
from rfm_assets_tests.e2e.conftest import run_cli

pytestmark = pytest.mark.slow


def test_a_file_landing_after_a_run_is_built_by_the_next_run(tmp_path):
    data = generate(tmp_path / "generated", replace(GeneratorConfig(), n_customers=150, n_months=2, seed=5))
    second_month = data.last_month.strftime("%Y-%m")
    with open(data.csv_path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, lines = rows[0], rows[1:]
    date_col = header.index("InvoiceDate")
    landing = tmp_path / "landing"
    landing.mkdir()

    def write(name, keep):
        with open(landing / name, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows([header, *(r for r in lines if keep(r[date_col][:7]))])

    write("a.csv", lambda month: month < second_month)
    env = {**os.environ, "RFM_WAREHOUSE": str(tmp_path / "data" / "warehouse.duckdb"), "RFM_SOURCE": str(landing)}
    first = run_cli(env)
    assert first.returncode == 0, first.stdout + first.stderr

    write("b.csv", lambda month: month == second_month)  # the second month lands
    second = run_cli(env, "--from", second_month)
    assert second.returncode == 0, second.stdout + second.stderr
    with duckdb.connect(env["RFM_WAREHOUSE"], read_only=True) as con:
        months = {
            r[0].strftime("%Y-%m")
            for r in con.execute(
                "select distinct snapshot_month from _partitions where table_name = 'rfm_snapshots'"
            ).fetchall()
        }
    assert months == {data.first_month.strftime("%Y-%m"), second_month}
