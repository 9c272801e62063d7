"""Sources with months that have no lines build every month to the end (RFM checked against an
independent polars reading of the CSV), and a source that loses a month is refused, the warehouse
unchanged, unless the operator accepts it."""

from datetime import date

import dagster as dg
import duckdb
import polars as pl
import pytest

from rfm_assets.assets.metadata import PLOTS_TAG
from rfm_assets.core.rows import scalar
from rfm_assets.resources import RUN_CONNECTION_TAG, OrderSourceResource
from rfm_assets_tests.assets.helpers import ASSETS, BEHAVIOUR, CHECKS, INGESTION, NON_PRODUCT, materialize
from rfm_assets_tests.checksums import warehouse_checksums
from rfm_assets_tests.conftest import make_resources

MONTHS = [f"2010-{m:02d}" for m in range(1, 9)]  # the small dataset: January to August 2010
WINDOW = 6  # RFM window of the tests: August's window (March..August) spans every gap
MONTHLY_ASSETS = dg.AssetSelection.all() - dg.AssetSelection.groups("bi_views")


def _without(csv_path, out_dir, months: list[str]):
    """The CSV without the lines of ``months`` (YYYY-MM), written as it was read (all text)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    df = pl.read_csv(csv_path, infer_schema_length=0)
    df = df.filter(~pl.col("InvoiceDate").str.slice(0, 7).is_in(months))
    df.write_csv(out_dir / "online_retail_ii.csv")
    return out_dir / "online_retail_ii.csv"


def _purchases(csv_path) -> pl.DataFrame:
    """Valid purchase lines with a customer, by the README's cleaning rules, straight from the CSV."""
    df = pl.read_csv(csv_path, infer_schema_length=0)
    df = df.unique(keep="first", maintain_order=True)  # exact duplicate lines count once
    df = df.with_columns(
        pl.col("InvoiceDate").str.to_datetime("%Y-%m-%d %H:%M:%S"),
        pl.col("Quantity").cast(pl.Float64),
        pl.col("Price").cast(pl.Float64),
    )
    return df.filter(
        ~pl.col("Invoice").str.to_uppercase().str.starts_with("C")
        & ~pl.col("Invoice").str.to_uppercase().str.starts_with("A")
        & ~pl.col("StockCode").str.to_uppercase().str.strip_chars().is_in(NON_PRODUCT)
        & (pl.col("Price") > 0)
        & (pl.col("Quantity") > 0)
        & pl.col("Customer ID").is_not_null()
    ).with_columns(
        pl.col("Customer ID").str.replace(r"\.0$", "").alias("customer"), pl.col("InvoiceDate").dt.date().alias("day")
    )


def _expected_rfm(csv_path, as_of: date, window_start: date) -> dict[str, tuple[int, int, float]]:
    """customer -> (recency_days, frequency, monetary) over [window_start, as_of], recomputed by hand."""
    lines = _purchases(csv_path).filter((pl.col("day") >= window_start) & (pl.col("day") <= as_of))
    per = lines.group_by("customer").agg(
        pl.col("day").max().alias("last"),
        pl.col("Invoice").n_unique().alias("f"),
        (pl.col("Quantity") * pl.col("Price")).sum().alias("m"),
    )
    return {r["customer"]: ((as_of - r["last"]).days, r["f"], r["m"]) for r in per.iter_rows(named=True)}


def _rfm(path, month: str) -> dict[str, tuple[int, int, float]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select customer_id, recency_days, frequency, monetary from rfm_snapshots where snapshot_month = ?",
            [date.fromisoformat(f"{month}-01")],
        ).fetchall()
    return {c: (r, f, m) for c, r, f, m in rows}


def _assert_same_rfm(actual, expected):
    assert set(actual) == set(expected) and len(expected) > 100
    for customer, (recency, frequency, monetary) in expected.items():
        assert actual[customer][:2] == (recency, frequency), customer
        assert actual[customer][2] == pytest.approx(monetary, rel=1e-9), customer


def _ledger(path, table: str) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "select strftime(snapshot_month, '%Y-%m'), row_count from _partitions where table_name = ? order by 1",
            [table],
        ).fetchall()
    return dict(rows)


def _warned(result) -> set[tuple[str, str]]:
    return {
        (e.asset_key.to_user_string(), e.check_name)
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.WARN
    }


def _errors(result) -> list[tuple[str, str]]:
    return [
        (e.asset_key.to_user_string(), e.check_name)
        for e in result.get_asset_check_evaluations()
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]


def test_a_one_month_gap_builds_every_month_and_rfm_matches_a_plain_recomputation(tmp_path, small_dataset):
    source = _without(small_dataset.csv_path, tmp_path / "src", ["2010-04"])
    resources = make_resources(tmp_path, source, window_months=WINDOW)
    for month in MONTHS:  # no plots here (an empty month's are drawn in the three-month gap test)
        result = materialize(resources, month, INGESTION + BEHAVIOUR)
        assert result.success and _errors(result) == [], month
        assert (("raw_orders", "empty_month") in _warned(result)) == (month == "2010-04"), month
    warehouse = tmp_path / "warehouse.duckdb"
    assert [m for m, n in _ledger(warehouse, "raw_orders").items() if n == 0] == ["2010-04"]
    assert _ledger(warehouse, "cleaned_transactions")["2010-04"] == 0
    assert set(_ledger(warehouse, "rfm_snapshots")) == set(MONTHS)
    _assert_same_rfm(_rfm(warehouse, "2010-08"), _expected_rfm(source, date(2010, 8, 31), date(2010, 3, 1)))
    # the month right after the gap: its window holds January..May with April empty
    _assert_same_rfm(_rfm(warehouse, "2010-05"), _expected_rfm(source, date(2010, 5, 31), date(2010, 1, 1)))


