"""BI views: dependencies parsed from the SQL, newest complete month from the ledger, missing inputs."""

from datetime import date
from pathlib import Path

import duckdb
import pytest

from rfm_assets.core import views
from rfm_assets.core.warehouse import replace_partition

JAN, FEB, MAR = date(2010, 1, 1), date(2010, 2, 1), date(2010, 3, 1)


def _write_view(folder: Path, name: str, sql: str, columns=("snapshot_month",)) -> None:
    (folder / f"{name}.sql").write_text(sql)
    cols = "\n".join(f"  {c}: the {c}" for c in columns)
    (folder / f"{name}.yml").write_text(
        f"name: {name}\ndescription: test view {name}\ngrain: one row\ncolumns:\n{cols}\n"
    )


def _month(con, table, month, values):
    rows = ", ".join(f"(date '{month}', {v})" for v in values)
    replace_partition(con, table, month, f"select * from (values {rows}) v(snapshot_month, x)")


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


def test_table_names_come_from_duckdbs_parser_without_cte_names():
    sql = """with a as (select * from rfm_snapshots), b as (select * from main.customer_clusters)
             select * from a join b on a.customer_id = b.customer_id
             where a.snapshot_month in (select snapshot_month from cohort_retention)"""
    assert views.table_names(sql) == ("cohort_retention", "customer_clusters", "rfm_snapshots")


def test_using_joins_are_refused_with_advice():
    with pytest.raises(views.ViewDefinitionError, match="ON rather than USING"):
        views.table_names("select * from a join b using (snapshot_month)")


def test_shipped_views_load_with_their_sidecars():
    defs = views.load_view_defs()
    assert [v.name for v in defs] == [
        "mart_campaign_outcomes",
        "mart_clv_by_segment",
        "mart_cohort_retention_matrix",
        "mart_customer_360",
        "mart_dormant_targets",
        "mart_forecast_accuracy",
        "mart_revenue_forecast",
        "mart_segment_summary",
    ]
    by_name = {v.name: v for v in defs}
    assert by_name["mart_segment_summary"].reads == ("rfm_snapshots", "segment_migration")
    assert by_name["mart_customer_360"].reads == (
        "customer_clusters",
        "customer_lifetime_value",
        "dormant_targets",
        "rfm_snapshots",
    )
    for view in defs:
        assert view.sidecar.grain and view.sidecar.description and "snapshot_month" in view.sidecar.columns


def test_a_view_reading_another_view_depends_on_it_and_on_its_tables(tmp_path):
    _write_view(tmp_path, "base_view", "select snapshot_month, x from t1 join t2 on t1.k = t2.k")
    _write_view(tmp_path, "top_view", "select * from base_view_history join t3 on true")
    defs = views.load_view_defs(tmp_path)
    top = defs[1]
    assert views.upstream_names(top, defs) == ("base_view", "t3")
    assert views.base_tables(top, defs) == ("t1", "t2", "t3")


@pytest.mark.parametrize(
    "name, files, message",
    [
        ("Bad-Name", {"Bad-Name.sql": "select 1", "Bad-Name.yml": "grain: x"}, "lower case"),
        ("v_history", {"v_history.sql": "select 1", "v_history.yml": "grain: x"}, "_history"),
        ("nosidecar", {"nosidecar.sql": "select 1"}, "no sidecar"),
    ],
)
def test_bad_view_files_are_refused(tmp_path, name, files, message):
    for file, text in files.items():
        (tmp_path / file).write_text(text)
    with pytest.raises(views.ViewDefinitionError, match=message):
        views.load_view_defs(tmp_path)


