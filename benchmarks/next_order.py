"""Does BG/NBD's expected next-order date beat "last order + mean gap"? And is p_order_90d calibrated?

    .venv/bin/python -m benchmarks.next_order --warehouse /tmp/h6/w.duckdb --snapshot 2010-12

Reads only ``cleaned_transactions`` of a built warehouse (the default data: ``rfm-assets run``).
For each snapshot month S: BG/NBD + Gamma-Gamma are fitted on every customer's history up to the last
day of S (exactly as ``customer_lifetime_value`` does), and each customer's ``expected_next_order_date``
and ``p_order_90d`` are computed (core/clv_next_order). What happened after S comes from the same
table: the first purchase day after S (the realized next order) and whether one fell within 90 days.

- MAE (days), on the customers who did order again before the data ends, with at least two purchase
  days by S (so the mean gap exists): predicted vs realized, and the naive rule "last purchase day +
  mean gap between purchase days", as is and clipped to the day after S (a naive date already past
  cannot be the next order). The model's MAE on every re-ordering customer (one-time buyers too).
- Calibration of p_order_90d by decile of the prediction: mean predicted vs share that ordered.

Caveat printed with the result: "who did order again" keeps only the orders seen before the data ends
(a 12-month window for S = 2010-12 on the 24-month default data), which favours short predictions.
"""

from __future__ import annotations

import argparse
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from rfm_assets.core import clv
from rfm_assets.core.clv_next_order import next_order_columns
from rfm_assets.core.months import month_end, month_start


def evaluate(con: duckdb.DuckDBPyConnection, snapshot: date) -> dict:
    """MAE table and decile calibration table for one snapshot month."""
    as_of = month_end(snapshot)
    summary = clv.clv_summary(con, as_of)
    fit = clv.fit_clv(summary)
    if fit.status != "fitted":
        raise SystemExit(f"{snapshot:%Y-%m}: CLV not fitted ({fit.status}): {fit.message}")
    scores = clv.score_customers(fit, summary)
    scores = scores.join(next_order_columns(fit.bg_params, scores, as_of))
    scores["last_purchase_date"] = pd.to_datetime(summary["last_purchase_date"]).to_numpy()
    scores["first_purchase_date"] = pd.to_datetime(summary["first_purchase_date"]).to_numpy()
    after = con.execute(
        "select customer_id, min(order_date) as next_date, max(order_date) as data_end_c from cleaned_transactions "
        "where customer_id is not null and order_date > ? group by customer_id",
        [as_of],
    ).df()
    data_end = con.execute("select max(order_date) from cleaned_transactions").fetchall()[0][0]
    frame = scores.merge(after, on="customer_id", how="left")
    frame["next_date"] = pd.to_datetime(frame["next_date"])
    cut = pd.Timestamp(as_of)
    frame["ordered_90d"] = frame["next_date"] <= cut + pd.Timedelta(days=90)

    again = frame[frame["next_date"].notna()].copy()
    realized = again["next_date"]
    model_err = (again["expected_next_order_date"] - realized).dt.days.abs()
    repeat = again[again["frequency"] >= 1].copy()
    gap_days = (repeat["last_purchase_date"] - repeat["first_purchase_date"]).dt.days / repeat["frequency"]
    naive = repeat["last_purchase_date"] + pd.to_timedelta(np.round(gap_days), unit="D")
    naive_clipped = naive.clip(lower=cut + pd.Timedelta(days=1))
    rows = [
        ("model, every re-ordering customer", len(again), model_err.mean(), model_err.median()),
        ("model, >= 2 purchase days", len(repeat), model_err[repeat.index].mean(), model_err[repeat.index].median()),
        ("naive last + mean gap", len(repeat), (naive - repeat["next_date"]).dt.days.abs().mean(), np.nan),
        (
            "naive, clipped to S + 1 day",
            len(repeat),
            (naive_clipped - repeat["next_date"]).dt.days.abs().mean(),
            np.nan,
        ),
    ]
    mae = pd.DataFrame(rows, columns=["predictor", "customers", "mae_days", "median_abs_err_days"])
    mae.loc[2, "median_abs_err_days"] = (naive - repeat["next_date"]).dt.days.abs().median()
    mae.loc[3, "median_abs_err_days"] = (naive_clipped - repeat["next_date"]).dt.days.abs().median()

    deciles = pd.qcut(frame["p_order_90d"].rank(method="first"), 10, labels=range(1, 11))
    calib = (
        frame.groupby(deciles, observed=True)
        .agg(
            customers=("p_order_90d", "size"), mean_p_order_90d=("p_order_90d", "mean"), ordered=("ordered_90d", "mean")
        )
        .reset_index(names="decile")
    )
    return {
        "snapshot": snapshot,
        "as_of": as_of,
        "data_end": data_end,
        "window_days": (data_end - as_of).days if data_end else 0,
        "mae": mae,
        "calibration": calib,
        "no_date": int(frame["expected_next_order_date"].isna().sum()),
        "brier": float(((frame["p_order_90d"] - frame["ordered_90d"]) ** 2).mean()),
        "expected_vs_actual_90d": (float(frame["p_order_90d"].sum()), int(frame["ordered_90d"].sum())),
        "customers": len(frame),
    }


def report(result: dict) -> str:
    expected, actual = result["expected_vs_actual_90d"]
    return "\n".join(
        [
            f"## Snapshot {result['snapshot']:%Y-%m} (as of {result['as_of']}; orders seen until {result['data_end']},"
            f" {result['window_days']} days)",
            "",
            result["mae"].round(1).to_markdown(index=False),
            "",
            f"p_order_90d over {result['customers']} customers: expected {expected:.0f} buyers, actual {actual};"
            f" Brier {result['brier']:.4f}; customers without a date (median > 100 years): {result['no_date']}",
            "",
            result["calibration"].round(3).to_markdown(index=False),
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--warehouse", required=True, help="a built warehouse (cleaned_transactions)")
    parser.add_argument("--snapshot", nargs="+", default=["2010-12"], help="snapshot month(s), YYYY-MM")
    args = parser.parse_args(argv)
    with duckdb.connect(args.warehouse, read_only=True) as con:
        for text in args.snapshot:
            print(report(evaluate(con, month_start(text))))


if __name__ == "__main__":
    main()
