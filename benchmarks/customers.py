"""Customer scale: the steps whose cost follows customers, at 100k to 1M customers.

    .venv/bin/python -m benchmarks.customers --customers 100k 300k 1M

The line-scale runs (``benchmarks.run``) reach 107k customers at 10M lines: the generator's
customers buy like wholesalers (~100 lines each over 36 months), so a million of them would be
~100M lines. Here the generator's own customers (acquisition, BG/NBD purchases, Gamma-Gamma spend:
``rfm_assets.core.generator.customers``) are written as ONE line per purchase straight into a
warehouse's ``cleaned_transactions`` (36 months), and for the last month the customer-bound steps
are timed in this process, with the agreement checks of the line-scale run:
the RFM snapshot vs its one-query floor (tables must be equal), the CLV summary + weighted fit +
scoring vs an unweighted lifetimes fit of the same rows (parameters within 1e-3), KMeans clusters,
and the dormant model (no CLV features here). Results go to ``benchmarks/results/customers.json``
and a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.dataset import REPO
from benchmarks.run import parse_lines
from rfm_assets.core.rows import scalar

MONTHS, START = 36, date(2010, 1, 1)


def build_warehouse(path: Path, n_customers: int, seed: int = 42) -> dict[str, Any]:
    """``cleaned_transactions`` (one line per purchase) and an empty ``customer_returns``."""
    import duckdb

    from rfm_assets.core.generator.customers import draw_customers, simulate_purchases
    from rfm_assets.core.generator.params import COUNTRIES, GAMMA_GAMMA
    from rfm_assets.core.generator.timeline import build_timeline

    rng = np.random.default_rng(seed)
    timeline = build_timeline(START, MONTHS)
    customers = draw_customers(rng, n_customers, timeline)
    bought = simulate_purchases(rng, customers, timeline)
    value = np.round(rng.gamma(GAMMA_GAMMA.p, 1.0 / customers.nu[bought.customer]), 2)
    keep = value > 0
    who, t, value = bought.customer[keep], bought.t[keep], value[keep]
    stamp = np.datetime64(START, "s") + (t * 86_400).astype("timedelta64[s]")
    lines = pd.DataFrame(
        {
            "order_id": np.char.add("S", np.arange(len(who)).astype(str)),
            "stock_code": np.char.add("P", rng.integers(0, 300, len(who)).astype(str)),
            "quantity": 1.0,
            "line_revenue": value,
            "invoice_date": stamp,
            "customer_id": customers.customer_id[who].astype(str),
            "country": np.asarray([c[0] for c in COUNTRIES])[customers.country[who]],
        }
    )
    with duckdb.connect(str(path)) as con:
        con.register("lines", lines)
        con.execute("""
            create table cleaned_transactions as
            select date_trunc('month', invoice_date)::date as snapshot_month, order_id, order_id as invoice,
                   stock_code, stock_code as description, quantity, line_revenue as unit_price, line_revenue,
                   invoice_date, invoice_date::date as order_date, customer_id, country,
                   'simulated' as source_file, row_number() over () as source_row
            from lines order by invoice_date""")
        con.execute(
            "create table customer_returns (snapshot_month date, customer_id varchar, "
            "return_invoices bigint, returned_lines bigint, returned_value double)"
        )
    return {"customers": n_customers, "lines": len(lines)}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(warehouse: Path, n_customers: int) -> dict[str, Any]:
    """Time the customer-bound steps for the last month; check agreement; returns the record."""
    import duckdb

    from benchmarks.baseline import weighting
    from benchmarks.floor import RFM_FLOOR_SQL
    from benchmarks.project import settle
    from rfm_assets.core import clusters, clv, dormant, rfm
    from rfm_assets.core.months import add_months, month_end

    month = add_months(START, MONTHS - 1)
    segments = rfm.segment_map(rfm.load_segment_rules())
    seconds: dict[str, float] = {}

    def timed(name: str, fn: Any) -> Any:
        started = time.perf_counter()
        out = fn()
        seconds[name] = time.perf_counter() - started
        return out

    def write(name: str, fn: Any) -> None:  # a warehouse write: the close and the deferred checkpoint count
        def run() -> None:
            con = duckdb.connect(str(warehouse))
            fn(con)
            con.close()
            settle(str(warehouse))

        timed(name, run)

    params = {"month": month, "as_of": month_end(month), "window_start": add_months(month, -11)}
    for _ in range(2):  # the second round is reported: the first warms the page cache for both
        write("rfm_snapshot", lambda con: rfm.build_rfm_snapshot(con, month, 12, segments))
        write(
            "floor_rfm",
            lambda con: (con.register("segment_map", segments.to_arrow()), con.execute(RFM_FLOOR_SQL, params)),
        )
    with duckdb.connect(str(warehouse)) as con:
        cols = (
            "customer_id, recency_days, frequency, monetary, tenure_days, avg_order_value, returned_value, "
            "r_score, f_score, m_score, fm_score, rfm_cell, rfm_segment, first_purchase_date, last_purchase_date"
        )
        differ = scalar(
            con,
            f"select count(*) from ((select {cols} from rfm_snapshots where snapshot_month = ? "
            f"except all select {cols} from bench_floor_rfm) union all (select {cols} from "
            f"bench_floor_rfm except all select {cols} from rfm_snapshots where snapshot_month = ?))",
            [month, month],
        )
        rfm_rows = scalar(con, "select count(*) from bench_floor_rfm")
        summary = timed("clv_summary", lambda: clv.clv_summary(con, month_end(month)))
        fit = timed("clv_fit_weighted", lambda: clv.fit_clv(summary))
        timed("clv_score", lambda: clv.score_customers(fit, summary))
        snapshot = con.execute("select * from rfm_snapshots where snapshot_month = ?", [month]).pl()
        found = timed("clusters", lambda: clusters.fit_clusters(snapshot))
        result = timed("dormant_model", lambda: dormant.run_dormant(con, month))
    weights = weighting({"warehouse": str(warehouse), "month": month.isoformat()})
    seconds["bg_nbd_unweighted_lifetimes"] = weights["lap_bg_unweighted"]
    seconds["bg_nbd_weighted_lifetimes"] = weights["lap_bg_weighted"]
    return {
        "customers": n_customers,
        "month": month.isoformat(),
        "rfm_rows": int(rfm_rows),
        "clv_customers": len(summary),
        "bg_patterns": weights["patterns"],
        "clusters_k": found.k,
        "dormant_status": result.status,
        "dormant_message": result.message,
        "seconds": seconds,
        "peak_rss_mb": _peak_mb(),
        "agreement": {
            "rfm_rows_differing_from_floor": int(differ),
            "bg_weighted_vs_unweighted_max_rel_diff": weights["bg_max_rel_diff"],
        },
    }


def table(records: list[dict[str, Any]]) -> str:
    """Markdown: one column per customer count."""
    names = list(records[0]["seconds"])
    head = "| seconds | " + " | ".join(f"{r['customers']:,} customers ({r['lines']:,} lines)" for r in records) + " |"
    rows = [head, "| --- |" + " ---: |" * len(records)]
    rows += [f"| {n} | " + " | ".join(f"{r['seconds'][n]:.2f}" for r in records) + " |" for n in names]
    rows.append(
        "| RFM snapshot / floor | "
        + " | ".join(f"{r['seconds']['rfm_snapshot'] / r['seconds']['floor_rfm']:.2f}x" for r in records)
        + " |"
    )
    rows.append(
        "| unweighted / weighted BG/NBD fit | "
        + " | ".join(
            f"{r['seconds']['bg_nbd_unweighted_lifetimes'] / r['seconds']['bg_nbd_weighted_lifetimes']:.2f}x"
            for r in records
        )
        + " |"
    )
    rows.append("| peak RSS MB (process so far) | " + " | ".join(f"{r['peak_rss_mb']:.0f}" for r in records) + " |")
    rows.append(
        "| agreement: RFM rows differing from the floor; BG/NBD max rel diff | "
        + " | ".join(
            f"{r['agreement']['rfm_rows_differing_from_floor']}; "
            f"{r['agreement']['bg_weighted_vs_unweighted_max_rel_diff']:.1e}"
            for r in records
        )
        + " |"
    )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.customers", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--customers", nargs="+", default=["100k", "300k", "1M"])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "customers.json")
    args = parser.parse_args(argv)
    records = []
    for text in args.customers:
        n = parse_lines(text)
        with tempfile.TemporaryDirectory() as tmp:
            warehouse = Path(tmp) / "customers.duckdb"
            started = time.perf_counter()
            built = build_warehouse(warehouse, n)
            print(
                f"{n:,} customers: {built['lines']:,} lines built in {time.perf_counter() - started:.0f} s", flush=True
            )
            records.append({**built, **measure(warehouse, n)})
    bad = [
        r
        for r in records
        if r["agreement"]["rfm_rows_differing_from_floor"]
        or r["agreement"]["bg_weighted_vs_unweighted_max_rel_diff"] > 1e-3
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "command": "python -m benchmarks.customers " + " ".join(argv if argv is not None else sys.argv[1:]),
                "records": records,
            },
            indent=1,
            default=str,
        )
    )
    print(table(records))
    for r in bad:
        print(f"FAILED agreement at {r['customers']:,} customers: {r['agreement']}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
