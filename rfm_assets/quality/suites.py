"""The great-expectations suite of every asset, per partition month.

Each suite is a function of the month so that range expectations (dates inside the month) can be
stated exactly. Blocking suites guard what would corrupt downstream assets: schema, keys, nulls,
ranges.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

import great_expectations.expectations as gxe

from rfm_assets.core.months import add_months
from rfm_assets.core.sqlfiles import load_sidecar

Suite = Callable[[date], list]

FLOAT_RENDERED_ID = r"\.0+$"


def _columns(name: str) -> gxe.ExpectTableColumnsToMatchSet:
    return gxe.ExpectTableColumnsToMatchSet(column_set=list(load_sidecar(name).columns), exact_match=True)


def _in_month(column: str, month: date) -> gxe.ExpectColumnValuesToBeBetween:
    start = datetime(month.year, month.month, 1)
    end = datetime.combine(add_months(month, 1), datetime.min.time())
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=start, max_value=end, strict_max=True)


def raw_orders_suite(month: date) -> list:
    """Source lines: typed, traceable to file and row, inside the month, ids never float-rendered."""
    return [
        _columns("raw_orders"),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
        gxe.ExpectColumnValuesToNotBeNull(column="invoice_date"),
        _in_month("invoice_date", month),
        gxe.ExpectColumnValuesToNotBeNull(column="source_file"),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_file", "source_row"]),
        gxe.ExpectColumnValuesToNotMatchRegex(column="customer_id", regex=FLOAT_RENDERED_ID),
    ]


def cleaned_transactions_suite(month: date) -> list:
    """Purchase lines: positive quantities, prices and revenue, no cancellations, keys present."""
    return [
        _columns("cleaned_transactions"),
        gxe.ExpectColumnValuesToNotBeNull(column="order_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="line_revenue"),
        gxe.ExpectColumnValuesToBeBetween(column="line_revenue", min_value=0, strict_min=True),
        gxe.ExpectColumnValuesToBeBetween(column="quantity", min_value=0, strict_min=True),
        gxe.ExpectColumnValuesToBeBetween(column="unit_price", min_value=0, strict_min=True),
        gxe.ExpectColumnValuesToNotMatchRegex(column="invoice", regex=r"^[CcAa]"),
        _in_month("invoice_date", month),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["source_file", "source_row"]),
        gxe.ExpectColumnValuesToNotMatchRegex(column="customer_id", regex=FLOAT_RENDERED_ID),
    ]


def customer_returns_suite(month: date) -> list:
    """One row per customer, positive returned value."""
    return [
        _columns("customer_returns"),
        gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
        gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
        gxe.ExpectColumnValuesToBeBetween(column="returned_value", min_value=0, strict_min=True),
    ]


SUITES: dict[str, Suite] = {
    "raw_orders": raw_orders_suite,
    "cleaned_transactions": cleaned_transactions_suite,
    "customer_returns": customer_returns_suite,
}