def test_latest_view_shows_the_newest_month_every_input_has_built(con, tmp_path):
    """a is built Jan-Mar, b only Jan-Feb: March is half-built and must not show, whatever the data holds."""
    for m in (JAN, FEB, MAR):
        _month(con, "a", m, [1, 2])
    for m in (JAN, FEB):
        _month(con, "b", m, [10])
    _write_view(
        tmp_path,
        "v",
        "select a.snapshot_month, a.x + b.x as y from a join b on a.snapshot_month = b.snapshot_month"
        " union all select snapshot_month, x from a where snapshot_month = date '2010-03-01'",
        ["snapshot_month", "y"],
    )
    [view] = views.load_view_defs(tmp_path)
    status = views.refresh_view(con, view, [view])
    assert status.created and status.monthly_inputs == ("a", "b")
    assert status.latest_month == FEB and status.latest_rows == 2
    assert con.execute("select * from v order by y").fetchall() == [(FEB, 11), (FEB, 12)]
    assert con.execute("select count(distinct snapshot_month) from v_history").fetchone()[0] == 3
    # the filter is evaluated at query time: once b's March is written, the view moves on by itself
    _month(con, "b", MAR, [20])
    assert con.execute("select * from v order by y").fetchall() == [(MAR, 1), (MAR, 2), (MAR, 21), (MAR, 22)]


def test_newest_rows_are_the_rows_the_view_shows_with_a_literal_month(con, tmp_path):
    """The project's fast read of a view (metadata, suites, BI catalog) against querying the view."""
    for m in (JAN, FEB, MAR):
        _month(con, "a", m, [1, 2, 3])
    for m in (JAN, FEB):
        _month(con, "b", m, [10, 20])
    _write_view(
        tmp_path,
        "v",
        "select a.snapshot_month, a.x + b.x as y from a join b on a.snapshot_month = b.snapshot_month",
        ["snapshot_month", "y"],
    )
    [view] = views.load_view_defs(tmp_path)
    status = views.refresh_view(con, view, [view])
    relation = views.newest_rows(con, view, [view])
    assert "date '2010-02-01'" in relation  # the month is a literal: DuckDB pushes it into the scans
    rows = con.execute(f"select * from {relation} order by y").fetchall()
    assert rows == con.execute("select * from v order by y").fetchall() and len(rows) == 6
    assert (status.latest_month, status.latest_rows, status.history_rows, status.history_months) == (FEB, 6, 12, 2)


def test_newest_rows_of_a_view_with_no_complete_month_are_none(con, tmp_path):
    _month(con, "a", JAN, [1])
    _month(con, "b", FEB, [2])
    _write_view(tmp_path, "v", "select a.snapshot_month from a join b on a.x = b.x", ["snapshot_month"])
    [view] = views.load_view_defs(tmp_path)
    status = views.refresh_view(con, view, [view])
    assert status.latest_month is None and status.latest_rows == 0
    assert con.execute(f"select count(*) from {views.newest_rows(con, view, [view])}").fetchone() == (0,)


def test_rows_outside_the_ledger_never_make_a_month_complete(con, tmp_path):
    """max(snapshot_month) of the data is not used: rows written without a ledger entry stay hidden."""
    _month(con, "a", JAN, [1])
    con.execute("insert into a values (date '2010-02-01', 5)")  # not through replace_partition: no ledger row
    _write_view(tmp_path, "v", "select snapshot_month, x from a", ["snapshot_month", "x"])
    [view] = views.load_view_defs(tmp_path)
    assert views.refresh_view(con, view, [view]).latest_month == JAN
    assert con.execute("select * from v").fetchall() == [(JAN, 1)]


def test_view_over_a_missing_table_is_not_created_and_a_stale_one_is_dropped(con, tmp_path):
    _month(con, "a", JAN, [1])
    _month(con, "b", JAN, [2])
    _write_view(tmp_path, "v", "select a.snapshot_month from a join b on a.snapshot_month = b.snapshot_month")
    [view] = views.load_view_defs(tmp_path)
    assert views.refresh_view(con, view, [view]).created
    con.execute("drop table b")
    status = views.refresh_view(con, view, [view])
    assert not status.created and status.missing == ("b",)
    names = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert "v" not in names and "v_history" not in names


def test_view_without_snapshot_month_fails_and_leaves_nothing(con, tmp_path):
    _month(con, "a", JAN, [1])
    _write_view(tmp_path, "v", "select x from a", ["x"])
    [view] = views.load_view_defs(tmp_path)
    with pytest.raises(views.ViewDefinitionError, match="no snapshot_month"):
        views.refresh_view(con, view, [view])
    names = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert names == {"a", "_partitions"}
