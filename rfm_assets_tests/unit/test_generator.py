"""The synthetic Online Retail II generator: format, determinism, dirt, calendar and true parameters.

Expected values come from the config, from truth.json or from independent computations on the
CSV (polars, lifetimes), never from the generator's internals.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from rfm_assets.core.generator import GeneratorConfig, generate
from rfm_assets_tests.unit.generated_data import CONFIG, HEADER, NON_PRODUCT, Loaded, clean_purchase_lines, number


def test_same_config_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    small = GeneratorConfig(n_customers=300, n_months=6, seed=3)
    a = generate(tmp_path / "a", small)
    b = generate(tmp_path / "b", small)
    c = generate(tmp_path / "c", replace(small, seed=4))
    assert Path(a.csv_path).read_bytes() == Path(b.csv_path).read_bytes()
    assert Path(a.truth_path).read_bytes() == Path(b.truth_path).read_bytes()
    assert pl.read_parquet(a.customers_path).equals(pl.read_parquet(b.customers_path))
    assert Path(a.csv_path).read_bytes() != Path(c.csv_path).read_bytes()


def test_returned_dataset_describes_the_files(generated: Loaded) -> None:
    ds = generated.ds
    assert ds.n_lines == generated.raw.height
    assert ds.n_customers == CONFIG.n_customers == generated.customers.height
    assert ds.first_month == CONFIG.start == date(2010, 1, 1)
    assert ds.last_month == date(2011, 12, 1)
    out = Path(ds.csv_path).parent
    assert sorted(p.name for p in out.iterdir()) == ["customers_truth.parquet", "online_retail_ii.csv", "truth.json"]
    months = generated.df["InvoiceDate"].dt.truncate("1mo").dt.date()
    assert months.min() == ds.first_month and months.max() == ds.last_month


def test_crash_leaves_no_file_under_a_final_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rfm_assets.core.generator.writer as writer

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(writer, "_customers_truth", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        generate(tmp_path, GeneratorConfig(n_customers=200, n_months=3))
    assert list(tmp_path.iterdir()) == []


def test_rejects_a_start_that_is_not_a_month_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="first day"):
        generate(tmp_path, GeneratorConfig(start=date(2010, 1, 15)))


def test_csv_layout_and_formats(generated: Loaded) -> None:
    with open(generated.ds.csv_path, encoding="utf-8") as fh:
        assert fh.readline().rstrip("\n") == HEADER
    raw = generated.raw
    assert raw.columns == HEADER.split(",")
    assert raw["Invoice"].str.contains(r"^[CA]?\d{6}$").all()
    assert raw["InvoiceDate"].str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$").all()
    assert raw["Price"].str.contains(r"^-?\d+\.\d{2}$").all()
    assert raw["Quantity"].str.contains(r"^-?\d+$").all()
    ids = raw["Customer ID"].drop_nulls()
    assert ids.str.contains(r"^\d{5,6}\.0$").all()  # float-looking, as pandas exports them
    assert raw["Customer ID"].null_count() > 0  # guests: empty field
    assert raw["Description"].null_count() == 0 and raw["StockCode"].null_count() == 0


def test_rows_sorted_by_time_and_invoices_number_with_time(generated: Loaded) -> None:
    df = generated.df
    assert df["InvoiceDate"].is_sorted()
    number = df["Invoice"].str.strip_prefix("C").str.strip_prefix("A").cast(pl.Int64)
    assert number.is_sorted()
    per_invoice = df.group_by("Invoice").agg(
        pl.col("InvoiceDate").n_unique().alias("dates"),
        pl.col("Customer ID").n_unique().alias("ids"),
        pl.col("Country").n_unique().alias("countries"),
    )
    assert (per_invoice["dates"] == 1).all() and (per_invoice["ids"] == 1).all()
    assert (per_invoice["countries"] == 1).all()
    # shop hours, no Saturday trading
    assert df["InvoiceDate"].dt.hour().is_between(7, 20).all()
    assert not (df["InvoiceDate"].dt.weekday() == 6).any()


def test_cancellations_copy_an_earlier_order_of_the_same_customer(generated: Loaded) -> None:
    df = generated.df
    cancels = df.filter(pl.col("cancel"))
    assert cancels.height > 0
    assert (cancels["Quantity"] < 0).all() and cancels["customer"].null_count() == 0
    bought = df.filter(~pl.col("cancel") & ~pl.col("adjust") & pl.col("customer").is_not_null()).select(
        "customer", "StockCode", "Price", bought_at="InvoiceDate", bought=pl.col("Quantity")
    )
    matched = (
        cancels.with_row_index("line")
        .join(bought, on=["customer", "StockCode", "Price"])
        .filter((pl.col("bought_at") < pl.col("InvoiceDate")) & (pl.col("bought") >= -pl.col("Quantity")))
    )
    assert matched["line"].n_unique() == cancels.height


def test_bad_debt_adjustments(generated: Loaded) -> None:
    adj = generated.df.filter(pl.col("adjust"))
    assert 3 <= adj.height <= 20  # a handful
    assert (adj["StockCode"] == "B").all() and (adj["Description"] == "Adjust bad debt").all()
    assert (adj["Price"] < 0).all() and adj["customer"].null_count() == adj.height
    assert generated.df.filter(pl.col("Price") < 0).height == adj.height


def test_dirt_rates_in_band_and_recorded_in_truth(generated: Loaded) -> None:
    df, n = generated.df, generated.df.height
    rates = {
        "guest_lines": df["customer"].null_count() / n,
        "cancellation_lines": df["cancel"].sum() / n,
        "bad_debt_lines": df["adjust"].sum() / n,
        "non_product_lines": df["StockCode"].is_in(NON_PRODUCT).sum() / n,
        "zero_price_lines": (df["Price"] == 0).sum() / n,
        "negative_price_lines": (df["Price"] < 0).sum() / n,
        "duplicate_lines": (n - generated.raw.unique().height) / n,
    }
    bands = {  # documented targets of the real dataset
        "guest_lines": (0.15, 0.30),
        "cancellation_lines": (0.012, 0.025),
        "non_product_lines": (0.003, 0.008),
        "zero_price_lines": (0.0015, 0.005),
        "duplicate_lines": (0.006, 0.014),
        "negative_price_lines": (1e-7, 1e-4),
    }
    for name, (lo, hi) in bands.items():
        assert lo <= rates[name] <= hi, (name, rates[name])
    recorded = generated.truth["dirt_rates"]
    for name, value in rates.items():
        assert recorded[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_non_product_codes_sit_on_ordinary_invoices(generated: Loaded) -> None:
    lines = generated.df.filter(pl.col("StockCode").is_in(NON_PRODUCT))
    assert not lines["cancel"].any() and not lines["adjust"].any()
    assert set(lines["StockCode"].unique()) >= {"POST", "M", "D", "DOT"}
    assert (lines.filter(pl.col("StockCode") == "D")["Quantity"] < 0).all()
    foreign_post = lines.filter(pl.col("StockCode") == "POST")["Country"]
    assert number((foreign_post != "United Kingdom").mean()) > 0.5  # postage is charged mostly abroad


def test_products_look_like_a_gift_wholesaler(generated: Loaded) -> None:
    products = clean_purchase_lines(generated.df)
    codes = products["StockCode"].unique()
    assert codes.str.contains(r"^\d{5}[A-Z]?$").all()
    assert 2_000 <= codes.len() <= 3_000
    assert (products["Description"] == products["Description"].str.to_uppercase()).all()
    catalogue = products.unique("StockCode")
    assert catalogue.group_by("StockCode").agg(pl.col("Description").n_unique())["Description"].max() == 1
    assert catalogue["Price"].is_between(0.29, 40.0).all()
    assert 1.5 <= number(catalogue["Price"].median()) <= 4.0
    lines_per_order = number(products.filter(pl.col("customer").is_not_null()).group_by("Invoice").len()["len"].mean())
    assert 10 <= lines_per_order <= 16
    uk = generated.customers["country"].value_counts(normalize=True).filter(pl.col("country") == "United Kingdom")
    assert 0.85 <= uk["proportion"].item() <= 0.95
    assert generated.customers["country"].n_unique() >= 10


def test_q4_seasonality_visible(generated: Loaded) -> None:
    per_month = (
        clean_purchase_lines(generated.df)
        .filter(pl.col("customer").is_not_null())
        .group_by(ym=pl.col("InvoiceDate").dt.truncate("1mo"))
        .agg(revenue=(pl.col("Quantity") * pl.col("Price")).sum(), active=pl.col("customer").n_unique())
        .group_by(month=pl.col("ym").dt.month())
        .agg(pl.col("revenue").sum(), pl.col("active").sum())
    )
    per_active = dict(zip(per_month["month"], per_month["revenue"] / per_month["active"], strict=True))
    assert per_active[11] > 1.05 * per_active[2]
    assert per_active[11] > 1.05 * per_active[3]
    multipliers = {int(k): v for k, v in generated.truth["seasonality"]["month_multipliers"].items()}
    assert max(multipliers, key=lambda m: multipliers[m]) == 11
    assert sum(multipliers.values()) / 12 == pytest.approx(1.0)


def test_acquisition_grows(generated: Loaded) -> None:
    first = generated.df.filter(pl.col("customer").is_not_null()).group_by("customer").agg(pl.col("InvoiceDate").min())
    year = first["InvoiceDate"].dt.year()
    ratio = number((year == 2011).sum()) / number((year == 2010).sum())
    growth = generated.truth["acquisition"]["growth_factor_first_to_last_day"]
    # exponential growth by `growth` over two years: the second year brings sqrt(growth) times the first
    assert ratio > 1.2
    assert ratio == pytest.approx(math.sqrt(growth), rel=0.15)
