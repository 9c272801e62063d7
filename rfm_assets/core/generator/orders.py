"""The order-level table: one row per invoice of every kind, sorted by time, numbered.

Small even at ten million lines (one row per invoice); the lines are expanded from it chunk by
chunk in ``baskets``.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import polars as pl

from rfm_assets.core.generator.catalogue import NON_PRODUCT_CODES
from rfm_assets.core.generator.customers import Customers, Purchases
from rfm_assets.core.generator.params import (
    ACQUISITION_GROWTH,
    BAD_DEBT_PER_YEAR,
    CANCEL_DELAY_DAYS,
    CANCEL_EXTRA_LINES_MEAN,
    CANCEL_PROB,
    COUNTRIES,
    CUSTOMER_LINES_MEAN,
    FREE_LINE_PROB,
    GAMMA_GAMMA,
    GUEST_LINE_SHARE,
    GUEST_LINES_MEAN,
    GUEST_UK_SHARE,
    GUEST_Z_MEAN,
    GUEST_Z_SHAPE,
    INVOICE_FIRST,
    STOCK_ADJUSTMENT_RATE,
    WEEKDAY_MULTIPLIERS,
    GeneratorConfig,
)
from rfm_assets.core.generator.timeline import Timeline, to_minutes

PURCHASE, GUEST, CANCEL, BAD_DEBT, STOCK_ADJUSTMENT = 0, 1, 2, 3, 4
_MEAN_Z = GAMMA_GAMMA.p * GAMMA_GAMMA.v / (GAMMA_GAMMA.q - 1)
_REGIONS = ("UK", "EU", "ROW")
COUNTRY_REGION = np.asarray([_REGIONS.index(region) for *_, region in COUNTRIES], dtype=np.int8)


def basket_sizes(rng: np.random.Generator, z: np.ndarray, mean_lines: float, mean_z: float) -> np.ndarray:
    """Lines per order: 1 + Poisson(mean * clip(sqrt(z / mean_z), 0.3, 3)); bigger orders, more lines."""
    return 1 + rng.poisson(mean_lines * np.clip(np.sqrt(z / mean_z), 0.3, 3.0))


def _extras(rng: np.random.Generator, kind: int, country: np.ndarray) -> np.ndarray:
    """Bitmask of the non-product lines each order carries (bit j = NON_PRODUCT_CODES[j])."""
    bits = np.zeros(len(country), dtype=np.int32)
    region = COUNTRY_REGION[country]
    for j, (_, _, by_region, guest_prob) in enumerate(NON_PRODUCT_CODES):
        if kind == GUEST:
            prob = np.full(len(country), guest_prob)
        else:
            prob = np.asarray([by_region[r] for r in _REGIONS])[region]
        bits |= (rng.random(len(country)) < prob).astype(np.int32) << j
    return bits


def _frame(kind: int, n: int, **cols: np.ndarray) -> pl.DataFrame:
    base = {
        "kind": np.full(n, kind, np.int8),
        "cust": np.full(n, -1, np.int32),
        "country": np.zeros(n, np.int16),
        "t": np.zeros(n),
        "z": np.zeros(n),
        "n_lines": np.ones(n, np.int32),
        "extras": np.zeros(n, np.int32),
        "free": np.zeros(n, bool),
        "cancel_lines": np.zeros(n, np.int32),
        "parent": np.full(n, -1, np.int64),
    }
    for name, values in cols.items():
        base[name] = np.asarray(values).astype(base[name].dtype)
    return pl.DataFrame(base)


def build_orders(
    rng: np.random.Generator,
    config: GeneratorConfig,
    timeline: Timeline,
    customers: Customers,
    purchases: Purchases,
) -> pl.DataFrame:
    """Every invoice (purchases, guest orders, cancellations, bad-debt and stock adjustments),
    sorted by time, with invoice number, timestamp and customer strings as written in the CSV.

    Columns: kind, cust, country, minute, z, n_lines, extras, free, cancel_lines, parent_pos,
    child_pos, Invoice, InvoiceDate, Customer ID, Country.
    """
    # purchases of identified customers: Gamma-Gamma order values, basket sizes, dirt flags
    cust, n_p = purchases.customer, len(purchases.customer)
    country = customers.country[cust]
    z = rng.gamma(GAMMA_GAMMA.p, 1.0 / customers.nu[cust])
    k = basket_sizes(rng, z, CUSTOMER_LINES_MEAN, _MEAN_Z)
    # cancellations: a later 'C' invoice of the same customer (none if it would fall after the end)
    parent = np.flatnonzero(rng.random(n_p) < CANCEL_PROB)
    op = timeline.to_op(purchases.t[parent]) + 0.01 + rng.exponential(CANCEL_DELAY_DAYS, len(parent))
    parent, op = parent[op < timeline.op_end], op[op < timeline.op_end]
    cancel_lines = np.zeros(n_p, np.int32)
    cancel_lines[parent] = 1 + rng.poisson(CANCEL_EXTRA_LINES_MEAN, len(parent))
    frames = [
        _frame(
            PURCHASE,
            n_p,
            cust=cust,
            country=country,
            t=purchases.t,
            z=z,
            n_lines=k,
            extras=_extras(rng, PURCHASE, country),
            free=rng.random(n_p) < FREE_LINE_PROB["customer"],
            cancel_lines=cancel_lines,
        ),
        _frame(
            CANCEL, len(parent), cust=cust[parent], country=country[parent], t=timeline.from_op(op), parent=parent
        ),  # parent = row of the purchase frame = its oid below
    ]
    # guest orders: same growth and seasonality, sized to GUEST_LINE_SHARE of the product lines
    guest_lines_per_order = 1 + GUEST_LINES_MEAN * 0.94  # E[clip(sqrt(z/E z))] ~ 0.94 for Gamma(2)
    n_g = int(round(GUEST_LINE_SHARE / (1 - GUEST_LINE_SHARE) * k.sum() / guest_lines_per_order))
    zg = rng.gamma(GUEST_Z_SHAPE, GUEST_Z_MEAN / GUEST_Z_SHAPE, n_g)
    shares = np.asarray([share for _, share, _ in COUNTRIES[1:]])
    g_country = np.where(rng.random(n_g) < GUEST_UK_SHARE, 0, 1 + rng.choice(len(shares), n_g, p=shares / shares.sum()))
    season_growth = timeline.growth(ACQUISITION_GROWTH) * timeline.season
    frames.append(
        _frame(
            GUEST,
            n_g,
            country=g_country,
            t=timeline.sample_times(rng, n_g, season_growth),
            z=zg,
            n_lines=basket_sizes(rng, zg, GUEST_LINES_MEAN, GUEST_Z_MEAN),
            extras=_extras(rng, GUEST, g_country),
            free=rng.random(n_g) < FREE_LINE_PROB["guest"],
        )
    )
    # bad-debt adjustments ('A', a handful) and zero-price stock adjustments of the warehouse
    n_bd = max(3, int(round(BAD_DEBT_PER_YEAR * config.scale * config.n_months / 12)))
    weekdays = np.asarray(WEEKDAY_MULTIPLIERS)[timeline.weekday]
    bd_value = -np.round(rng.lognormal(np.log(10_000.0), 0.8, n_bd), 2)
    frames.append(_frame(BAD_DEBT, n_bd, t=timeline.sample_times(rng, n_bd, weekdays), z=bd_value))
    n_sa = int(round(STOCK_ADJUSTMENT_RATE * (k.sum() + n_g * guest_lines_per_order)))
    frames.append(_frame(STOCK_ADJUSTMENT, n_sa, t=timeline.sample_times(rng, n_sa, season_growth)))

    orders = pl.concat(frames).with_row_index("oid")
    orders = orders.with_columns(minute=pl.Series(to_minutes(orders["t"].to_numpy())))
    return _finish(orders, config, customers)


def _finish(orders: pl.DataFrame, config: GeneratorConfig, customers: Customers) -> pl.DataFrame:
    """Distinct timestamps per customer, time order, invoice numbers and the CSV's strings."""
    i = pl.int_range(pl.len()).over("cust")
    fixed = (
        orders.filter(pl.col("cust") >= 0)
        .sort("cust", "minute", "kind", "oid")
        .select("oid", minute=(pl.col("minute") - i).cum_max().over("cust") + i)
    )
    orders = orders.update(fixed, on="oid").sort("minute", "oid")
    n = orders.height
    position = np.empty(n, np.int64)
    position[orders["oid"].to_numpy()] = np.arange(n)
    parent_oid = orders["parent"].to_numpy()
    parent_pos = np.where(parent_oid >= 0, position[np.maximum(parent_oid, 0)], -1)
    child_pos = np.full(n, -1, np.int64)
    child_pos[parent_pos[parent_pos >= 0]] = np.flatnonzero(parent_pos >= 0)

    first = INVOICE_FIRST if INVOICE_FIRST + n <= 1_000_000 else max(100_000, 1_000_000 - n)
    start = datetime(config.start.year, config.start.month, config.start.day)
    cust = orders["cust"].to_numpy()
    customer_number = pl.Series(np.where(cust >= 0, customers.customer_id[np.maximum(cust, 0)], -1))
    country_name = pl.Series([name for name, *_ in COUNTRIES]).gather(orders["country"])
    kind = pl.col("kind")
    prefix = pl.when(kind == CANCEL).then(pl.lit("C")).when(kind == BAD_DEBT).then(pl.lit("A")).otherwise(pl.lit(""))
    return orders.with_columns(
        parent_pos=pl.Series(parent_pos),
        child_pos=pl.Series(child_pos),
        Invoice=prefix + (pl.int_range(pl.len()) + first).cast(pl.String),
        InvoiceDate=(pl.lit(start) + pl.duration(minutes=pl.col("minute"))).dt.strftime("%Y-%m-%d %H:%M:%S"),
        **{
            "Customer ID": pl.when(pl.col("cust") >= 0).then(customer_number.cast(pl.String) + ".0"),
            "Country": country_name,
        },
    ).drop("oid", "parent", "t")
