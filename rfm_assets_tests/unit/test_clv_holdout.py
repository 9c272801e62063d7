"""CLV calibration/holdout check on simulated BG/NBD data; undefined metrics are NULL, never 0.

Actuals come from lifetimes' own calibration_and_holdout_data on the same lines, never from
rfm_assets.core.clv_holdout.
"""

from datetime import date, timedelta

import dagster as dg
import duckdb
import pandas as pd
import pytest
from lifetimes.utils import calibration_and_holdout_data

from rfm_assets.assets.lifetime_value import _float_or_null
from rfm_assets.core.clv_holdout import holdout_metrics, overall_metrics
from rfm_assets.core.rows import one_row, scalar
from rfm_assets_tests.frames import row_at
from rfm_assets_tests.unit.clv_sim import END, write_lines

MONTH, H = date(2020, 12, 1), 6


def test_holdout_predictions_match_actual_purchases(sim):
    con, _, lines = sim
    result = holdout_metrics(con, MONTH, H)
    assert result.status == "fitted" and result.calibration_end == date(2020, 6, 30)
    m = result.metrics.set_index("frequency_class")
    assert list(m.index) == ["all", "0", "1", "2", "3-5", "6+"]
    overall_row = row_at(m, "all")
    assert abs(overall_row["pct_error"]) < 10
    # independent actuals: lifetimes' calibration/holdout split of the same lines
    tx = lines.dropna(subset=["customer_id"]).assign(date=lambda d: d["invoice_date"].dt.normalize())
    split = calibration_and_holdout_data(
        tx,
        "customer_id",
        "date",
        calibration_period_end=pd.Timestamp("2020-06-30"),
        observation_period_end=pd.Timestamp(END),
        freq="D",
    )
    assert m.loc["all", "customers"] == len(split) < tx["customer_id"].nunique()  # newcomers excluded
    assert m.loc["all", "actual_purchases"] == split["frequency_holdout"].sum()
    assert m.loc["6+", "actual_purchases"] == split.loc[split["frequency_cal"] >= 6, "frequency_holdout"].sum()
    assert result.holdout_weeks == pytest.approx(184 / 7)
    assert overall_row["correlation"] > 0.5 and m["customers"].iloc[1:].sum() == m.loc["all", "customers"]
    plot = result.by_frequency
    assert list(plot["calibration_frequency"]) == list(range(11)) and plot["customers"].sum() == len(split)


def test_holdout_reads_nothing_after_the_month(sim):
    _, _, lines = sim
    con = duckdb.connect()
    write_lines(con, lines)
    before = holdout_metrics(con, MONTH, H)
    later = lines.assign(invoice_date=lines["invoice_date"] + timedelta(days=40))
    write_lines(con, later[later["invoice_date"] > pd.Timestamp("2021-01-01")], first_row=10**7)
    assert scalar(con, "select max(order_date) from cleaned_transactions") > date(2021, 1, 1)
    after = holdout_metrics(con, MONTH, H)
    pd.testing.assert_frame_equal(before.metrics, after.metrics)
    pd.testing.assert_frame_equal(before.by_frequency, after.by_frequency)
    assert before.fit.bg_params == after.fit.bg_params


def test_holdout_too_early_reports_insufficient_history(sim):
    result = holdout_metrics(sim[0], date(2019, 7, 1), 6)
    assert result.status == "insufficient_history" and "2019-01-31" in result.message
    assert result.metrics.empty and result.by_frequency.empty


def test_holdout_without_later_purchases_gives_nulls_and_documented_types(sim):
    _, _, lines = sim
    con = duckdb.connect()
    write_lines(con, lines[lines["invoice_date"] < pd.Timestamp("2020-07-01")])  # data ends at calibration
    result = holdout_metrics(con, MONTH, H)
    assert result.status == "fitted" and (result.metrics["actual_purchases"] == 0).all()
    con.register("metrics", result.metrics)
    types = {r[0]: r[1] for r in con.execute("describe metrics").fetchall()}
    assert types == {
        "snapshot_month": "DATE",
        "calibration_end": "DATE",
        "holdout_months": "INTEGER",
        "frequency_class": "VARCHAR",
        "customers": "BIGINT",
        "predicted_purchases": "DOUBLE",
        "actual_purchases": "DOUBLE",
        "pct_error": "DOUBLE",
        "mae": "DOUBLE",
        "correlation": "DOUBLE",
        "predicted_purchases_seasonal": "DOUBLE",
        "pct_error_seasonal": "DOUBLE",
        "mae_seasonal": "DOUBLE",
    }
    nulls = one_row(
        con,
        "select count(*) filter (pct_error is null), count(*) filter (correlation is null), "
        "count(*) filter (mae is null), count(*) filter (pct_error_seasonal is null), "
        "count(*) filter (mae_seasonal is null) from metrics",
    )
    assert nulls == (6, 6, 0, 6, 0)
    overall = overall_metrics(result)  # what the asset's metadata shows: it raised here (float(NA))
    total = result.metrics.set_index("frequency_class").loc["all"]
    assert overall["aggregate_pct_error"] is None and overall["per_customer_correlation"] is None
    assert overall["per_customer_mae"] == pytest.approx(total["predicted_purchases"] / total["customers"])
    assert _float_or_null(None) == dg.MetadataValue.null()
    mae = overall["per_customer_mae"]
    assert mae is not None and _float_or_null(mae) == dg.MetadataValue.float(mae)


def test_overall_metrics_of_an_early_month_are_all_undefined(sim):
    result = holdout_metrics(sim[0], date(2019, 7, 1), 6)
    assert result.status == "insufficient_history"
    assert overall_metrics(result) == {
        "aggregate_pct_error": None,
        "per_customer_mae": None,
        "per_customer_correlation": None,
        "aggregate_pct_error_seasonal": None,
        "per_customer_mae_seasonal": None,
    }
