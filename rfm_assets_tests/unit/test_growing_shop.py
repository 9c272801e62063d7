"""The growing-shop test source: exact size, deterministic, accelerating, readable through the generic mapping."""

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pytest

from rfm_assets.core.rows import one_row, scalar
from rfm_assets.core.sources import SourceSpec, parse_column_mapping, source_month_range, stage_source
from rfm_assets_tests.sources.growing_shop import MAPPING, _count, write_growing_shop


def test_size_determinism_and_ramp(tmp_path):
    path = write_growing_shop(tmp_path / "a.parquet", 30_000, 2_000, n_months=12, start="2021-01", seed=3)
    again = write_growing_shop(tmp_path / "b.parquet", 30_000, 2_000, n_months=12, start="2021-01", seed=3)
    assert path.read_bytes() == again.read_bytes()
    con = duckdb.connect()
    total, customers, first, last = one_row(
        con, f"select count(*), count(distinct cust), min(dt), max(dt) from '{path}'"
    )
    assert (total, customers) == (30_000, 2_000)
    assert first.date() >= date(2021, 1, 1) and last.date() <= date(2021, 12, 31)
    monthly = con.execute(
        f"select month(dt), sum(amt), count(distinct cust) filter (first_month) from "
        f"(select *, min(dt) over (partition by cust) = dt as first_month from '{path}') "
        "group by 1 order by 1"
    ).fetchall()
    revenue = np.array([r[1] for r in monthly])
    new = np.array([r[2] for r in monthly])
    assert len(monthly) == 12 and revenue[-1] > 10 * revenue[0]  # revenue ramps up
    assert new[-1] > 5 * new[0]  # acquisitions accelerate
    per_order = scalar(con, f"select avg(n) from (select count(*) n from '{path}' group by oid)")
    assert 1.3 < per_order < 1.7  # B2C: one or few lines per order


def test_reads_through_the_generic_mapping(tmp_path):
    path = write_growing_shop(tmp_path / "shop.parquet", 5_000, 400, n_months=6, start="2020-03")
    spec = SourceSpec(path=path, format="generic", columns=parse_column_mapping(MAPPING))
    staged = stage_source(spec, tmp_path / "staging")
    [got] = duckdb.sql(
        f"select count(*), count(distinct customer_id), sum(amount) from '{staged.parquet_path}'"
    ).fetchall()
    [want] = duckdb.sql(f"select count(*), count(distinct cust), sum(amt) from '{path}'").fetchall()
    assert got[:2] == want[:2] and got[2] == pytest.approx(want[2])
    assert source_month_range(spec, tmp_path / "staging") == (date(2020, 3, 1), date(2020, 8, 1))


def test_counts_and_bad_sizes():
    assert (_count("3M"), _count("250k"), _count("1_200")) == (3_000_000, 250_000, 1_200)
    with pytest.raises(ValueError, match="n_lines >= n_customers"):
        write_growing_shop(Path("unused.parquet"), 10, 20)
