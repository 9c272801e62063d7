"""The forecast and reactivation tables of a real run, checked against plain recomputations."""

import duckdb
import numpy as np
import pandas as pd
import pytest

from rfm_assets.core.rows import scalar

pytestmark = pytest.mark.slow

LAST = pd.Timestamp("2010-12-01").date()


@pytest.fixture(scope="module")
def wh(first_run):
    _, path, proc = first_run
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with duckdb.connect(str(path), read_only=True) as con:
        yield con


def test_histories_reconcile_with_the_cleaned_lines(wh):
    lines = wh.execute("select order_date, customer_id, line_revenue from cleaned_transactions").df()
    history = wh.execute(
        "select series, ds, revenue from forecast_revenue_history where snapshot_month = ?", [LAST]
    ).df()
    by_day = history.pivot_table(index="ds", columns="series", values="revenue", aggfunc="sum").fillna(0.0)
    company = lines.groupby("order_date")["line_revenue"].sum()
    customers = lines.dropna(subset=["customer_id"]).groupby("order_date")["line_revenue"].sum()
    np.testing.assert_allclose(by_day["company"].reindex(company.index), company, rtol=1e-9)
    np.testing.assert_allclose(by_day["company_customers"].reindex(customers.index), customers, rtol=1e-9)
    # Every customer line goes to the cluster entering its month, or to 'New or returning': they add up exactly.
    clusters = by_day.drop(columns=["company", "company_customers"]).sum(axis=1)
    np.testing.assert_allclose(clusters, by_day["company_customers"], rtol=1e-9)


def test_every_series_has_24_nested_monthly_forecasts(wh):
    fc = wh.execute("select * from cluster_revenue_forecasts where snapshot_month = ?", [LAST]).df()
    names = {
        r[0]
        for r in wh.execute(
            "select distinct cluster_name from customer_clusters where snapshot_month < ?", [LAST]
        ).fetchall()
    }  # a month's revenue goes to the clusters entering it: those of the months before LAST
    assert set(fc["series"]) <= names | {"New or returning", "company"}
    assert {"New or returning", "company"} <= set(fc["series"])
    expected = list(pd.date_range("2011-01-01", periods=24, freq="MS").date)
    for _, group in fc.groupby("series"):
        assert sorted(pd.to_datetime(group["ds"]).dt.date) == expected
    bounds = fc[["lo_95", "lo_80", "forecast", "hi_80", "hi_95"]].to_numpy()
    assert np.isfinite(bounds).all() and (bounds >= 0).all() and (np.diff(bounds, axis=1) >= -1e-9).all()


def test_backtest_names_one_model_per_series_and_its_skill(wh):
    bt = wh.execute("select * from forecast_backtest_metrics where snapshot_month = ?", [LAST]).df()
    published = wh.execute(
        "select distinct series, model, grain from cluster_revenue_forecasts where snapshot_month = ?", [LAST]
    ).df()
    chosen = bt[bt["chosen"]].set_index("series")
    assert sorted(chosen.index) == sorted(published["series"])
    for _, row in published.iterrows():
        assert (chosen.loc[row["series"], "model"], chosen.loc[row["series"], "grain"]) == (row["model"], row["grain"])
        baseline = bt[(bt["series"] == row["series"]) & bt["is_baseline"]]["mase"].iloc[0]
        assert chosen.loc[row["series"], "skill_vs_baseline"] == pytest.approx(
            1 - chosen.loc[row["series"], "mase"] / baseline
        )
        assert chosen.loc[row["series"], "mase"] <= baseline + 1e-12  # the baseline is a candidate too


def test_dormant_group_is_exactly_who_went_quiet(wh):
    lines = wh.execute("select customer_id, order_date from cleaned_transactions where customer_id is not null").df()
    month = pd.to_datetime(lines["order_date"]).dt.to_period("M")
    last = pd.Period(LAST, "M")
    base = set(lines.loc[(month >= last - 5) & (month <= last - 3), "customer_id"])
    recent = set(lines.loc[month >= last - 2, "customer_id"])
    features = {
        r[0] for r in wh.execute("select customer_id from dormant_features where snapshot_month = ?", [LAST]).fetchall()
    }
    targets = wh.execute("select * from dormant_targets where snapshot_month = ? order by rank", [LAST]).df()
    assert features == base - recent and len(features) > 50
    assert set(targets["customer_id"]) == features
    assert list(targets["rank"]) == list(range(1, len(targets) + 1))
    assert (np.diff(targets["probability"].to_numpy()) <= 1e-12).all()


def test_campaign_list_is_exported_for_email_tools(first_run, wh):
    _, path, _ = first_run
    exported = pd.read_csv(path.parent / "exports" / "dormant_targets_2010-12.csv", dtype={"customer_id": str})
    targets = wh.execute("select * from dormant_targets where snapshot_month = ? order by rank", [LAST]).df()
    selected = targets[targets["selected"]]
    treatment = selected[selected["campaign_group"] == "treatment"]
    assert list(exported["customer_id"]) == list(treatment["customer_id"])  # the control group stays home
    assert list(exported.columns)[:3] == ["customer_id", "rank", "probability"]
    assert len(selected) == -(-len(targets) // 10)  # the default campaign: the best 10%, rounded up
    assert set(selected["campaign_group"]) <= {"treatment", "control"} and targets[
        "campaign_group"
    ].notna().sum() == len(selected)
    for persona, rows in selected.groupby("persona"):  # default RFM_CONTROL_SHARE: 10% of each persona, rounded
        assert abs((rows["campaign_group"] == "control").sum() - 0.1 * len(rows)) <= 0.5, persona


def test_model_comparison_has_every_candidate_and_yardstick(wh):
    metrics = wh.execute("select * from dormant_model_metrics where snapshot_month = ?", [LAST]).df()
    assert set(metrics["model"]) == {
        "random_forest",
        "logit_l1",
        "logit_l2",
        "hist_gradient_boosting",
        "rfm_heuristic",
        "random",
    }
    assert metrics["chosen"].sum() == 1
    assert (metrics["evaluation_anchor"] == pd.Timestamp("2010-09-01")).all()
    kind = scalar(
        wh,
        "select data_type from information_schema.columns where table_name = 'dormant_model_metrics' "
        "and column_name = 'evaluation_anchor'",
    )
    assert kind == "DATE"
    row = metrics.set_index("model").loc["random"]
    assert row["precision_at_k"] == pytest.approx(row["base_rate"])
