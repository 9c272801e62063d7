"""The core build entries on tiny hand-made histories: what they write and what they return."""

from datetime import date

import duckdb
import pytest

from rfm_assets.core import clv
from rfm_assets.core.builds.behaviour import RfmConfig, build_rfm_snapshots
from rfm_assets.core.builds.lifetime_value import ClvFitError, build_clv_models
from rfm_assets.core.warehouse import ledger_row_count, table_exists
from rfm_assets_tests.unit.rfm_fixtures import make_tables

JAN = date(2010, 1, 1)
LINES = [
    ("a", "1", date(2010, 1, 5), 10.0),
    ("a", "2", date(2010, 1, 20), 30.0),
    ("b", "3", date(2010, 1, 9), 5.0),
]


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "w.duckdb"))
    make_tables(c, LINES)
    yield c
    c.close()


def test_clv_on_too_short_a_history_writes_both_tables_empty_and_typed(con):
    built = build_clv_models(con, JAN, clv.ClvConfig())
    assert built.fit.status == "insufficient_history" and not built.fitted
    for table in ("customer_lifetime_value", "clv_model_params"):
        assert ledger_row_count(con, table, JAN) == 0
    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns where table_name = 'customer_lifetime_value'"
        ).fetchall()
    )
    assert types["snapshot_month"] == "DATE" and types["customer_id"] == "VARCHAR"
    assert types["frequency"] == "BIGINT" and types["clv_12m"] == "DOUBLE"


def test_a_failed_clv_fit_raises_before_writing(con, monkeypatch):
    monkeypatch.setattr(clv, "fit_clv", lambda summary, cfg: clv.ClvFit(status="failed", message="boom"))
    with pytest.raises(ClvFitError, match="CLV fit failed for 2010-01: boom") as caught:
        build_clv_models(con, JAN, clv.ClvConfig())
    assert caught.value.fit.message == "boom"
    assert not table_exists(con, "customer_lifetime_value") and not table_exists(con, "clv_model_params")


def test_rfm_build_returns_the_profile_of_what_it_wrote(con):
    built = build_rfm_snapshots(con, JAN, RfmConfig(window_months=12))
    assert built.rows == 2  # customers a and b
    profile = built.segment_profile
    assert int(profile["customers"].sum()) == 2
    assert profile["revenue_share"].sum() == pytest.approx(1.0)
    monetary = dict(con.execute("select customer_id, monetary from rfm_snapshots").fetchall())
    assert monetary == {"a": 40.0, "b": 5.0}  # by hand: 10 + 30, and 5
