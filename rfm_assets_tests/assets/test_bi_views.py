"""BI views and the BI copy through dg.materialize on a real warehouse: values checked against the
source tables with plain pandas, the newest complete month, missing inputs, a BI reader in another
process while a run writes and publishes, and a new view file becoming an asset with its edges."""

import shutil
import subprocess
import sys
import textwrap

import dagster as dg
import duckdb
import pytest

from rfm_assets.assets.bi_views import BI_COPY, VIEW_DEFS, view_asset
from rfm_assets.assets.metadata import PLOTS_TAG
from rfm_assets.core import views
from rfm_assets.core.publish import CATALOG
from rfm_assets.core.rows import scalar
from rfm_assets.resources import RUN_CONNECTION_TAG
from rfm_assets_tests.assets.helpers import (
    ASSETS,
    BEHAVIOUR,
    CHECKS,
    INGESTION,
    failed_checks,
    materialize,
    materialized_metadata,
    materialized_names,
)
from rfm_assets_tests.conftest import make_resources

# one worker under `make test` (--dist loadgroup), so the module-scoped fixture is built once
pytestmark = pytest.mark.xdist_group("test_bi_views")

MONTHS = ["2010-01", "2010-02", "2010-03"]
BI = dg.AssetSelection.groups("bi_views")
UPSTREAM = {name for v in VIEW_DEFS for name in views.upstream_names(v, VIEW_DEFS)}
# every asset the views read, and what those need, with their checks: they run in each asset's own
# step, which cannot be split from its checks (assets/decorators.py)
NEEDED = dg.AssetSelection.assets(*UPSTREAM).upstream().required_multi_asset_neighbors() - BI


def _publish(resources):
    """The BI layer with its checks (each view's suite, the copy's); every check must pass."""
    result = dg.materialize([*ASSETS, *CHECKS], resources=resources, selection=BI)
    checked = {e.asset_key.to_user_string() for e in result.get_asset_check_evaluations() if e.passed}
    assert checked == {v.name for v in VIEW_DEFS} | {BI_COPY}, failed_checks(result)
    return {name: {k: v.value for k, v in md.items()} for name, md in materialized_metadata(result).items()}


@pytest.fixture(scope="module")
def built(tmp_path_factory, small_dataset):
    """Months 2010-01..03 of every table the views read, then the views and the BI copy."""
    base = tmp_path_factory.mktemp("bi")
    resources = make_resources(base, small_dataset.csv_path)
    for month in MONTHS:  # no plots (nothing here reads one), one connection a run as monthly_job's
        tags = {PLOTS_TAG: "no", **RUN_CONNECTION_TAG}
        assert dg.materialize(
            ASSETS, partition_key=f"{month}-01", resources=resources, selection=NEEDED, tags=tags
        ).success
    return base, _publish(resources)


def _copy(built, tmp_path, small_dataset):
    base, _ = built
    shutil.copy(base / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    shutil.copytree(base / "staging", tmp_path / "staging")
    return make_resources(tmp_path, small_dataset.csv_path)


def _df(path, sql, params=()):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, list(params)).df()


def test_every_view_shows_the_newest_month_with_its_documented_columns(built):
    base, metadata = built
    bi = base / "bi" / "warehouse_bi.duckdb"
    for view in VIEW_DEFS:
        md = metadata[view.name]
        assert md["status"] == "created" and md["newest_complete_month"] == "2010-03", view.name
        n_rows = _df(bi, f"select count(*) as n from {view.name}")["n"][0]
        assert md["dagster/row_count"] == n_rows
        columns = list(_df(bi, f"describe {view.name}")["column_name"])
        assert columns == list(view.sidecar.columns), view.name
        months = _df(bi, f"select distinct snapshot_month from {view.history_name}")["snapshot_month"]
        assert {f"{m:%Y-%m}" for m in months} <= set(MONTHS)
    assert len(_df(bi, f"select * from {CATALOG}")) == len(VIEW_DEFS)
    assert metadata[BI_COPY]["size_mb"] > 0


