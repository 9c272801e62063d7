"""Helpers that create the cleaned_transactions / customer_returns tables from plain tuples."""

from datetime import date


def make_tables(con, lines, returns=()):
    """lines: (customer_id, order_id, order_date, revenue); returns: (month, customer_id, value)."""
    con.execute("""create or replace table cleaned_transactions (snapshot_month date, order_id varchar,
        customer_id varchar, order_date date, line_revenue double)""")
    con.execute("""create or replace table customer_returns (snapshot_month date, customer_id varchar,
        returned_value double)""")
    for cust, order, day, revenue in lines:
        con.execute(
            "insert into cleaned_transactions values (?,?,?,?,?)",
            [date(day.year, day.month, 1), order, cust, day, revenue],
        )
    for month, cust, value in returns:
        con.execute("insert into customer_returns values (?,?,?)", [month, cust, value])
