"""Each cleaning rule on hand-made raw lines; expected outcomes are written out by hand."""

from datetime import date, datetime

import pytest

from rfm_assets.core.ingest import build_cleaned_transactions, build_customer_returns
from rfm_assets.core.warehouse import connect

MONTH = date(2010, 12, 1)
T = datetime(2010, 12, 1, 8, 26)

# (label, invoice, stock_code, quantity, unit_price, amount, customer_id) -> expected removal reason
CASES = [
    ("ok_line", "536365", "85123A", 6, 2.55, None, "17850", None),
    ("ok_guest", "536366", "22633", 2, 1.85, None, None, None),
    ("cancel", "C536379", "85123A", -1, 2.55, None, "17850", "cancellation"),
    ("cancel_lowercase", "c536380", "22633", -2, 1.85, None, "17850", "cancellation"),
    ("bad_debt", "A563185", "B", 1, -11062.06, None, None, "adjustment"),
    ("postage", "536370", "POST", 3, 18.00, None, "12583", "non_product_code"),
    ("dotcom", "536544", "DOT", 1, 569.77, None, None, "non_product_code"),
    ("bank_charges", "537000", "BANK CHARGES", 1, 15.00, None, "15000", "non_product_code"),
    ("amazon_fee", "537001", "AMAZONFEE", 1, 13541.33, None, None, "non_product_code"),
    ("gift_voucher", "537002", "gift_0001_20", 1, 17.02, None, None, "non_product_code"),
    ("zero_price", "536414", "22139", 56, 0.00, None, None, "non_positive_price"),
    ("negative_qty", "536415", "22140", -5, 1.00, None, None, "non_positive_quantity"),
    ("cancel_beats_code", "C536381", "POST", -1, 18.00, None, "12583", "cancellation"),
]


@pytest.fixture
def con(tmp_path):
    with connect(tmp_path / "w.duckdb") as c:
        c.execute("""create table raw_orders (snapshot_month date, invoice varchar, stock_code varchar,
            description varchar, quantity double, unit_price double, amount double, invoice_date timestamp,
            customer_id varchar, country varchar, source_file varchar, source_row bigint, loaded_at timestamp)""")
        for i, (label, inv, code, qty, price, amount, cust, _) in enumerate(CASES, 1):
            c.execute(
                "insert into raw_orders values (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [MONTH, inv, code, label, qty, price, amount, T, cust, "United Kingdom", "f.csv", i, T],
            )
        # an exact duplicate of the first line (different source row, same content)
        c.execute("insert into raw_orders select * replace (14 as source_row) from raw_orders where source_row = 1")
        yield c


def test_each_rule_removes_exactly_its_lines(con):
    result = build_cleaned_transactions(con, MONTH)
    kept = con.execute("select description, source_row from cleaned_transactions order by source_row").fetchall()
    assert kept == [("ok_line", 1), ("ok_guest", 2)]
    expected = {
        "cancellation": 3,
        "adjustment": 1,
        "non_product_code": 5,
        "non_positive_price": 1,
        "non_positive_quantity": 1,
        "duplicate_line": 1,
    }
    assert result.removed == expected
    assert result.kept == 2 and result.guest_lines == 1
    assert result.revenue == pytest.approx(6 * 2.55 + 2 * 1.85)


def test_kept_lines_have_revenue_order_id_and_null_guest(con):
    build_cleaned_transactions(con, MONTH)
    rows = con.execute("""select order_id, line_revenue, customer_id, order_date
                          from cleaned_transactions order by source_row""").fetchall()
    assert rows == [
        ("536365", pytest.approx(15.3), "17850", date(2010, 12, 1)),
        ("536366", pytest.approx(3.7), None, date(2010, 12, 1)),
    ]


def test_amount_only_source_without_invoice_gets_one_order_per_customer_day(con):
    con.execute("delete from raw_orders")
    rows = [
        (None, "x", None, None, 10.0, datetime(2010, 12, 3, 9), "c1", 1),
        (None, "y", None, None, 5.0, datetime(2010, 12, 3, 17), "c1", 2),
        (None, "x", None, None, 7.0, datetime(2010, 12, 4, 9), "c1", 3),
        (None, "x", None, None, -4.0, datetime(2010, 12, 5, 9), "c1", 4),
    ]
    for inv, code, qty, price, amount, ts, cust, row in rows:
        con.execute(
            "insert into raw_orders values (?,?,?,null,?,?,?,?,?,null,'g.csv',?,?)",
            [MONTH, inv, code, qty, price, amount, ts, cust, row, T],
        )
    result = build_cleaned_transactions(con, MONTH)
    orders = con.execute(
        "select order_id, sum(line_revenue) from cleaned_transactions group by 1 order by 1"
    ).fetchall()
    assert orders == [("c1/2010-12-03", 15.0), ("c1/2010-12-04", 7.0)]
    assert result.removed["non_positive_price"] == 1  # the negative amount: a return, not a sale
    build_customer_returns(con, MONTH)
    assert con.execute("select customer_id, returned_value from customer_returns").fetchall() == [("c1", 4.0)]


def test_customer_returns_sum_cancelled_value_per_customer(con):
    build_customer_returns(con, MONTH)
    rows = con.execute(
        "select customer_id, return_invoices, returned_lines, returned_value from customer_returns order by customer_id"
    ).fetchall()
    # 17850: C536379 (1 x 2.55) and c536380 (2 x 1.85); 12583: C536381 (1 x 18.00)
    assert rows == [("12583", 1, 1, 18.0), ("17850", 2, 2, pytest.approx(6.25))]


def test_rebuilding_a_month_is_idempotent(con):
    build_cleaned_transactions(con, MONTH)
    first = con.execute("select * from cleaned_transactions order by all").fetchall()
    build_cleaned_transactions(con, MONTH)
    assert con.execute("select * from cleaned_transactions order by all").fetchall() == first