def test_segment_summary_adds_up_to_this_and_last_months_snapshots(built):
    base, _ = built
    wh = base / "warehouse.duckdb"
    rfm = _df(wh, "select snapshot_month, rfm_segment from rfm_snapshots")
    now = rfm[rfm.snapshot_month.dt.strftime("%Y-%m") == "2010-03"].groupby("rfm_segment").size()
    before = rfm[rfm.snapshot_month.dt.strftime("%Y-%m") == "2010-02"].groupby("rfm_segment").size()
    summary = _df(wh, "select * from mart_segment_summary").set_index("rfm_segment")
    assert summary["customers"].to_dict() == now.to_dict()
    came = summary.stayed + summary.moved_in + summary.new_customers + summary.returning_customers
    assert (came == summary.customers).all()
    went = summary.stayed + summary.moved_out + summary.left_window
    common = went.index.intersection(before.index)
    assert went[common].to_dict() == before[common].to_dict()
    assert summary.customer_share.sum() == pytest.approx(1.0)


# The CLV model needs about six months of history and the dormant model more, so on three months
# both tables are written empty: the test writes hand-made rows for 2010-03 (through the same
# replace_partition as the assets) and checks the views against them with pandas.
CLV_ROWS = """select date '2010-03-01' as snapshot_month, customer_id, 1.0 as frequency, 1.0 as recency, 2.0 as "T",
    10.0 as monetary_value, 0.5 as p_alive, 2.0 as expected_purchases_12m, 10.0 as expected_avg_order_value,
    monetary / 10 as clv_12m, date '2010-04-20' as expected_next_order_date, 0.2 as p_order_30d,
    0.4 as p_order_90d from rfm_snapshots where snapshot_month = date '2010-03-01'
    union all select date '2010-03-01', 'outside-' || range, 0, 0, 30, 0, 0.1, 0.1, 5, 7.0, null, 0.01, 0.02
    from range(2)"""
DORMANT_ROWS = """select date '2010-03-01' as snapshot_month, customer_id, 'UK' as country, frequency, monetary,
    0.3 as probability, 30.0 as expected_revenue, null::double as expected_profit, row_number() over (order by customer_id)::int as rank,
    'Loyal' as persona, 'call' as suggested_action, true as selected, 'treatment' as campaign_group
    from rfm_snapshots where snapshot_month = date '2010-03-01' order by customer_id limit 2"""


def test_customer_and_clv_views_join_lifetime_value_and_dormant_rows(built, tmp_path, small_dataset):
    from datetime import date

    from rfm_assets.core.warehouse import replace_partition

    resources = _copy(built, tmp_path, small_dataset)
    wh = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(wh)) as con:
        replace_partition(con, "customer_lifetime_value", date(2010, 3, 1), CLV_ROWS)
        replace_partition(con, "dormant_targets", date(2010, 3, 1), DORMANT_ROWS)
    _publish(resources)
    rfm = _df(
        wh, "select customer_id, monetary, rfm_segment from rfm_snapshots where snapshot_month = date '2010-03-01'"
    )
    c360 = _df(wh, "select * from mart_customer_360").set_index("customer_id")
    assert set(c360.index) == set(rfm.customer_id) and c360.cluster_name.notna().all()
    expected = rfm.set_index("customer_id").monetary / 10
    assert (c360.clv_12m - expected[c360.index]).abs().max() < 1e-9
    dormant = sorted(rfm.customer_id)[:2]
    assert sorted(c360.index[c360.is_dormant]) == dormant and c360.loc[dormant, "in_campaign"].all()
    assert list(c360.loc[dormant, "dormant_rank"]) == [1, 2]
    by_segment = _df(wh, "select * from mart_clv_by_segment").set_index("rfm_segment")
    per_segment = (rfm.monetary / 10).groupby(rfm.rfm_segment).sum()
    assert (by_segment.total_clv_12m[per_segment.index] - per_segment).abs().max() < 1e-6
    no_order = by_segment.loc["(no order in window)"]
    assert [no_order["customers"], no_order["total_clv_12m"]] == [2, 14.0]
    assert by_segment.clv_share.sum() == pytest.approx(1.0)
    targets = _df(wh, "select customer_id, rfm_segment, target_rank from mart_dormant_targets order by target_rank")
    assert list(targets.customer_id) == dormant
    assert list(targets.rfm_segment) == list(rfm.set_index("customer_id").rfm_segment[dormant])


