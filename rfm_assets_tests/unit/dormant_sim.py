"""Simulated shops where the answer of the dormant-customer model is known by construction.

Each customer has an active phase: a first order in a random month, then n orders (n = 1 +
Poisson(1.5)) with gaps of 0-2 months, so they are never dormant inside it. After the last order
(month L) every month brings a return with a constant hazard h, chosen so that the probability of
returning within any 3 months is exactly q = sigmoid(B0 + B1 * (n - 1)) (signal), or a constant
q = NO_SIGNAL_Q (no signal). A returned customer then orders every month to the end.

Why the label has a known link: the customer is in the target group of anchor A only for
A in {L+3, L+4, L+5} and only while no return happened; at every such anchor their frequency is n
and, the hazard being memoryless, P(buy in A+1..A+3) = q whatever A. With NO_SIGNAL_Q the label is
independent of every feature.
"""

from __future__ import annotations

from datetime import date, datetime, time

import numpy as np
import pandas as pd

from rfm_assets.core.months import add_months
from rfm_assets.core.sqlfiles import load_sidecar

FIRST = date(2010, 1, 1)
N_MONTHS = 24
B0, B1 = -3.3, 0.8
NO_SIGNAL_Q = 0.13
COUNTRIES = ["United Kingdom", "Germany", "France", "EIRE", "Spain", "Netherlands", "Belgium", "Portugal"]
COUNTRY_P = [0.62, 0.1, 0.08, 0.06, 0.05, 0.04, 0.03, 0.02]
COLUMNS = list(load_sidecar("cleaned_transactions").columns)  # the table the simulation stands in for


def repurchase_q(n_orders: np.ndarray, signal: bool) -> np.ndarray:
    """P(an order within 3 months) of a dormant customer with ``n_orders`` past orders."""
    if not signal:
        return np.full(len(n_orders), NO_SIGNAL_Q)
    return 1.0 / (1.0 + np.exp(-(B0 + B1 * (np.asarray(n_orders) - 1))))


def simulate(n_customers: int, *, signal: bool, seed: int = 0) -> pd.DataFrame:
    """cleaned_transactions rows (24 months from FIRST) of ``n_customers`` customers plus a few guests."""
    rng = np.random.default_rng(seed)
    orders: list[tuple[str | None, int, str]] = []  # (customer_id or None for a guest, month index, country)
    n_orders = 1 + rng.poisson(1.5, n_customers)
    hazard = 1.0 - (1.0 - repurchase_q(n_orders, signal)) ** (1 / 3)
    for i in range(n_customers):
        cid, country = f"C{i:05d}", str(rng.choice(COUNTRIES, p=COUNTRY_P))
        month = int(rng.integers(0, 21))
        for j in range(n_orders[i]):
            month += int(rng.integers(0, 3)) if j else 0
            if month < N_MONTHS:
                orders.append((cid, month, country))
        last = min(month, N_MONTHS - 1)
        for m in range(last + 1, N_MONTHS):  # dormant until a return, then active every month
            if rng.random() < hazard[i]:
                orders.extend((cid, mm, country) for mm in range(m, N_MONTHS))
                break
    orders.extend((None, int(rng.integers(0, N_MONTHS)), "United Kingdom") for _ in range(50))
    rows = []
    for k, (cid, m, country) in enumerate(orders):
        month = add_months(FIRST, m)
        day = datetime.combine(date(month.year, month.month, int(rng.integers(1, 29))), time(12))
        for _ in range(int(rng.integers(1, 4))):
            qty, price = int(rng.integers(1, 13)), round(float(rng.lognormal(1.0, 0.6)), 2)
            stock = f"S{int(rng.integers(0, 60)):03d}"
            rows.append(
                (
                    month,
                    f"O{k:07d}",
                    f"O{k:07d}",
                    stock,
                    f"item {stock}",
                    float(qty),
                    price,
                    qty * price,
                    day,
                    day.date(),
                    cid,
                    country,
                    "sim.csv",
                    len(rows) + 1,
                )
            )
    return pd.DataFrame(rows, columns=COLUMNS)


def write_transactions(con, frame: pd.DataFrame) -> None:
    """Replace cleaned_transactions with ``frame`` (typed like the warehouse table)."""
    con.register("sim_frame", frame)
    con.execute("""create or replace table cleaned_transactions as select
        snapshot_month::date as snapshot_month, order_id::varchar as order_id, invoice::varchar as invoice,
        stock_code::varchar as stock_code, description::varchar as description, quantity::double as quantity,
        unit_price::double as unit_price, line_revenue::double as line_revenue,
        invoice_date::timestamp as invoice_date, order_date::date as order_date,
        customer_id::varchar as customer_id, country::varchar as country, source_file::varchar as source_file,
        source_row::bigint as source_row from sim_frame""")
    con.unregister("sim_frame")
