"""On every monthly table a full `rfm-assets run` built, the DuckDB evaluation of each suite gives
great-expectations' own verdict and counts, expectation by expectation (GX reports them in its own
order, hence the sorting)."""

from datetime import date

import duckdb
import pytest

from rfm_assets.quality.sql_engine import validate_partition
from rfm_assets.quality.suites import build_suites

pytestmark = pytest.mark.slow


def test_duckdb_and_gx_agree_on_every_suite(first_run):
    _, path, proc = first_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    compared = 0
    with duckdb.connect(str(path), read_only=True) as con:
        built = con.execute(
            "select table_name, min(snapshot_month), max(snapshot_month) from _partitions group by 1"
        ).fetchall()
        for table, first, last in built:
            suite = build_suites().get(table)
            if suite is None:
                continue
            for month in sorted({first, last, date(last.year, max(1, last.month - 3), 1)}):
                in_sql, engine = validate_partition(con, table, month, table, suite(month))
                on_gx, _ = validate_partition(con, table, month, table, suite(month), engine="pandas")
                assert engine == "duckdb", (table, engine)
                assert in_sql.row_count == on_gx.row_count
                assert sorted((o.label, o.success, o.unexpected_count or 0) for o in in_sql.outcomes) == sorted(
                    (o.label, o.success, o.unexpected_count or 0) for o in on_gx.outcomes
                ), (table, month)
                compared += len(in_sql.outcomes)
    assert compared > 300
