"""A young, fast-growing B2C shop as a generic-format Parquet file (deterministic, vectorized numpy).

Shape: customers are acquired at an accelerating rate (month m gets a share proportional to
exp(ACCELERATION * m / n_months): ~0.1% of all customers in the first month, ~55x that in the
last), so revenue ramps up as customers accumulate. Every customer orders on their acquisition day;
the remaining orders go to customers in proportion to a gamma-distributed purchase rate times the
days they have left, at days that thin out after acquisition. An order has 1-4 lines (1.5 on
average, B2C); line amounts are lognormal (median ~30), in cents.

Columns: ``cust`` (text), ``dt`` (timestamp), ``amt`` (double), ``oid`` (text). Read it with::

    RFM_SOURCE_FORMAT=generic RFM_COLUMNS=customer_id=cust,order_date=dt,amount=amt[,order_id=oid]

The big one (3M lines, 250k customers, 36 months) takes a few seconds::

    python -m rfm_assets_tests.sources.growing_shop --out /tmp/grow/shop.parquet --lines 3M --customers 250k
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ACCELERATION = 5.0  # log of the ratio between the last and the first month's acquisitions
LINES_PER_ORDER = 1.5
MAPPING = "customer_id=cust,order_date=dt,amount=amt"


def write_growing_shop(
    path: Path,
    n_lines: int,
    n_customers: int,
    n_months: int = 36,
    start: str = "2019-01",
    seed: int = 0,
    acceleration: float = ACCELERATION,
) -> Path:
    """Write ``n_lines`` order lines of ``n_customers`` customers over ``n_months`` months from ``start``.

    ``acceleration``: log of the ratio of the last month's acquisitions to the first's (steeper: larger).
    """
    if n_customers < 1 or n_months < 1 or n_lines < n_customers:
        raise ValueError(
            f"need n_customers >= 1, n_months >= 1 and n_lines >= n_customers "
            f"(every customer orders once); got {n_lines=}, {n_customers=}, {n_months=}"
        )
    rng = np.random.default_rng(seed)
    first = np.datetime64(start, "M")
    month_starts = (first + np.arange(n_months + 1)).astype("datetime64[D]")
    end_day = month_starts[-1]  # exclusive
    # customers: acquisition month (accelerating), day within it
    weight = np.exp(acceleration * np.arange(n_months) / n_months)
    acq_month = np.sort(rng.choice(n_months, size=n_customers, p=weight / weight.sum()))
    month_len = (month_starts[1:] - month_starts[:-1]).astype(int)
    acq_day = month_starts[acq_month] + (rng.random(n_customers) * month_len[acq_month]).astype(int)
    left = (end_day - acq_day).astype(int)  # days from acquisition to the end, >= 1
    # orders: one at acquisition, the rest by purchase rate x time left
    n_orders = min(n_lines, max(n_customers, round(n_lines / LINES_PER_ORDER)))
    rate = rng.gamma(0.8, 1.0, n_customers) * left
    extra = rng.choice(n_customers, size=n_orders - n_customers, p=rate / rate.sum())
    order_cust = np.concatenate([np.arange(n_customers), extra])
    offset = np.zeros(n_orders, dtype=np.int64)
    offset[n_customers:] = (rng.random(n_orders - n_customers) ** 1.5 * left[extra]).astype(np.int64)
    order_day = acq_day[order_cust] + offset
    # lines: every order has one, the remaining lines land on random orders
    per_order = 1 + np.bincount(rng.integers(0, n_orders, n_lines - n_orders), minlength=n_orders)
    line_order = np.repeat(np.arange(n_orders), per_order)
    seconds = rng.integers(8 * 3600, 22 * 3600, n_orders)  # one time of day per order
    ts = order_day[line_order].astype("datetime64[s]") + seconds[line_order]
    amount = np.round(np.exp(rng.normal(np.log(30.0), 0.8, n_lines)), 2)
    order_sorted = np.argsort(ts, kind="stable")
    width = len(str(n_customers))
    cust = np.char.add("c", np.char.zfill(order_cust[line_order].astype(str), width))
    table = pa.table(
        {
            "cust": pa.array(cust[order_sorted]),
            "dt": pa.array(ts[order_sorted]),
            "amt": pa.array(amount[order_sorted]),
            "oid": pa.array(np.char.add("o", line_order[order_sorted].astype(str))),
        }
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return path


def _count(text: str) -> int:
    """'3M' -> 3_000_000, '250k' -> 250_000, '1200' -> 1200."""
    units = {"k": 1_000, "m": 1_000_000}
    text = text.strip().lower().replace("_", "")
    return round(float(text[:-1]) * units[text[-1]]) if text[-1:] in units else int(text)


def main(argv: list[str] | None = None) -> None:
    """CLI: write a growing shop and print where and how to read it."""
    ap = argparse.ArgumentParser(description=(__doc__ or "growing shop").split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="the Parquet file to write")
    ap.add_argument("--lines", type=_count, default=3_000_000, help="order lines, e.g. 3M")
    ap.add_argument("--customers", type=_count, default=250_000, help="customers, e.g. 250k")
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--start", default="2019-01", help="first month, YYYY-MM")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--acceleration",
        type=float,
        default=ACCELERATION,
        help="log of last/first month's acquisitions (default %(default)s)",
    )
    a = ap.parse_args(argv)
    out = write_growing_shop(a.out, a.lines, a.customers, a.months, a.start, a.seed, a.acceleration)
    print(
        f"wrote {out}: {a.lines} lines, {a.customers} customers, {a.months} months from {a.start}\n"
        f"RFM_SOURCE={out} RFM_SOURCE_FORMAT=generic RFM_COLUMNS={MAPPING}"
    )


if __name__ == "__main__":
    main()
