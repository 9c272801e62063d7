"""Purchases simulated from known BG/NBD and Gamma-Gamma parameters, written as cleaned_transactions lines
(test_clv.py, test_clv_holdout.py). Time unit: weeks (days / 7)."""

from datetime import date

import numpy as np
import pandas as pd
from lifetimes.utils import summary_data_from_transaction_data

from rfm_assets.core.sqlfiles import load_sidecar

TRUE_BG = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}  # rates per week
TRUE_GG = {"p": 6.0, "q": 4.0, "v": 150.0}  # mean spend per purchase day p*v/(q-1) = 300
START, END = date(2019, 1, 1), date(2020, 12, 31)
COLUMNS = list(load_sidecar("cleaned_transactions").columns)  # the table the simulation stands in for


def simulate_days(n, seed, start=START, end=END, start_share=0.85):
    """(customer, day, value) purchase days: BG/NBD purchases, Gamma-Gamma spend, staggered first day."""
    rng = np.random.default_rng(seed)
    n_days = (end - start).days + 1
    first = rng.integers(0, int(n_days * start_share), n)
    lam = rng.gamma(TRUE_BG["r"], 1 / TRUE_BG["alpha"], n)
    drop = rng.beta(TRUE_BG["a"], TRUE_BG["b"], n)
    nu = rng.gamma(TRUE_GG["q"], 1 / TRUE_GG["v"], n)
    cust, day = [np.arange(n)], [first]
    t, active = np.zeros(n), np.arange(n)
    while active.size:  # a purchase after each exponential gap, then death with probability `drop`
        t[active] += rng.exponential(1 / lam[active])
        active = active[first[active] + t[active] * 7 < n_days]
        cust.append(active)
        day.append(first[active] + np.floor(t[active] * 7).astype(int))
        active = active[rng.random(active.size) >= drop[active]]
    days = pd.DataFrame({"customer": np.concatenate(cust), "day": np.concatenate(day)}).drop_duplicates()
    days["value"] = rng.gamma(TRUE_GG["p"], 1 / nu[days["customer"].to_numpy()])
    return days.reset_index(drop=True)


def to_lines(days, seed=1):
    """Each purchase day as 1-3 lines (value split at random, 2 orders on some days) plus guest lines."""
    rng = np.random.default_rng(seed)
    parts = rng.integers(1, 4, len(days))
    row = np.repeat(np.arange(len(days)), parts)
    k = np.arange(len(row)) - np.repeat(np.cumsum(parts) - parts, parts)
    share = rng.random(len(row)) + 0.1
    share = share / np.bincount(row, weights=share)[row]
    rep = days.iloc[row].reset_index(drop=True)
    lines = pd.DataFrame(
        {
            "order_id": [f"o{c}-{d}-{i % 2}" for c, d, i in zip(rep["customer"], rep["day"], k, strict=True)],
            "line_revenue": rep["value"].to_numpy() * share,
            "invoice_date": pd.Timestamp(START) + pd.to_timedelta(rep["day"], unit="D") + pd.Timedelta(hours=10),
            "customer_id": "c" + rep["customer"].astype(str),
        }
    )
    guests = lines.sample(200, random_state=seed).assign(customer_id=None, line_revenue=1e6)
    return pd.concat([lines, guests], ignore_index=True)


def write_lines(con, lines, first_row=1):
    """Append ``lines`` to cleaned_transactions with the warehouse's column set."""
    frame = lines.assign(
        order_date=lines["invoice_date"].dt.normalize(),
        snapshot_month=lines["invoice_date"].dt.to_period("M").dt.start_time,
        invoice=lines["order_id"],
        stock_code="X1",
        description="item",
        quantity=1.0,
        unit_price=lines["line_revenue"],
        country="UK",
        source_file="sim.csv",
        source_row=np.arange(first_row, first_row + len(lines)),
    )[COLUMNS]
    con.execute("""create table if not exists cleaned_transactions (snapshot_month date, order_id varchar,
        invoice varchar, stock_code varchar, description varchar, quantity double, unit_price double,
        line_revenue double, invoice_date timestamp, order_date date, customer_id varchar, country varchar,
        source_file varchar, source_row bigint)""")
    con.register("new_lines", frame)
    con.execute("insert into cleaned_transactions select * from new_lines")
    con.unregister("new_lines")


def rel(x, y):
    return abs(x - y) / abs(y)


def summary_from_days(days, end=END):
    """lifetimes' summary_data_from_transaction_data (freq='D') of simulated purchase days, in weeks."""
    tx = days.assign(date=pd.Timestamp(START) + pd.to_timedelta(days["day"], unit="D"))
    tx = tx[tx["date"] <= pd.Timestamp(end)]
    out = summary_data_from_transaction_data(
        tx, "customer", "date", monetary_value_col="value", observation_period_end=pd.Timestamp(end), freq="D"
    )
    return out.assign(recency=out["recency"] / 7, T=out["T"] / 7)
