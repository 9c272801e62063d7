"""benchmarks.next_order on a simulated BG/NBD history (rfm_assets_tests/unit/clv_sim): the tables it
reports are counted again here from the simulated purchase days, independently of the script."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd

from benchmarks.next_order import evaluate, report
from rfm_assets_tests.unit.clv_sim import START, simulate_days, to_lines, write_lines

SNAPSHOT = date(2019, 12, 1)


def test_next_order_benchmark_counts_and_naive_rule(tmp_path) -> None:
    days = simulate_days(3000, seed=21)
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_lines(con, to_lines(days))
    result = evaluate(con, SNAPSHOT)
    as_of = (pd.Timestamp(2019, 12, 31) - pd.Timestamp(START)).days
    before, after = days[days["day"] <= as_of], days[days["day"] > as_of]
    again = set(before["customer"]) & set(after["customer"])
    repeat = before.groupby("customer")["day"].agg(["min", "max", "count"])
    repeat = repeat[(repeat["count"] >= 2) & repeat.index.isin(list(again))]
    mae = result["mae"].set_index("predictor")
    assert mae.loc["model, every re-ordering customer", "customers"] == len(again)
    assert mae.loc["naive last + mean gap", "customers"] == len(repeat)
    # naive rule by hand: last day + round((last - first) / (count - 1)) vs the first day after the snapshot
    nxt = after.groupby("customer")["day"].min().loc[repeat.index]
    naive = repeat["max"] + np.round((repeat["max"] - repeat["min"]) / (repeat["count"] - 1))
    assert mae.loc["naive last + mean gap", "mae_days"] == np.abs(naive - nxt).mean()
    calib = result["calibration"]
    assert len(calib) == 10 and calib["customers"].sum() == before["customer"].nunique()
    ordered = after[(after["day"] <= as_of + 90) & after["customer"].isin(before["customer"])]["customer"].nunique()
    assert result["expected_vs_actual_90d"][1] == ordered
    assert "## Snapshot 2019-12" in report(result)
