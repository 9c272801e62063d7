"""Empty months: the ledger records why a month is empty, raw_orders builds a month of the source with
no lines, and refuses (changing nothing) a month that had lines and lost them unless accepted."""

from datetime import date, datetime, timedelta

import duckdb
import great_expectations.expectations as gxe
import pandas as pd
import pytest

from rfm_assets.checks.gx_checks import month_expectations
from rfm_assets.core.forecasting import forecast_all
from rfm_assets.core.ingest import build_cleaned_transactions, build_raw_orders
from rfm_assets.core.warehouse import (
    PartitionEmptiedError,
    WarehouseError,
    built_empty_months,
    built_months,
    connect,
    is_built_empty,
    ledger_row_count,
    replace_partition,
    table_checksum,
)
from rfm_assets.quality.suites import build_suites
from rfm_assets.resources import OrderSourceResource
from rfm_assets.settings import Settings

JAN, FEB, MAR, APR = (date(2011, m, 1) for m in (1, 2, 3, 4))
LOADED = datetime(2024, 1, 1)


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "w.duckdb") as c:
        yield c


def _q(n: int) -> str:
    return f"select $m::date as snapshot_month, range::int as x from range({n})"


def test_ledger_records_why_a_month_is_empty(con):
    replace_partition(con, "t", JAN, _q(2), {"m": JAN})
    replace_partition(con, "t", FEB, _q(0), {"m": FEB}, allow_empty=True, empty_reason="shop closed")
    replace_partition(con, "t", MAR, _q(0), {"m": MAR}, allow_empty=True)
    assert built_months(con, "t") == {JAN, FEB, MAR}
    assert [ledger_row_count(con, "t", m) for m in (JAN, FEB, APR)] == [2, 0, None]
    assert set(built_empty_months(con, "t")) == {FEB, MAR} and built_empty_months(con, "t")[FEB] == "shop closed"
    assert (is_built_empty(con, "t", JAN), is_built_empty(con, "t", FEB), is_built_empty(con, "t", APR)) == (
        False,
        True,
        False,
    )
    assert con.execute("select empty_reason from _partitions where snapshot_month = ?", [JAN]).fetchone() == (None,)


def test_a_ledger_written_before_empty_reason_existed_keeps_working(con):
    con.execute(
        "create table _partitions (table_name varchar, snapshot_month date, row_count bigint, "
        "primary key (table_name, snapshot_month))"
    )
    con.execute("insert into _partitions values ('t', ?, 0)", [JAN])
    assert set(built_empty_months(con, "t")) == {JAN}  # read before any new write: no column yet
    replace_partition(con, "t", FEB, _q(1), {"m": FEB})
    assert ledger_row_count(con, "t", JAN) == 0 and ledger_row_count(con, "t", FEB) == 1
    assert is_built_empty(con, "t", JAN) and not is_built_empty(con, "t", FEB)


def test_keep_nonempty_refuses_to_empty_a_month_that_had_rows(con):
    replace_partition(con, "t", JAN, _q(3), {"m": JAN})
    before = table_checksum(con, "t"), table_checksum(con, "_partitions")
    with pytest.raises(PartitionEmptiedError, match="2011-01 held 3 rows") as info:
        replace_partition(con, "t", JAN, _q(0), {"m": JAN}, allow_empty=True, keep_nonempty=True)
    assert info.value.before == 3
    assert (table_checksum(con, "t"), table_checksum(con, "_partitions")) == before
    # a month first built empty may be rebuilt empty, and without keep_nonempty any month may be emptied
    replace_partition(con, "t", FEB, _q(0), {"m": FEB}, allow_empty=True, keep_nonempty=True)
    assert replace_partition(con, "t", FEB, _q(0), {"m": FEB}, allow_empty=True, keep_nonempty=True) == 0
    assert replace_partition(con, "t", JAN, _q(0), {"m": JAN}, allow_empty=True) == 0


def _staged(tmp_path, months: list[date]):
    """A staged-source parquet with two lines per month of ``months``."""
    path = tmp_path / "staged.parquet"
    rows = [
        f"('INV{i}', 'SKU', 'thing', 1, 2.5, null::double, timestamp '{m} 10:00:00' + interval {j} hour, "
        f"'c{i}', 'UK', 'orders.csv', {i})"
        for i, (m, j) in enumerate((m, j) for m in months for j in range(2))
    ]
    duckdb.execute(
        "copy (select * from (values " + ", ".join(rows) + ") as t(invoice, stock_code, description, quantity, "
        "unit_price, amount, invoice_date, customer_id, country, source_file, source_row)) to '" + str(path) + "'"
    )
    return path


def test_raw_orders_builds_a_month_of_the_span_without_lines(con, tmp_path):
    full = _staged(tmp_path, [JAN, MAR])
    assert build_raw_orders(con, JAN, full, LOADED, span=(JAN, MAR)) == 2
    assert build_raw_orders(con, FEB, full, LOADED, span=(JAN, MAR)) == 0
    assert "inside the source's span 2011-01..2011-03" in built_empty_months(con, "raw_orders")[FEB]
    assert build_cleaned_transactions(con, FEB).kept == 0 and is_built_empty(con, "cleaned_transactions", FEB)
    with pytest.raises(WarehouseError, match="outside the source's span 2011-01..2011-03"):
        build_raw_orders(con, APR, full, LOADED, span=(JAN, MAR))
    assert APR not in built_months(con, "raw_orders")


