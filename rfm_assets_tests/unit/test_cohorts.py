"""Cohort retention on a hand-worked example."""

from datetime import date

import pytest

from rfm_assets.core.cohorts import build_cohort_retention, refresh_triangle_view, triangle
from rfm_assets.core.warehouse import connect
from rfm_assets_tests.unit.rfm_fixtures import make_tables

JAN, FEB, MAR = date(2011, 1, 1), date(2011, 2, 1), date(2011, 3, 1)
LINES = [
    ("a", "1", date(2011, 1, 3), 10.0),
    ("b", "2", date(2011, 1, 9), 20.0),
    ("c", "3", date(2011, 1, 9), 5.0),
    ("a", "4", date(2011, 2, 3), 7.0),
    ("d", "5", date(2011, 2, 4), 1.0),
    ("a", "6", date(2011, 3, 3), 3.0),
    ("c", "7", date(2011, 3, 5), 4.0),
    ("c", "8", date(2011, 3, 6), 6.0),
    (None, "9", date(2011, 3, 6), 99.0),
]


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "w.duckdb") as c:
        make_tables(c, LINES)
        yield c


def test_hand_worked_triangle(con):
    for month in (MAR, JAN, FEB):  # any order gives the same rows
        build_cohort_retention(con, month)
    rows = con.execute("select * from cohort_retention order by snapshot_month, cohort_month").fetchall()
    # Jan cohort = {a, b, c} (3); Feb cohort = {d} (1). Feb: a active; Mar: a and c (4 + 6 = 10).
    assert rows == [
        (JAN, JAN, 0, 3, 3, 1.0, 35.0),
        (FEB, JAN, 1, 3, 1, pytest.approx(1 / 3), 7.0),
        (FEB, FEB, 0, 1, 1, 1.0, 1.0),
        (MAR, JAN, 2, 3, 2, pytest.approx(2 / 3), 13.0),
        (MAR, FEB, 1, 1, 0, 0.0, 0.0),
    ]
    refresh_triangle_view(con, max_age_months=3)
    assert con.execute("select * from cohort_retention_triangle").fetchall() == [
        (JAN, 3, 1.0, pytest.approx(1 / 3), pytest.approx(2 / 3)),
        (FEB, 1, 1.0, 0.0, None),
    ]
    cohorts, grid = triangle(con)
    assert cohorts == [JAN, FEB] and grid[1] == [1.0, 0.0, None]