def test_forecast_view_has_24_months_ahead_and_the_companys_actual_revenue(built):
    base, _ = built
    wh = base / "warehouse.duckdb"
    forecast = _df(wh, "select * from mart_revenue_forecast")
    ahead = forecast[forecast.kind == "forecast"].groupby("series").months_ahead.agg(["min", "max", "count"])
    assert (ahead["min"] == 1).all() and (ahead["max"] == 24).all() and (ahead["count"] == 24).all()
    actual = forecast[(forecast.kind == "actual") & (forecast.series == "company")].revenue.sum()
    lines = _df(wh, "select sum(line_revenue) as r from cleaned_transactions where snapshot_month <= date '2010-03-01'")
    assert actual == pytest.approx(lines["r"][0])
    cells = _df(wh, "select count(*) as n from mart_cohort_retention_matrix")["n"][0]
    assert cells == 1 + 2 + 3  # the triangle of three monthly cohorts


def test_views_over_tables_not_built_yet_are_skipped_and_named(built, tmp_path, small_dataset):
    resources = _copy(built, tmp_path, small_dataset)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("drop table dormant_targets")
    metadata = _publish(resources)
    for name in ("mart_customer_360", "mart_dormant_targets"):
        assert metadata[name]["status"] == "skipped" and metadata[name]["missing_tables"] == "dormant_targets"
    assert metadata["mart_segment_summary"]["status"] == "created"
    catalog = _df(tmp_path / "bi" / "warehouse_bi.duckdb", f"select view_name from {CATALOG}")
    assert "mart_customer_360" not in set(catalog.view_name) and len(catalog) == len(VIEW_DEFS) - 2


READER = textwrap.dedent("""
    import sys, duckdb
    def state(con):
        return con.execute("select max(snapshot_month)::varchar, count(*) from mart_segment_summary_history "
                           "where snapshot_month = (select max(snapshot_month) from mart_segment_summary)").fetchone()
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(*state(con), flush=True)
    sys.stdin.readline()                      # the parent runs and publishes meanwhile
    print(*state(con), flush=True)            # the same connection: still the old copy
    con.close()  # DuckDB shares one database per file and process: reopen after closing the old one
    new = duckdb.connect(sys.argv[1], read_only=True)
    print(*state(new), new.execute("select max(snapshot_month)::varchar from mart_customer_360").fetchone()[0], flush=True)
""")


def test_bi_reader_keeps_its_copy_while_a_run_writes_and_publishes(built, tmp_path, small_dataset):
    """A reader in another process holds the published copy open; month 2010-04 is built (ingestion and
    behaviour only) and published. The run is not blocked, the reader's connection keeps the old
    consistent state, and a new connection sees 2010-04 in the segment views but not in
    mart_customer_360, whose CLV and dormant inputs are not built for 2010-04 (half-built month)."""
    resources = _copy(built, tmp_path, small_dataset)
    shutil.copytree(built[0] / "bi", tmp_path / "bi")
    bi = tmp_path / "bi" / "warehouse_bi.duckdb"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(bi)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert reader.stdout is not None and reader.stdin is not None  # both piped
    try:
        before = reader.stdout.readline().split()
        assert before[0] == "2010-03-01"
        assert materialize(resources, "2010-04", INGESTION + BEHAVIOUR[:3]).success
        _publish(resources)
        reader.stdin.write("go\n")
        reader.stdin.flush()
        same_connection = reader.stdout.readline().split()
        new_connection = reader.stdout.readline().split()
    finally:
        reader.stdin.close()
        assert reader.wait(timeout=60) == 0
    assert same_connection == before
    assert new_connection[0] == "2010-04-01" and new_connection[2] == "2010-03-01"
    c360 = _df(tmp_path / "warehouse.duckdb", "select max(snapshot_month)::varchar as m from mart_customer_360")
    assert c360["m"][0] == "2010-03-01"  # the live view agrees: 2010-04 is half-built for it