@pytest.mark.slow  # every asset of 8 months (CLV, forecasts, reactivation): the whole pipeline, in `make test`
def test_a_three_month_gap_builds_every_asset_of_every_month(tmp_path, small_dataset):
    gap = ["2010-03", "2010-04", "2010-05"]
    source = _without(small_dataset.csv_path, tmp_path / "src", gap)
    # the default 12-month window (clusters_reconcile reads the window from the settings, not the resource)
    resources = make_resources(tmp_path, source, export_dir=str(tmp_path / "exports"))
    for month in MONTHS:
        # plots (a third of a month's run) drawn for the first empty month and for August, whose window
        # holds the gap (`rfm-assets run` draws only its last month's); every other month builds without
        plots = "yes" if month in (gap[0], MONTHS[-1]) else "no"
        result = dg.materialize(
            [*ASSETS, *CHECKS],
            partition_key=f"{month}-01",
            resources=resources,
            selection=MONTHLY_ASSETS,
            tags={PLOTS_TAG: plots, **RUN_CONNECTION_TAG},  # one connection for the run, as monthly_job
        )
        assert result.success and _errors(result) == [], month
        assert (("raw_orders", "empty_month") in _warned(result)) == (month in gap), month
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        quarantined = scalar(con, "select count(*) from quarantined_lines")
        clv_fitted = scalar(con, "select count(*) from clv_model_params where snapshot_month = '2010-08-01'")
        forecasts = scalar(
            con, "select count(distinct series) from cluster_revenue_forecasts where snapshot_month = '2010-08-01'"
        )
        gap_days = scalar(
            con,
            "select count(*) from forecast_revenue_history where snapshot_month = '2010-08-01' "
            "and ds >= '2010-03-01' and ds < '2010-06-01'",
        )
        dormant = {
            m: {
                r[0]
                for r in con.execute(
                    "select customer_id from dormant_features where snapshot_month = ?", [date(2010, m, 1)]
                ).fetchall()
            }
            for m in (5, 6)
        }
    assert quarantined == 0  # the 3-month gap holds ~40% of the lines on each side: nothing is "stray"
    for table in (
        "raw_orders",
        "cleaned_transactions",
        "customer_returns",
        "rfm_snapshots",
        "customer_clusters",
        "cluster_profiles",
        "customer_lifetime_value",
        "cluster_revenue_forecasts",
        "dormant_targets",
    ):
        assert set(_ledger(warehouse, table)) == set(MONTHS), table
    assert [m for m, n in _ledger(warehouse, "raw_orders").items() if n == 0] == gap
    assert clv_fitted > 0 and forecasts >= 2 and gap_days == 0
    _assert_same_rfm(_rfm(warehouse, "2010-08"), _expected_rfm(source, date(2010, 8, 31), date(2010, 1, 1)))
    # dormant rules: the gap months are months without orders. Anchor May: bought in Dec..Feb, nothing
    # in Mar..May = every customer of January-February; anchor June: bought in Jan..Mar, none in Apr..Jun.
    lines = _purchases(source)
    by_month = {m: set(lines.filter(pl.col("day").dt.month() == m)["customer"]) for m in range(1, 9)}
    assert dormant[5] == by_month[1] | by_month[2] and len(dormant[5]) > 100
    assert dormant[6] == (by_month[1] | by_month[2]) - by_month[6]


def test_a_source_that_loses_a_month_is_refused_unchanged_and_accepted_when_the_operator_says_so(
    tmp_path, small_dataset
):
    full = make_resources(tmp_path, small_dataset.csv_path)
    for month in ("2010-03", "2010-04"):
        assert materialize(full, month, INGESTION).success
    warehouse = tmp_path / "warehouse.duckdb"
    n_april = _ledger(warehouse, "raw_orders")["2010-04"]
    before = warehouse_checksums(warehouse)
    lost = _without(small_dataset.csv_path, tmp_path / "lost", ["2010-04"])
    result = materialize(make_resources(tmp_path, lost), "2010-04", INGESTION, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert failure.step_key == "raw_orders"
    error = failure.step_failure_data.error
    assert error is not None
    message = "\n".join(part.message for part in (error, error.cause) if part is not None)
    assert (
        f"2010-04 any more: {n_april:,} rows before, 0 after" in message
        and "RFM_ACCEPT_EMPTY_MONTHS=2010-04" in message
    )
    assert warehouse_checksums(warehouse) == before

    accepting = make_resources(tmp_path, lost)
    accepting["order_source"] = OrderSourceResource(
        path=str(lost), staging_dir=str(tmp_path / "staging"), accept_empty_months="2010-04"
    )
    result = materialize(accepting, "2010-04", INGESTION)
    assert result.success and ("raw_orders", "empty_month") in _warned(result)
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "empty_month")
    assert f"held {n_april:,}" in (check.description or "")
    ledger = _ledger(warehouse, "raw_orders")
    assert ledger["2010-04"] == 0 and ledger["2010-03"] > 0
    assert _ledger(warehouse, "cleaned_transactions")["2010-04"] == 0
