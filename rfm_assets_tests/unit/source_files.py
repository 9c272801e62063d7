"""Small source files for the source-reader tests (test_sources.py, test_source_errors.py): headers and rows
shaped like the UCI exports, and helpers that write, stage and catch a SourceError."""

import duckdb
import openpyxl
import pytest

from rfm_assets.core.sources import (
    SourceError,
    SourceSpec,
    stage_source,
)

UCI_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
UCI_II_HEADER = "Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country\n"
II_ROWS = [
    "489434,85048,15CM CHRISTMAS GLASS BALL 20 LIGHTS,12,2009-12-01 07:45:00,6.95,13085.0,United Kingdom",
    "489435,22350,CAT BOWL ,12,2009-12-01 07:46:00,2.55,,United Kingdom",
    "C489449,22087,PAPER BUNTING WHITE LACE,-12,2010-01-04 10:33:00,2.95,16321.0,Australia",
]
GENERIC = {"customer_id": "cust", "order_date": "dt", "amount": "amt"}


def rows(staged, order="source_file, source_row"):
    return duckdb.sql(f"select * from read_parquet('{staged.parquet_path}') order by {order}").fetchall()


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


def stage(tmp_path, path, fmt="online_retail", columns=None):
    return stage_source(SourceSpec(path=path, format=fmt, columns=columns), tmp_path / "staging")


def source_error(tmp_path, path, fmt="online_retail", columns=None) -> SourceError:
    with pytest.raises(SourceError) as info:
        stage(tmp_path, path, fmt, columns)
    return info.value


def uci_ii_xlsx(path, sheets):
    book = openpyxl.Workbook()
    for default_sheet in book.worksheets:  # a new workbook has one empty sheet
        book.remove(default_sheet)
    for title, lines in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(UCI_II_HEADER.strip().split(","))
        for line in lines:
            sheet.append(line)
    book.save(path)
    return path