def test_a_new_view_file_becomes_an_asset_with_edges_from_its_sql(built, tmp_path, small_dataset):
    folder = tmp_path / "views"
    folder.mkdir()
    (folder / "mart_champions.sql").write_text(
        "with s as (select * from mart_segment_summary_history)\n"
        "select r.snapshot_month, count(*) as champions, max(s.customers) as segment_size\n"
        "from rfm_snapshots as r join s on s.snapshot_month = r.snapshot_month and s.rfm_segment = r.rfm_segment\n"
        "where r.rfm_segment = 'Champions' group by r.snapshot_month"
    )
    (folder / "mart_champions.yml").write_text(
        "name: mart_champions\ndescription: champions per month, a test view\ngrain: one row per month\n"
        "columns:\n  snapshot_month: month\n  champions: champions\n  segment_size: from the summary\n"
    )
    defs = [*VIEW_DEFS, *views.load_view_defs(folder)]
    asset = view_asset(defs[-1], defs)
    assert {k.to_user_string() for k in asset.asset_deps[asset.key]} == {"mart_segment_summary", "rfm_snapshots"}
    resources = _copy(built, tmp_path, small_dataset)
    result = dg.materialize([*ASSETS, asset], resources=resources, selection=[asset.key])
    [event] = result.get_asset_materialization_events()
    assert event.materialization.metadata["status"].value == "created"
    champions = _df(tmp_path / "warehouse.duckdb", "select * from mart_champions")
    assert (champions.champions == champions.segment_size).all() and len(champions) == 1


def test_a_view_that_breaks_its_grain_fails_its_suite_and_is_not_published(built, tmp_path, small_dataset):
    resources = _copy(built, tmp_path, small_dataset)
    published = tmp_path / "bi" / "warehouse_bi.duckdb"
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:  # one customer twice in March's snapshot
        con.execute(
            "insert into rfm_snapshots select * from rfm_snapshots "
            "where snapshot_month = date '2010-03-01' order by customer_id limit 1"
        )
        twice = scalar(con, "select min(customer_id) from rfm_snapshots where snapshot_month = date '2010-03-01'")
    result = dg.materialize([*ASSETS, *CHECKS], resources=resources, selection=BI, raise_on_error=False)
    assert ("mart_customer_360", "gx_suite") in failed_checks(result)
    evaluation = next(
        e
        for e in result.get_asset_check_evaluations()
        if e.asset_key.to_user_string() == "mart_customer_360" and e.check_name == "gx_suite"
    )
    description = evaluation.description or ""
    assert "expect_compound_columns_to_be_unique" in description and twice in description
    built_now = set(materialized_names(result))
    assert BI_COPY not in built_now and not published.exists()  # blocking: the bad state is never published


def test_bi_copy_check_fails_on_a_writable_or_inconsistent_copy(built, tmp_path, small_dataset):
    resources = _copy(built, tmp_path, small_dataset)
    _publish(resources)
    copy = tmp_path / "bi" / "warehouse_bi.duckdb"
    copy.chmod(0o644)
    with duckdb.connect(str(copy)) as con:  # a catalog that no longer matches its view
        con.execute(
            f"update {CATALOG} set newest_month_rows = newest_month_rows + 1 where view_name = 'mart_segment_summary'"
        )
    only_check = dg.AssetSelection.checks(dg.AssetCheckKey(dg.AssetKey(BI_COPY), "copy_is_readable"))
    result = dg.materialize([*ASSETS, *CHECKS], resources=resources, selection=only_check, raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert "writable" in (evaluation.description or "") and "mart_segment_summary" in (evaluation.description or "")
