"""Each drift check fires on a drift-injected variant of the generated data, through the real assets
and checks, while the run, the blocking checks and the downstream assets go on.

One 12-month generated dataset (YEAR), tampered in the source file, one change per month:
- 2010-08: a campaign brings in as many new one-purchase customers as the window already holds
  (a segment-mix shift: 'New Customers' jumps);
- 2010-09: the guest share jumps by 25 points (customer ids lost for part of the customer lines);
- 2010-12: 40% of the month's invoices are missing.
CLV parameters doubled: no honest data change doubles all seven parameters at once (doubling the
prices doubles only the Gamma-Gamma scale v; slowing purchases moves alpha, not a or b), so the
rule is tested on the stored parameter history with December's fit doubled in the table.
"""

import shutil
from datetime import date

import dagster as dg
import duckdb
import polars as pl
import pytest

from rfm_assets.core.drift import CLV_PARAMS
from rfm_assets.core.drift_history import evaluate
from rfm_assets.core.rows import scalar
from rfm_assets_tests.assets.helpers import materialize
from rfm_assets_tests.conftest import make_resources

# one worker under `make test` (--dist loadgroup), so the module-scoped fixture is built once
pytestmark = pytest.mark.xdist_group("test_drift_checks_assets")

MONTHS = [f"2010-{m:02d}" for m in range(1, 13)]
INGESTION = ["raw_orders", "quarantined_lines", "cleaned_transactions", "customer_returns"]
CLV = ["customer_lifetime_value", "clv_model_params"]
FORECAST_INPUTS = [
    "customer_clusters",
    "forecast_revenue_history",
    "cluster_revenue_forecasts",
    "forecast_backtest_metrics",
]
DRIFT = {
    ("cleaned_transactions", "row_count_drift"),
    ("cleaned_transactions", "revenue_drift"),
    ("cleaned_transactions", "missing_customer_id_drift"),
    ("rfm_snapshots", "segment_share_shift"),
    ("clv_model_params", "parameter_drift"),
}


def _keep(share: float) -> pl.Expr:
    """A deterministic pseudo-random ``share`` of invoices (by invoice number)."""
    return (pl.col("Invoice").hash(7) % 1000) < int(1000 * share)


def _tamper(df: pl.DataFrame) -> pl.DataFrame:
    month = pl.col("InvoiceDate").str.slice(0, 7)
    # 2010-09: guests were ~20% of lines; blanking the id of 31% of customer lines makes ~45%
    lost_id = (month == "2010-09") & _keep(0.31)
    df = df.with_columns(pl.when(lost_id).then(None).otherwise(pl.col("Customer ID")).alias("Customer ID"))
    # 2010-12: 40% of the invoices never arrive
    df = df.filter(~((month == "2010-12") & _keep(0.40)))
    # 2010-08: one small purchase each from as many new customers as bought in the past twelve months
    known = df.filter((month < "2010-09") & pl.col("Customer ID").is_not_null())["Customer ID"].n_unique()
    template = df.filter((month == "2010-08") & pl.col("Customer ID").is_not_null()).head(1)
    new = pl.concat(
        [
            template.with_columns(
                Invoice=pl.lit(str(900000 + i)), Quantity=pl.lit("1"), **{"Customer ID": pl.lit(str(90000 + i))}
            )
            for i in range(known)
        ]
    )
    return pl.concat([df, new])


@pytest.fixture(scope="module")
def tampered(tmp_path_factory, year_dataset):
    base = tmp_path_factory.mktemp("drift_injected")
    df = _tamper(pl.read_csv(year_dataset.csv_path, infer_schema_length=0))
    df.write_csv(base / "online_retail_ii.csv")
    resources = make_resources(base, base / "online_retail_ii.csv")
    results = {}
    for m in MONTHS:
        names = INGESTION + ["rfm_snapshots"] + (CLV if m >= "2010-06" else [])
        # no plots (helpers.TEST_RUN_TAGS): no test here reads one
        results[m] = materialize(resources, m, names)
        if m <= "2010-11":  # November's company forecast judges December's volumes; each month's
            materialize(resources, m, FORECAST_INPUTS)  # forecasts need the month before's
    return resources, results


def _warned(result) -> set[tuple[str, str]]:
    return {
        (e.asset_key.to_user_string(), e.check_name)
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.WARN
    }


def _evaluation(result, asset: str, check: str):
    return next(
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == asset and e.check_name == check
    )


