"""The synthetic Online Retail II generator: format, determinism, dirt, calendar and true parameters.

Expected values come from the config, from truth.json or from independent computations on the
CSV (polars, lifetimes), never from the generator's internals.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from datetime import date
from pathlib import Path

import pandas as pd
import polars as pl
import pytest

from rfm_assets.core.generator import GeneratedDataset, GeneratorConfig, generate

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


def _clean_purchase_lines(df: pl.DataFrame) -> pl.DataFrame:
    """Product lines of ordinary invoices: no C/A invoice, no non-product code, price and quantity
    positive, exact duplicates dropped (the cleaning rules documented in sql/cleaned_transactions)."""
    return df.filter(
        ~pl.col("cancel")
        & ~pl.col("adjust")
        & ~pl.col("StockCode").is_in(NON_PRODUCT)
        & (pl.col("Price") > 0)
        & (pl.col("Quantity") > 0)
    ).unique(subset=list(HEADER.split(",")), maintain_order=True)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    ds = generate(tmp_path_factory.mktemp("gen"), CONFIG)
    raw = pl.read_csv(ds.csv_path, infer_schema=False)  # empty fields (guests) read as null
    return Loaded(
        ds=ds,
        raw=raw,
        df=_typed(raw),
        truth=json.loads(Path(ds.truth_path).read_text()),
        customers=pl.read_parquet(ds.customers_path),
    )


def test_same_config_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    small = GeneratorConfig(n_customers=300, n_months=6, seed=3)
    a = generate(tmp_path / "a", small)
    b = generate(tmp_path / "b", small)
    c = generate(tmp_path / "c", replace(small, seed=4))
    assert Path(a.csv_path).read_bytes() == Path(b.csv_path).read_bytes()
    assert Path(a.truth_path).read_bytes() == Path(b.truth_path).read_bytes()
    assert pl.read_parquet(a.customers_path).equals(pl.read_parquet(b.customers_path))
    assert Path(a.csv_path).read_bytes() != Path(c.csv_path).read_bytes()


def test_returned_dataset_describes_the_files(data: Loaded) -> None:
    ds = data.ds
    assert ds.n_lines == data.raw.height
    assert ds.n_customers == CONFIG.n_customers == data.customers.height
    assert ds.first_month == CONFIG.start == date(2010, 1, 1)
    assert ds.last_month == date(2011, 12, 1)
    out = Path(ds.csv_path).parent
    assert sorted(p.name for p in out.iterdir()) == ["customers_truth.parquet", "online_retail_ii.csv", "truth.json"]
    months = data.df["InvoiceDate"].dt.truncate("1mo").dt.date()
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


def test_csv_layout_and_formats(data: Loaded) -> None:
    with open(data.ds.csv_path, encoding="utf-8") as fh:
        assert fh.readline().rstrip("\n") == HEADER
    raw = data.raw
    assert raw.columns == HEADER.split(",")
    assert raw["Invoice"].str.contains(r"^[CA]?\d{6}$").all()
    assert raw["InvoiceDate"].str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$").all()
    assert raw["Price"].str.contains(r"^-?\d+\.\d{2}$").all()
    assert raw["Quantity"].str.contains(r"^-?\d+$").all()
    ids = raw["Customer ID"].drop_nulls()
    assert ids.str.contains(r"^\d{5,6}\.0$").all()  # float-looking, as pandas exports them
    assert raw["Customer ID"].null_count() > 0  # guests: empty field
    assert raw["Description"].null_count() == 0 and raw["StockCode"].null_count() == 0


def test_rows_sorted_by_time_and_invoices_number_with_time(data: Loaded) -> None:
    df = data.df
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


def test_cancellations_copy_an_earlier_order_of_the_same_customer(data: Loaded) -> None:
    df = data.df
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


def test_bad_debt_adjustments(data: Loaded) -> None:
    adj = data.df.filter(pl.col("adjust"))
    assert 3 <= adj.height <= 20  # a handful
    assert (adj["StockCode"] == "B").all() and (adj["Description"] == "Adjust bad debt").all()
    assert (adj["Price"] < 0).all() and adj["customer"].null_count() == adj.height
    assert data.df.filter(pl.col("Price") < 0).height == adj.height


def test_dirt_rates_in_band_and_recorded_in_truth(data: Loaded) -> None:
    df, n = data.df, data.df.height
    rates = {
        "guest_lines": df["customer"].null_count() / n,
        "cancellation_lines": df["cancel"].sum() / n,
        "bad_debt_lines": df["adjust"].sum() / n,
        "non_product_lines": df["StockCode"].is_in(NON_PRODUCT).sum() / n,
        "zero_price_lines": (df["Price"] == 0).sum() / n,
        "negative_price_lines": (df["Price"] < 0).sum() / n,
        "duplicate_lines": (n - data.raw.unique().height) / n,
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
    recorded = data.truth["dirt_rates"]
    for name, value in rates.items():
        assert recorded[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name


def test_non_product_codes_sit_on_ordinary_invoices(data: Loaded) -> None:
    lines = data.df.filter(pl.col("StockCode").is_in(NON_PRODUCT))
    assert not lines["cancel"].any() and not lines["adjust"].any()
    assert set(lines["StockCode"].unique()) >= {"POST", "M", "D", "DOT"}
    assert (lines.filter(pl.col("StockCode") == "D")["Quantity"] < 0).all()
    foreign_post = lines.filter(pl.col("StockCode") == "POST")["Country"]
    assert (foreign_post != "United Kingdom").mean() > 0.5  # postage is charged mostly abroad


def test_products_look_like_a_gift_wholesaler(data: Loaded) -> None:
    products = _clean_purchase_lines(data.df)
    codes = products["StockCode"].unique()
    assert codes.str.contains(r"^\d{5}[A-Z]?$").all()
    assert 2_000 <= codes.len() <= 3_000
    assert (products["Description"] == products["Description"].str.to_uppercase()).all()
    catalogue = products.unique("StockCode")
    assert catalogue.group_by("StockCode").agg(pl.col("Description").n_unique())["Description"].max() == 1
    assert catalogue["Price"].is_between(0.29, 40.0).all()
    assert 1.5 <= catalogue["Price"].median() <= 4.0
    lines_per_order = products.filter(pl.col("customer").is_not_null()).group_by("Invoice").len()["len"].mean()
    assert 10 <= lines_per_order <= 16
    uk = data.customers["country"].value_counts(normalize=True).filter(pl.col("country") == "United Kingdom")
    assert 0.85 <= uk["proportion"].item() <= 0.95
    assert data.customers["country"].n_unique() >= 10


def test_q4_seasonality_visible(data: Loaded) -> None:
    per_month = (
        _clean_purchase_lines(data.df)
        .filter(pl.col("customer").is_not_null())
        .group_by(ym=pl.col("InvoiceDate").dt.truncate("1mo"))
        .agg(revenue=(pl.col("Quantity") * pl.col("Price")).sum(), active=pl.col("customer").n_unique())
        .group_by(month=pl.col("ym").dt.month())
        .agg(pl.col("revenue").sum(), pl.col("active").sum())
    )
    per_active = dict(zip(per_month["month"], per_month["revenue"] / per_month["active"], strict=True))
    assert per_active[11] > 1.05 * per_active[2]
    assert per_active[11] > 1.05 * per_active[3]
    multipliers = {int(k): v for k, v in data.truth["seasonality"]["month_multipliers"].items()}
    assert max(multipliers, key=multipliers.get) == 11
    assert sum(multipliers.values()) / 12 == pytest.approx(1.0)


def test_acquisition_grows(data: Loaded) -> None:
    first = data.df.filter(pl.col("customer").is_not_null()).group_by("customer").agg(pl.col("InvoiceDate").min())
    year = first["InvoiceDate"].dt.year()
    ratio = (year == 2011).sum() / (year == 2010).sum()
    growth = data.truth["acquisition"]["growth_factor_first_to_last_day"]
    # exponential growth by `growth` over two years: the second year brings sqrt(growth) times the first
    assert ratio > 1.2
    assert ratio == pytest.approx(math.sqrt(growth), rel=0.15)


def test_truth_json_content(data: Loaded) -> None:
    truth = data.truth
    assert truth["time_unit_days"] == 7
    assert truth["model"].startswith("BG/NBD")  # lifetimes' BetaGeoFitter: no dropout at the first purchase
    assert set(truth["bg_nbd"]) == {"r", "alpha", "a", "b"}
    assert set(truth["gamma_gamma"]) == {"p", "q", "v"}
    for key in ("seasonality", "acquisition", "dirt_rates", "config"):
        assert key in truth
    assert truth["config"] == {**asdict(CONFIG), "start": CONFIG.start.isoformat()}
    assert "rounding" in truth["order_value"]


def test_order_values_follow_gamma_gamma(data: Loaded) -> None:
    gg = data.truth["gamma_gamma"]
    orders = (
        _clean_purchase_lines(data.df)
        .filter(pl.col("customer").is_not_null())
        .group_by("Invoice", "customer")
        .agg(value=(pl.col("Quantity") * pl.col("Price")).sum())
        .join(data.customers.select(customer="customer_id", nu="nu"), on="customer", how="left")
    )
    assert orders["nu"].null_count() == 0
    realised = orders["value"].mean()
    # population mean of z: p * v / (q - 1); sampling error of ~0.7 CV customer means over ~3000
    # customers plus the upward rounding of quantities: 8%
    assert realised == pytest.approx(gg["p"] * gg["v"] / (gg["q"] - 1), rel=0.08)
    # given each customer's true nu, E[z] = p / nu: only the rounding max(1, round(.)) remains
    conditional = (gg["p"] / orders["nu"]).mean()
    assert 0.99 <= realised / conditional <= 1.05


def test_customers_truth_matches_the_csv(data: Loaded) -> None:
    ct = data.customers
    assert ct.schema["customer_id"] == pl.String
    assert ct.schema["first_purchase"] == pl.Datetime("us")
    assert ct.schema["dropout_time"] == pl.Datetime("us")
    for column in ("lam", "p_drop", "nu"):
        assert ct.schema[column] == pl.Float64
    purchases = data.df.filter(~pl.col("cancel") & pl.col("customer").is_not_null())
    history = purchases.group_by("customer").agg(
        n_orders=pl.col("Invoice").n_unique(),
        first=pl.col("InvoiceDate").min(),
        last=pl.col("InvoiceDate").max(),
        country=pl.col("Country").unique(),
    )
    assert set(history["customer"]) == set(ct["customer_id"])
    joined = ct.join(history, left_on="customer_id", right_on="customer")
    assert (joined["n_orders"] == joined["n_orders_right"]).all()
    assert (joined["first_purchase"] == joined["first"]).all()
    assert (joined["country_right"].list.len() == 1).all()
    assert (joined["country"] == joined["country_right"].list.first()).all()
    dropped = joined.filter(pl.col("dropout_time").is_not_null())
    assert (dropped["dropout_time"] == dropped["last"]).all()  # dropout happens right after a purchase
    assert 0 < dropped.height < ct.height
    # each customer's invoices (cancellations included) sit on distinct timestamps
    every = (
        data.df.filter(pl.col("customer").is_not_null())
        .group_by("customer")
        .agg(pl.col("Invoice").n_unique().alias("invoices"), pl.col("InvoiceDate").n_unique().alias("stamps"))
    )
    assert (every["invoices"] == every["stamps"]).all()


def test_latent_parameters_follow_their_population(data: Loaded) -> None:
    bg, gg, ct = data.truth["bg_nbd"], data.truth["gamma_gamma"], data.customers
    assert ct["lam"].mean() == pytest.approx(bg["r"] / bg["alpha"], rel=0.1)
    assert ct["p_drop"].mean() == pytest.approx(bg["a"] / (bg["a"] + bg["b"]), rel=0.1)
    assert ct["nu"].mean() == pytest.approx(gg["q"] / gg["v"], rel=0.1)


def test_bg_nbd_fit_recovers_the_true_parameters(data: Loaded) -> None:
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    purchases = (
        data.df.filter(~pl.col("cancel") & ~pl.col("adjust") & pl.col("customer").is_not_null())
        .select("customer", "InvoiceDate")
        .unique()
        .to_pandas()
    )
    end = pd.Timestamp(data.truth["period"]["end_exclusive"])
    summary = summary_data_from_transaction_data(
        purchases, "customer", "InvoiceDate", observation_period_end=end, freq="h"
    )
    hours_per_unit = 24 * data.truth["time_unit_days"]
    fitted = (
        BetaGeoFitter()
        .fit(summary["frequency"], summary["recency"] / hours_per_unit, summary["T"] / hours_per_unit)
        .params_
    )
    bg = data.truth["bg_nbd"]
    # loose: seasonality and two years of data leave a few percent of bias and noise
    assert fitted["r"] / fitted["alpha"] == pytest.approx(bg["r"] / bg["alpha"], rel=0.25)
    assert fitted["a"] / (fitted["a"] + fitted["b"]) == pytest.approx(bg["a"] / (bg["a"] + bg["b"]), rel=0.25)
