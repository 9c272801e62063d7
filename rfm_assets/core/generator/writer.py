"""``generate``: simulate, then write the CSV chunk by chunk, the customers' truth and truth.json.

Every file is written under a temporary name and moved into place with ``os.replace`` only when
complete, so a crash never leaves a half-written file under a final name.
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl

from rfm_assets.core.generator.baskets import CancelBuffer, Lines, expand_chunk
from rfm_assets.core.generator.catalogue import NON_PRODUCT_CODES, Catalogue, build_catalogue
from rfm_assets.core.generator.customers import Customers, draw_customers, simulate_purchases
from rfm_assets.core.generator.orders import BAD_DEBT, CANCEL, PURCHASE, STOCK_ADJUSTMENT, build_orders
from rfm_assets.core.generator.params import (
    COUNTRIES,
    CSV_HEADER,
    CSV_NAME,
    CUSTOMERS_NAME,
    TRUTH_NAME,
    GeneratedDataset,
    GeneratorConfig,
)
from rfm_assets.core.generator.timeline import build_timeline
from rfm_assets.core.generator.truth import truth_document
from rfm_assets.core.months import add_months

CHUNK_ORDERS = 20_000
_ORDER_COLUMNS = ("kind", "z", "n_lines", "extras", "free", "cancel_lines", "child_pos", "country")
_COUNTS = (
    "lines",
    "guest",
    "cancellation",
    "bad_debt",
    "stock_adjustment",
    "non_product",
    "zero_price",
    "negative_price",
    "duplicate",
)


def generate(out_dir: Path, config: GeneratorConfig = GeneratorConfig()) -> GeneratedDataset:  # noqa: B008
    """Write ``online_retail_ii.csv``, ``truth.json`` and ``customers_truth.parquet`` into ``out_dir``.

    Deterministic: the same config gives byte-identical files; peak memory grows with the number
    of invoices, not of lines (lines are expanded and written CHUNK_ORDERS invoices at a time).
    """
    config.validate()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    seeds = np.random.SeedSequence(config.seed).spawn(5)
    rng_catalogue, rng_customers, rng_purchases, rng_orders = (np.random.default_rng(s) for s in seeds[:4])
    timeline = build_timeline(config.start, config.n_months)
    catalogue = build_catalogue(rng_catalogue)
    customers = draw_customers(rng_customers, config.total_customers, timeline)
    purchases = simulate_purchases(rng_purchases, customers, timeline)
    orders = build_orders(rng_orders, config, timeline, customers, purchases)

    final = {name: out_dir / name for name in (CSV_NAME, CUSTOMERS_NAME, TRUTH_NAME)}
    temp = {name: path.with_name(f".{name}.{os.getpid()}.tmp") for name, path in final.items()}
    try:
        counts = _write_csv(temp[CSV_NAME], orders, catalogue, seeds[4])
        _customers_truth(orders, customers, purchases.dropped, config).write_parquet(temp[CUSTOMERS_NAME])
        truth = truth_document(config, counts, orders["kind"].to_numpy())
        temp[TRUTH_NAME].write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
        for name in (CSV_NAME, CUSTOMERS_NAME, TRUTH_NAME):
            os.replace(temp[name], final[name])
    finally:
        for path in temp.values():
            path.unlink(missing_ok=True)
    return GeneratedDataset(
        csv_path=final[CSV_NAME],
        truth_path=final[TRUTH_NAME],
        customers_path=final[CUSTOMERS_NAME],
        n_lines=counts["lines"],
        n_customers=len(customers),
        first_month=config.start,
        last_month=add_months(config.start, config.n_months - 1),
    )


def _price_text(pence: pl.Expr) -> pl.Expr:
    """'-12.05' from -1205: pounds with exactly two decimals."""
    sign = pl.when(pence < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return sign + (pence.abs() // 100).cast(pl.String) + "." + (pence.abs() % 100).cast(pl.String).str.zfill(2)


def _render(lines: Lines, chunk: pl.DataFrame, catalogue: Catalogue) -> pl.DataFrame:
    """The chunk's lines as the CSV's columns."""
    at = pl.Series(lines.order, dtype=pl.UInt32)
    return pl.DataFrame(
        {
            "Invoice": chunk["Invoice"].gather(at),
            "StockCode": pl.Series(catalogue.codes).gather(pl.Series(lines.item, dtype=pl.UInt32)),
            "Description": pl.Series(catalogue.descriptions).gather(pl.Series(lines.desc, dtype=pl.UInt32)),
            "Quantity": pl.Series(lines.qty, dtype=pl.Int64),
            "InvoiceDate": chunk["InvoiceDate"].gather(at),
            "Price": pl.Series(lines.price, dtype=pl.Int64),
            "Customer ID": chunk["Customer ID"].gather(at),
            "Country": chunk["Country"].gather(at),
        }
    ).with_columns(Price=_price_text(pl.col("Price")))


def _write_csv(path: Path, orders: pl.DataFrame, catalogue: Catalogue, seed: np.random.SeedSequence) -> dict[str, int]:
    """Expand and write the lines chunk by chunk (header once); return line counts per kind of dirt."""
    counts: dict[str, int] = dict.fromkeys(_COUNTS, 0)
    specials = np.arange(catalogue.n_products, catalogue.n_products + len(NON_PRODUCT_CODES))
    buffer = CancelBuffer()
    starts = range(0, orders.height, CHUNK_ORDERS)
    with open(path, "wb") as fh:
        fh.write((",".join(CSV_HEADER) + "\n").encode())
        for lo, chunk_seed in zip(starts, seed.spawn(len(starts)), strict=True):
            chunk = orders.slice(lo, CHUNK_ORDERS)
            arrays = {name: chunk[name].to_numpy() for name in _ORDER_COLUMNS}
            lines = expand_chunk(np.random.default_rng(chunk_seed), arrays, lo, catalogue, buffer)
            _render(lines, chunk, catalogue).write_csv(fh, include_header=False)
            kind = arrays["kind"][lines.order]
            counts["lines"] += len(lines)
            counts["guest"] += int(((kind != PURCHASE) & (kind != CANCEL)).sum())
            counts["cancellation"] += int((kind == CANCEL).sum())
            counts["bad_debt"] += int((kind == BAD_DEBT).sum())
            counts["stock_adjustment"] += int((kind == STOCK_ADJUSTMENT).sum())
            counts["non_product"] += int(np.isin(lines.item, specials).sum())
            counts["zero_price"] += int((lines.price == 0).sum())
            counts["negative_price"] += int((lines.price < 0).sum())
            counts["duplicate"] += int(lines.duplicate.sum())
    if len(buffer):
        raise AssertionError(f"{len(buffer)} cancellation lines never reached their invoice")
    return counts


def _customers_truth(
    orders: pl.DataFrame, customers: Customers, dropped: np.ndarray, config: GeneratorConfig
) -> pl.DataFrame:
    """One row per customer: latent parameters and realised history (from the final timestamps)."""
    history = (
        orders.filter(pl.col("kind") == PURCHASE)
        .group_by("cust")
        .agg(first=pl.col("minute").min(), last=pl.col("minute").max(), n_orders=pl.len())
        .sort("cust")
    )
    if history.height != len(customers):
        raise AssertionError("every customer makes a first purchase inside the period")
    start = pl.lit(datetime(config.start.year, config.start.month, config.start.day)).dt.cast_time_unit("us")
    return (
        pl.DataFrame(
            {
                "customer_id": pl.Series(customers.customer_id).cast(pl.String),
                "first_purchase": history["first"],
                "lam": customers.lam,
                "p_drop": customers.p_drop,
                "nu": customers.nu,
                "dropout_time": history["last"],
                "dropped": dropped,
                "country": pl.Series([name for name, *_ in COUNTRIES]).gather(pl.Series(customers.country)),
                "n_orders": history["n_orders"].cast(pl.Int64),
            }
        )
        .with_columns(
            first_purchase=start + pl.duration(minutes=pl.col("first_purchase")),
            dropout_time=pl.when(pl.col("dropped")).then(start + pl.duration(minutes=pl.col("dropout_time"))),
        )
        .drop("dropped")
        .sort(pl.col("customer_id").cast(pl.Int64))
    )