def test_runs_go_on_and_the_months_before_any_change_are_quiet(tampered):
    _, results = tampered
    assert all(r.success for r in results.values())  # a WARN check never fails a run
    for month in MONTHS[:7]:
        assert not (_warned(results[month]) & DRIFT), month
        errors = [
            e
            for e in results[month].get_asset_check_evaluations()
            if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
        ]
        assert not errors, month


def test_a_flood_of_new_customers_shifts_the_segment_mix(tampered):
    _, results = tampered
    shift = _evaluation(results["2010-08"], "rfm_snapshots", "segment_share_shift")
    # scores are quintiles of the month's customers, so the newcomers (one cheap order) push the
    # low-value segments around: the largest move is far outside that segment's usual range
    assert not shift.passed and shift.metadata["groups_outside"].value >= 1
    assert abs(shift.metadata["change"].value) > 0.2 and "OUTSIDE" in shift.description
    assert "**outside**" in shift.metadata["groups"].value
    assert _evaluation(results["2010-07"], "rfm_snapshots", "segment_share_shift").passed


def test_a_25_point_jump_in_guest_share_warns(tampered):
    _, results = tampered
    guest = _evaluation(results["2010-09"], "cleaned_transactions", "missing_customer_id_drift")
    assert not guest.passed and 0.2 < guest.metadata["change"].value < 0.3
    assert guest.metadata["change"].value > guest.metadata["band_high"].value
    assert _evaluation(results["2010-09"], "cleaned_transactions", "row_count_drift").passed  # same lines


def test_a_month_with_40_percent_fewer_lines_is_outside_last_months_forecast(tampered):
    _, results = tampered
    lines = _evaluation(results["2010-12"], "cleaned_transactions", "row_count_drift")
    assert not lines.passed and lines.metadata["method"].value == "company_forecast"
    assert lines.metadata["value"].value < lines.metadata["lo_95"].value
    assert lines.metadata["relative_error"].value < -1 / 3  # more than x1.5 below the forecast
    assert "last month's company forecast expected" in lines.description


def test_doubled_clv_parameters_warn_on_the_stored_history(tampered, tmp_path):
    resources, results = tampered
    december = date(2010, 12, 1)
    assert _evaluation(results["2010-12"], "clv_model_params", "parameter_drift").passed  # as fitted
    copy = tmp_path / "doubled.duckdb"
    shutil.copyfile(resources["warehouse"].path, copy)  # connections are closed between runs
    with duckdb.connect(str(copy)) as con:
        fitted = scalar(
            con, "select count(distinct snapshot_month) from clv_model_params where snapshot_month < ?", [december]
        )
        assert fitted >= 6  # enough history for the band
        con.execute(
            f"update clv_model_params set value = 2 * value where snapshot_month = ? and param in "
            f"({', '.join(repr(p) for p in CLV_PARAMS)})",
            [december],
        )
        result = evaluate(con, "clv_model_params", december, "clv_parameters")
        earlier = evaluate(con, "clv_model_params", date(2010, 11, 1), "clv_parameters")
    # doubling every parameter leaves the mean purchase rate r/alpha and the drop-out probability
    # a/(a+b) unchanged, doubles the shapes r and a+b and scales the mean spend p*v/(q-1) by
    # 4(q-1)/(2q-1) (x1.7 at q = 4): r and the mean spend are stable month to month here and must be
    # outside (a+b varies more on 12 months of 1,200 customers, so its band may hold a doubling)
    assert not result.passed and int(result.metadata["groups_outside"]) >= 2, result.description
    for shape in ("purchase-rate shape r", "mean spend p*v/(q-1)"):
        assert shape in result.description.split(";")[0], result.description
    assert earlier.passed  # November is judged on months before it only


def test_a_month_is_judged_the_same_after_later_months_exist(tampered):
    """Point in time: re-judged once December (and its forecast) is in the warehouse, every drift check
    of the injected months says exactly what it said during their runs."""
    resources, results = tampered
    names = {
        "row_count_drift": "row_count",
        "revenue_drift": "revenue",
        "missing_customer_id_drift": "guest_share",
        "segment_share_shift": "segment_shares",
        "parameter_drift": "clv_parameters",
    }
    with resources["warehouse"].connect(read_only=True) as con:
        for month in ("2010-08", "2010-09", "2010-12"):
            for asset, check in DRIFT:
                again = evaluate(con, asset, date.fromisoformat(month + "-01"), names[check])
                during = _evaluation(results[month], asset, check)
                assert (again.passed, again.description) == (during.passed, during.description), (month, check)
