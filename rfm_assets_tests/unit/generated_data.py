"""One generated dataset, read back as text and typed, for the generator tests (test_generator.py,
test_generator_truth.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from rfm_assets.core.generator import GeneratedDataset, GeneratorConfig

CONFIG = GeneratorConfig(n_customers=3000, n_months=24, seed=7)  # ~240k lines, well under a second
HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country"
NON_PRODUCT = ["POST", "DOT", "M", "D", "C2", "BANK CHARGES", "AMAZONFEE", "S", "PADS"]


@dataclass
class Loaded:
    ds: GeneratedDataset
    raw: pl.DataFrame  # every column as text, exactly as written
    df: pl.DataFrame  # typed: Quantity int, Price float, InvoiceDate datetime, customer '17850' or null
    truth: dict
    customers: pl.DataFrame


def _typed(raw: pl.DataFrame) -> pl.DataFrame:
    return raw.with_columns(
        pl.col("Quantity").cast(pl.Int64),
        pl.col("Price").cast(pl.Float64),
        pl.col("InvoiceDate").str.to_datetime("%Y-%m-%d %H:%M:%S"),
        customer=pl.col("Customer ID").str.strip_suffix(".0"),
        cancel=pl.col("Invoice").str.starts_with("C"),
        adjust=pl.col("Invoice").str.starts_with("A"),
    )


def clean_purchase_lines(df: pl.DataFrame) -> pl.DataFrame:
    """Product lines of ordinary invoices: no C/A invoice, no non-product code, price and quantity
    positive, exact duplicates dropped (the cleaning rules documented in sql/cleaned_transactions)."""
    return df.filter(
        ~pl.col("cancel")
        & ~pl.col("adjust")
        & ~pl.col("StockCode").is_in(NON_PRODUCT)
        & (pl.col("Price") > 0)
        & (pl.col("Quantity") > 0)
    ).unique(subset=list(HEADER.split(",")), maintain_order=True)


def number(value: object) -> float:
    """A polars aggregate (typed ``PythonLiteral | None``) as a float; an error when it is not a number."""
    assert isinstance(value, int | float), value
    return float(value)


def load(ds: GeneratedDataset) -> Loaded:
    """The dataset's files read back: the CSV as text and typed, truth.json, customers_truth.parquet."""
    raw = pl.read_csv(ds.csv_path, infer_schema=False)  # empty fields (guests) read as null
    return Loaded(
        ds=ds,
        raw=raw,
        df=_typed(raw),
        truth=json.loads(Path(ds.truth_path).read_text()),
        customers=pl.read_parquet(ds.customers_path),
    )
