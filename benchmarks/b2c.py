"""The B2C shape (``--shape b2c``): a young consumer shop, in the Online Retail II CSV layout the
wholesale shape uses, so every piece, the floor and the notebook read it unchanged.

Shape (issue 19): about 83k customers per million lines (1M lines: ~83k customers; 3M: 250k), a
few-line order (1.5 lines on average) and about 8 orders per customer over 36 months. Ideas from
``rfm_assets_tests/sources/growing_shop.py``: customers arrive at an accelerating rate (the last
month's acquisitions ~e^ACCELERATION times the first's) and order on their first day. After that,
BG/NBD's story: a gamma-distributed purchase rate (exponential gaps) and, after every repeat
order, a beta-distributed chance of leaving for good. The rate is rescaled (twice at most) toward
lines / 1.5 orders (1M lines: 586k orders, 1.7 lines each); then every order gets one line and the remaining lines land
on random orders, so the file has exactly ``n_lines`` lines. Clean data: no guests, no
cancellations, no non-product codes. Deterministic for a seed (vectorized numpy, seconds at 3M).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from benchmarks.dataset import BenchData, load_data

CUSTOMERS_PER_LINE = 1 / 12  # 1M lines -> 83k customers, 3M -> 250k
LINES_PER_ORDER = 1.5
ACCELERATION = 3.0
RATE_SHAPE, DROP_A, DROP_B = 0.9, 1.0, 6.0  # gamma shape of the daily rate; Beta(a, b) dropout per repeat
CSV_NAME = "online_retail_ii.csv"
PRODUCTS = 400


@dataclass(frozen=True)
class B2CData:
    csv_path: Path
    n_lines: int
    n_customers: int
    first_month: date
    last_month: date


def _orders(rng: np.random.Generator, acq: np.ndarray, end: int, mean_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """(customer, day) of every order: the first on the acquisition day, repeats until dropout or ``end``."""
    n = len(acq)
    rate = rng.gamma(RATE_SHAPE, mean_rate / RATE_SHAPE, n)
    drop = rng.beta(DROP_A, DROP_B, n)
    cust, days = [np.arange(n)], [acq.astype(float)]
    alive, t = np.arange(n), acq.astype(float)
    while alive.size:
        t = t + rng.exponential(1.0, alive.size) / rate[alive]
        keep = t < end
        alive, t = alive[keep], t[keep]
        cust.append(alive)
        days.append(t)
        stay = rng.random(alive.size) >= drop[alive]
        alive, t = alive[stay], t[stay]
    return np.concatenate(cust), np.floor(np.concatenate(days)).astype(np.int64)


def generate_b2c(out_dir: Path, n_lines: int, n_months: int = 36, seed: int = 42, start: str = "2010-01") -> B2CData:
    """Write ``out_dir/online_retail_ii.csv`` with exactly ``n_lines`` lines of the B2C shape."""
    n_customers = max(1, round(n_lines * CUSTOMERS_PER_LINE))
    if n_months < 2 or n_lines < 2 * n_customers:
        raise ValueError(f"need n_months >= 2 and at least 2 lines per customer (got {n_lines=}, {n_months=})")
    rng = np.random.default_rng(seed)
    first = np.datetime64(start, "M")
    month_starts = (first + np.arange(n_months + 1)).astype("datetime64[D]")
    day0, end = month_starts[0], int((month_starts[-1] - month_starts[0]).astype(int))
    weight = np.exp(ACCELERATION * np.arange(n_months) / n_months)
    acq_month = np.sort(rng.choice(n_months, size=n_customers, p=weight / weight.sum()))
    month_len = (month_starts[1:] - month_starts[:-1]).astype(int)
    acq = (month_starts[acq_month] - day0).astype(int) + (rng.random(n_customers) * month_len[acq_month]).astype(int)
    wanted, mean_rate = round(n_lines / LINES_PER_ORDER), 0.02
    cust, day = _orders(np.random.default_rng(rng.integers(2**32)), acq, end, mean_rate)
    for _ in range(2):  # rescale the purchase rate unless the order count is within 3% of the wanted one
        if abs(len(cust) / wanted - 1) < 0.03:
            break
        mean_rate *= (wanted - n_customers) / max(len(cust) - n_customers, 1)
        cust, day = _orders(np.random.default_rng(rng.integers(2**32)), acq, end, mean_rate)
    if len(cust) > n_lines:  # every first order (the first n_customers) and the earliest repeats
        repeats = n_customers + np.argsort(day[n_customers:], kind="stable")[: n_lines - n_customers]
        keep = np.concatenate([np.arange(n_customers), repeats])
        cust, day = cust[keep], day[keep]
    n_orders = len(cust)
    per_order = 1 + np.bincount(rng.integers(0, n_orders, n_lines - n_orders), minlength=n_orders)
    seconds = rng.integers(8 * 3600, 22 * 3600, n_orders) // 60 * 60
    order_ts = (day0 + day).astype("datetime64[s]") + seconds
    by_time = np.argsort(order_ts, kind="stable")  # invoice numbers follow time, as in the wholesale file
    invoice = np.empty(n_orders, dtype=np.int64)
    invoice[by_time] = 500_000 + np.arange(n_orders)
    line_order = np.repeat(by_time, per_order[by_time])
    product = rng.integers(0, PRODUCTS, n_lines)
    price = np.round(np.exp(np.log(8.0) + 0.3 * rng.standard_normal(PRODUCTS)), 2)
    frame = pl.DataFrame(
        {
            "Invoice": invoice[line_order],
            "StockCode": 90_000 + product,
            "Description": product,
            "Quantity": 1 + rng.poisson(0.6, n_lines),
            "InvoiceDate": order_ts[line_order].astype("datetime64[ms]"),
            "Price": price[product],
            "Customer ID": 100_000 + cust[line_order],
        }
    ).with_columns(
        pl.col("Invoice", "StockCode").cast(pl.Utf8),
        pl.format("B2C PRODUCT {}", "Description").alias("Description"),
        pl.format("{}.0", "Customer ID").alias("Customer ID"),
        pl.lit("United Kingdom").alias("Country"),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    path, temp = out_dir / CSV_NAME, out_dir / f".{CSV_NAME}.{os.getpid()}.tmp"
    frame.write_csv(temp, datetime_format="%Y-%m-%d %H:%M:%S", float_precision=2)
    os.replace(temp, path)
    last = month_starts[-2].astype(object)
    return B2CData(path, n_lines, int(np.unique(cust).size), month_starts[0].astype(object), last)


def ensure_b2c_data(data_dir: Path, lines: int, months: int, seed: int) -> BenchData:
    """The B2C dataset for (lines, months, seed), generated on first use, as a BenchData (scale 0)."""
    folder = data_dir / (f"b2c_m{months}_l{lines}" + ("" if seed == 42 else f"_seed{seed}"))
    info = folder / "dataset.json"
    if info.exists():
        return load_data(info)
    ds = generate_b2c(folder / "source", lines, months, seed)
    data = BenchData(folder, ds.csv_path, 0.0, months, seed, ds.n_lines, ds.n_customers, ds.first_month, ds.last_month)
    info.write_text(json.dumps(asdict(data), default=str, indent=1))
    return data
