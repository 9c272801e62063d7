"""A deliberately broken month (every price x10 in the source for June 2010) fails the warn-level
revenue drift check with a readable description, while the run, the blocking checks and the
downstream assets go on; the check of an earlier month never looks at the broken one."""

from datetime import date

import dagster as dg
import polars as pl
import pytest

from rfm_assets.core.drift import TRAILING_MONTHS
from rfm_assets.core.drift_history import evaluate
from rfm_assets_tests.assets.helpers import materialize
from rfm_assets_tests.conftest import make_resources

MONTHS = [f"2010-{m:02d}" for m in range(1, 7)]
INGESTION = ["raw_orders", "quarantined_lines", "cleaned_transactions"]


@pytest.fixture(scope="module")
def tampered(tmp_path_factory, small_dataset):
    """The small dataset with every June 2010 price multiplied by 10, ingested for January to June."""
    base = tmp_path_factory.mktemp("tampered")
    df = pl.read_csv(small_dataset.csv_path, infer_schema_length=0)
    june = pl.col("InvoiceDate").str.starts_with("2010-06")
    df = df.with_columns(pl.when(june).then((pl.col("Price").cast(pl.Float64) * 10).round(2).cast(pl.String))
                         .otherwise(pl.col("Price")).alias("Price"))
    df.write_csv(base / "online_retail_ii.csv")
    resources = make_resources(base, base / "online_retail_ii.csv")
    results = {m: materialize(resources, m, INGESTION + (["cohort_retention"] if m == "2010-06" else []))
               for m in MONTHS}
    return resources, results


def _evaluations(result):
    return {(e.asset_key.to_user_string(), e.check_name): e for e in result.get_asset_check_evaluations()}


def test_broken_month_fails_the_revenue_check_with_a_readable_warning(tampered):
    _, results = tampered
    june = results["2010-06"]
    assert june.success  # a WARN check never fails the run
    evaluations = _evaluations(june)
    revenue = evaluations[("cleaned_transactions", "revenue_drift")]
    assert not revenue.passed and revenue.severity == dg.AssetCheckSeverity.WARN
    ratio = revenue.metadata["ratio"].value
    assert ratio > 5 and f"{ratio:.2f}x the median" in revenue.description and "OUTSIDE [0.5x, 2.5x]" in revenue.description
    assert revenue.metadata["history_months"].value == 5 < TRAILING_MONTHS + 1
    assert evaluations[("cleaned_transactions", "row_count_drift")].passed  # same lines, only prices changed
    assert evaluations[("cleaned_transactions", "gx_suite")].passed
    assert "cohort_retention" in {e.asset_key.to_user_string() for e in june.get_asset_materialization_events()}
    for month in MONTHS[3:5]:  # April and May had 3+ months of history and normal revenue
        assert _evaluations(results[month])[("cleaned_transactions", "revenue_drift")].passed, month
    early = _evaluations(results["2010-02"])[("cleaned_transactions", "revenue_drift")]
    assert early.passed and "not enough history" in early.description


def test_an_earlier_month_is_judged_point_in_time(tampered):
    resources, results = tampered
    with resources["warehouse"].connect(read_only=True) as con:  # June (broken) is in the table now
        again = evaluate(con, "cleaned_transactions", date(2010, 5, 1), "revenue")
    during_run = _evaluations(results["2010-05"])[("cleaned_transactions", "revenue_drift")]
    assert again.passed and again.description == during_run.description and "2010-06" not in again.description
    assert again.metadata["history_months"] == during_run.metadata["history_months"].value == 4
