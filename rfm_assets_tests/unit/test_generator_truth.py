"""The generator's true parameters: truth.json and customers_truth.parquet agree with the CSV, and the
spend and purchase models recover them (polars, lifetimes), never the generator's internals."""

from __future__ import annotations

from dataclasses import asdict

import pandas as pd
import polars as pl
import pytest

from rfm_assets_tests.unit.generated_data import CONFIG, Loaded, clean_purchase_lines


def test_truth_json_content(generated: Loaded) -> None:
    truth = generated.truth
    assert truth["time_unit_days"] == 7
    assert truth["model"].startswith("BG/NBD")  # lifetimes' BetaGeoFitter: no dropout at the first purchase
    assert set(truth["bg_nbd"]) == {"r", "alpha", "a", "b"}
    assert set(truth["gamma_gamma"]) == {"p", "q", "v"}
    for key in ("seasonality", "acquisition", "dirt_rates", "config"):
        assert key in truth
    assert truth["config"] == {**asdict(CONFIG), "start": CONFIG.start.isoformat()}
    assert "rounding" in truth["order_value"]


def test_order_values_follow_gamma_gamma(generated: Loaded) -> None:
    gg = generated.truth["gamma_gamma"]
    orders = (
        clean_purchase_lines(generated.df)
        .filter(pl.col("customer").is_not_null())
        .group_by("Invoice", "customer")
        .agg(value=(pl.col("Quantity") * pl.col("Price")).sum())
        .join(generated.customers.select(customer="customer_id", nu="nu"), on="customer", how="left")
    )
    assert orders["nu"].null_count() == 0
    realised = orders["value"].mean()
    # population mean of z: p * v / (q - 1); sampling error of ~0.7 CV customer means over ~3000
    # customers plus the upward rounding of quantities: 8%
    assert realised == pytest.approx(gg["p"] * gg["v"] / (gg["q"] - 1), rel=0.08)
    # given each customer's true nu, E[z] = p / nu: only the rounding max(1, round(.)) remains
    conditional = (gg["p"] / orders["nu"]).mean()
    assert 0.99 <= realised / conditional <= 1.05


def test_customers_truth_matches_the_csv(generated: Loaded) -> None:
    ct = generated.customers
    assert ct.schema["customer_id"] == pl.String
    assert ct.schema["first_purchase"] == pl.Datetime("us")
    assert ct.schema["dropout_time"] == pl.Datetime("us")
    for column in ("lam", "p_drop", "nu"):
        assert ct.schema[column] == pl.Float64
    purchases = generated.df.filter(~pl.col("cancel") & pl.col("customer").is_not_null())
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
        generated.df.filter(pl.col("customer").is_not_null())
        .group_by("customer")
        .agg(pl.col("Invoice").n_unique().alias("invoices"), pl.col("InvoiceDate").n_unique().alias("stamps"))
    )
    assert (every["invoices"] == every["stamps"]).all()


def test_latent_parameters_follow_their_population(generated: Loaded) -> None:
    bg, gg, ct = generated.truth["bg_nbd"], generated.truth["gamma_gamma"], generated.customers
    assert ct["lam"].mean() == pytest.approx(bg["r"] / bg["alpha"], rel=0.1)
    assert ct["p_drop"].mean() == pytest.approx(bg["a"] / (bg["a"] + bg["b"]), rel=0.1)
    assert ct["nu"].mean() == pytest.approx(gg["q"] / gg["v"], rel=0.1)


def test_bg_nbd_fit_recovers_the_true_parameters(generated: Loaded) -> None:
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import summary_data_from_transaction_data

    purchases = (
        generated.df.filter(~pl.col("cancel") & ~pl.col("adjust") & pl.col("customer").is_not_null())
        .select("customer", "InvoiceDate")
        .unique()
        .to_pandas()
    )
    end = pd.Timestamp(generated.truth["period"]["end_exclusive"])
    summary = summary_data_from_transaction_data(
        purchases, "customer", "InvoiceDate", observation_period_end=end, freq="h"
    )
    hours_per_unit = 24 * generated.truth["time_unit_days"]
    fitted = (
        BetaGeoFitter()
        .fit(summary["frequency"], summary["recency"] / hours_per_unit, summary["T"] / hours_per_unit)
        .params_
    )
    bg = generated.truth["bg_nbd"]
    # loose: seasonality and two years of data leave a few percent of bias and noise
    assert fitted["r"] / fitted["alpha"] == pytest.approx(bg["r"] / bg["alpha"], rel=0.25)
    assert fitted["a"] / (fitted["a"] + fitted["b"]) == pytest.approx(bg["a"] / (bg["a"] + bg["b"]), rel=0.25)
