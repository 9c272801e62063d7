"""Ingestion assets through dg.materialize against a real DuckDB file, checked against an
independent polars reading of the same CSV."""

import duckdb
import polars as pl
import pytest

from rfm_assets.core.rows import one_row, scalar
from rfm_assets.core.warehouse import table_checksum
from rfm_assets_tests.assets.helpers import INGESTION, NON_PRODUCT, failed_checks, materialize
from rfm_assets_tests.conftest import make_resources


def _expected_month(csv_path, year, month):
    """The cleaning rules re-implemented with polars straight from the CSV."""
    df = pl.read_csv(csv_path, infer_schema_length=0).with_columns(
        pl.col("InvoiceDate").str.to_datetime("%Y-%m-%d %H:%M:%S"),
        pl.col("Quantity").cast(pl.Float64),
        pl.col("Price").cast(pl.Float64),
    )
    df = df.filter((pl.col("InvoiceDate").dt.year() == year) & (pl.col("InvoiceDate").dt.month() == month))
    keep = df.filter(
        ~pl.col("Invoice").str.to_uppercase().str.starts_with("C")
        & ~pl.col("Invoice").str.to_uppercase().str.starts_with("A")
        & ~pl.col("StockCode").str.to_uppercase().str.strip_chars().is_in(NON_PRODUCT)
        & (pl.col("Price") > 0)
        & (pl.col("Quantity") > 0)
    ).unique(keep="first", maintain_order=True)
    return df, keep


def test_month_of_ingestion_matches_independent_reading(tmp_path, small_dataset):
    resources = make_resources(tmp_path, small_dataset.csv_path)
    result = materialize(resources, "2010-03", INGESTION)
    assert result.success and failed_checks(result) == []
    raw, keep = _expected_month(small_dataset.csv_path, 2010, 3)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        n_raw = scalar(con, "select count(*) from raw_orders")
        n_clean, revenue, guests = one_row(
            con,
            "select count(*), sum(line_revenue), count(*) filter (where customer_id is null) from cleaned_transactions",
        )
        ids = {
            r[0]
            for r in con.execute(
                "select distinct customer_id from cleaned_transactions where customer_id is not null"
            ).fetchall()
        }
    assert n_raw == raw.height
    assert n_clean == keep.height
    assert revenue == pytest.approx((keep["Quantity"] * keep["Price"]).sum(), rel=1e-9)
    assert guests == keep.filter(pl.col("Customer ID").is_null()).height
    expected_ids = {s.removesuffix(".0") for s in keep["Customer ID"].drop_nulls()}
    assert ids == expected_ids and not any(i.endswith(".0") for i in ids)


def test_rematerializing_a_month_is_idempotent(tmp_path, small_dataset):
    resources = make_resources(tmp_path, small_dataset.csv_path)
    materialize(resources, "2010-02", INGESTION)
    materialize(resources, "2010-03", INGESTION)
    path = str(tmp_path / "warehouse.duckdb")
    with duckdb.connect(path, read_only=True) as con:
        before = {t: table_checksum(con, t) for t in INGESTION}
    materialize(resources, "2010-03", INGESTION)
    with duckdb.connect(path, read_only=True) as con:
        assert {t: table_checksum(con, t) for t in INGESTION} == before
        months = con.execute("select distinct snapshot_month from cleaned_transactions order by 1").fetchall()
    assert [m[0].isoformat() for m in months] == ["2010-02-01", "2010-03-01"]


def test_month_outside_the_source_is_refused_and_nothing_written(tmp_path, small_dataset):
    resources = make_resources(tmp_path, small_dataset.csv_path)
    result = materialize(resources, "2011-06", ["raw_orders"], raise_on_error=False)
    assert not result.success
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        assert scalar(con, "select count(*) from information_schema.tables where table_name = 'raw_orders'") == 0