def test_cleaned_transactions_still_refuses_when_raw_orders_was_never_built(con, tmp_path):
    build_raw_orders(con, JAN, _staged(tmp_path, [JAN]), LOADED, span=(JAN, JAN))
    with pytest.raises(WarehouseError, match="no rows for 2011-02"):
        build_cleaned_transactions(con, FEB)


def test_a_month_that_lost_its_lines_is_refused_unless_accepted(con, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    full, lost = _staged(tmp_path / "a", [JAN, FEB, MAR]), _staged(tmp_path / "b", [JAN, MAR])
    build_raw_orders(con, FEB, full, LOADED, span=(JAN, MAR))
    before = table_checksum(con, "raw_orders"), table_checksum(con, "_partitions")
    with pytest.raises(WarehouseError) as info:
        build_raw_orders(con, FEB, lost, LOADED, span=(JAN, MAR))
    message = str(info.value)
    assert "2011-02" in message and "2 rows before, 0 after" in message and "RFM_ACCEPT_EMPTY_MONTHS=2011-02" in message
    assert (table_checksum(con, "raw_orders"), table_checksum(con, "_partitions")) == before
    assert build_raw_orders(con, FEB, lost, LOADED, span=(JAN, MAR), accept_emptied=True) == 0
    assert "held 2" in built_empty_months(con, "raw_orders")[FEB]


def test_operator_flag_is_parsed_in_settings_and_asked_through_the_resource():
    assert Settings.from_env({}).accept_empty_months == ""
    assert Settings.from_env({"RFM_ACCEPT_EMPTY_MONTHS": " ALL "}).accept_empty_months == "all"
    flag = Settings.from_env({"RFM_ACCEPT_EMPTY_MONTHS": "2011-04, 2011-03,2011-04"}).accept_empty_months
    assert flag == "2011-03,2011-04"
    with pytest.raises(ValueError, match="RFM_ACCEPT_EMPTY_MONTHS='March'"):
        Settings.from_env({"RFM_ACCEPT_EMPTY_MONTHS": "March"})
    source = OrderSourceResource(accept_empty_months=flag)
    assert (source.accepts_emptied(MAR), source.accepts_emptied(FEB)) == (True, False)
    assert OrderSourceResource(accept_empty_months="all").accepts_emptied(FEB)
    assert not OrderSourceResource().accepts_emptied(FEB)


def _row_count_bounds(expectations):
    return [(e.min_value, e.max_value) for e in expectations if isinstance(e, gxe.ExpectTableRowCountToBeBetween)]


def test_suites_accept_an_empty_month_only_when_the_ledger_says_so():
    raw_orders_suite = build_suites()["raw_orders"]
    assert _row_count_bounds(month_expectations(raw_orders_suite, FEB)) == [(1, None)]
    assert _row_count_bounds(month_expectations(raw_orders_suite, FEB, built_empty=True)) == [(0, 0)]
    assert len(month_expectations(raw_orders_suite, FEB, built_empty=True)) == len(raw_orders_suite(FEB))


def test_forecasts_see_a_month_without_days_as_zero():
    days = [d for d in (JAN + timedelta(days=i) for i in range(120)) if d.month != 3]  # no day in March
    daily = pd.DataFrame([{"series": "company", "ds": d, "y": 10.0} for d in days])
    history = forecast_all(pd.DataFrame(daily), date(2011, 4, 30)).history
    monthly = dict(zip(history["ds"], history["y"], strict=True))
    assert monthly == {JAN: 310.0, FEB: 280.0, MAR: 0.0, APR: 300.0}


def test_a_three_month_pause_in_a_big_source_is_no_stray_block():
    from rfm_assets.core.sources.quarantine import trusted_range

    months = [date(2010 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(1, 25)]
    pause = {date(2010, 6, 1), date(2010, 7, 1), date(2010, 8, 1)}  # 3 empty months after 5 busy ones
    lines = {m: 1_000 for m in months if m not in pause}
    assert trusted_range(lines) == (months[0], months[-1])
    # what the rule is for: a tiny block beyond such a gap (<= 1% of the lines) is set aside
    assert trusted_range({**lines, date(2009, 9, 1): 5}) == (months[0], months[-1])


def test_a_month_of_the_span_whose_every_line_was_quarantined_is_refused(con, tmp_path):
    staged, rejects = _staged(tmp_path, [JAN, MAR]), tmp_path / "rejects.parquet"
    duckdb.execute(f"copy (select 'absurd_price' as reason, date '{FEB}' as report_month from range(3)) to '{rejects}'")
    with pytest.raises(WarehouseError) as info:
        build_raw_orders(con, FEB, staged, LOADED, rejects, span=(JAN, MAR))
    assert "Every line of 2011-02 was quarantined (3 absurd_price)" in str(info.value)
    assert "outside" not in str(info.value) and FEB not in built_months(con, "raw_orders")
