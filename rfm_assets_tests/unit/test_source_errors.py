"""Source readers on bad input: each error names the file, the column, the problem and sample rows."""

import pickle
from datetime import datetime

import pytest

from rfm_assets.core.sources import (
    SourceError,
    parse_column_mapping,
)
from rfm_assets_tests.unit.source_files import (
    GENERIC,
    II_ROWS,
    UCI_II_HEADER,
    source_error,
    uci_ii_xlsx,
    write,
)


def test_bad_dates_name_file_column_and_rows(tmp_path):
    text = UCI_II_HEADER + II_ROWS[0] + "\n" + II_ROWS[1].replace("2009-12-01 07:46:00", "13/12/2009 07:46") + "\n"
    err = source_error(tmp_path, write(tmp_path / "retail.csv", text))
    assert (err.file, err.column) == ("retail.csv", "InvoiceDate")
    assert err.samples == ["row 2: '13/12/2009 07:46'"]
    assert "day/month/year" in err.problem
    assert "retail.csv" in str(err) and "InvoiceDate" in str(err) and "row 2" in str(err)


def test_text_in_numeric_column_and_missing_values(tmp_path):
    text = (
        UCI_II_HEADER
        + "\n".join([II_ROWS[0].replace(",6.95,", ",£6.95,"), II_ROWS[1].replace(",2.55,", ",,"), II_ROWS[2]])
        + "\n"
    )
    err = source_error(tmp_path, write(tmp_path / "retail.csv", text))
    assert (err.file, err.column) == ("retail.csv", "Price")
    assert err.samples == ["row 1: '£6.95'", "row 2: (empty)"]
    assert "not numbers" in err.problem and "no value" in err.problem


def test_generic_amount_must_be_a_number(tmp_path):
    path = write(tmp_path / "orders.csv", "cust,dt,amt\n1,2011-01-01,abc\n2,2011-01-02,nan\n3,2011-01-03,4\n")
    err = source_error(tmp_path, path, "generic", GENERIC)
    assert (err.file, err.column, err.samples) == ("orders.csv", "amt", ["row 1: 'abc'", "row 2: 'nan'"])


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (UCI_II_HEADER.encode(), "no data rows"),
        (UCI_II_HEADER.replace(",", ";").encode() + b"1;2;x;3;2010-01-01;1;2;UK\n", "';' as delimiter"),
        (b"PK\x03\x04" + bytes(200), "XLSX"),
        (bytes(range(256)), "binary"),
    ],
)
def test_unreadable_csv_files(tmp_path, content, expected):
    path = tmp_path / "retail.csv"
    path.write_bytes(content)
    err = source_error(tmp_path, path)
    assert err.file == "retail.csv" and expected in err.problem


def test_missing_columns_are_listed(tmp_path):
    err = source_error(tmp_path, write(tmp_path / "retail.csv", "Invoice,StockCode,Qty\n1,2,3\n"))
    assert err.column == "Quantity" and "InvoiceDate" in err.problem and err.samples == ["Invoice", "StockCode", "Qty"]


def test_ragged_row_names_the_line(tmp_path):
    text = UCI_II_HEADER + II_ROWS[0] + "\n" + II_ROWS[1] + ",extra\n"
    err = source_error(tmp_path, write(tmp_path / "retail.csv", text))
    assert err.file == "retail.csv" and "not a well-formed" in err.problem
    assert err.samples and err.samples[0].startswith("line 3: '489435")


def test_xlsx_that_is_not_a_workbook(tmp_path):
    csv_named_xlsx = write(tmp_path / "a.xlsx", UCI_II_HEADER + II_ROWS[0] + "\n")
    assert "looks like CSV" in source_error(tmp_path, csv_named_xlsx).problem
    good = uci_ii_xlsx(tmp_path / "good.xlsx", {"Sheet": [["1", "2", "x", 1, datetime(2010, 1, 1), 1.0, 1.0, "UK"]]})
    truncated = tmp_path / "b.xlsx"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    err = source_error(tmp_path, truncated)
    assert err.file == "b.xlsx" and "truncated or corrupted" in err.problem
    header_only = uci_ii_xlsx(tmp_path / "c.xlsx", {"Sheet": []})
    assert "no data rows" in source_error(tmp_path, header_only).problem


def test_parquet_that_is_not_parquet(tmp_path):
    path = write(tmp_path / "lines.parquet", "cust,dt,amt\n1,2011-01-01,3\n")
    err = source_error(tmp_path, path, "generic", GENERIC)
    assert err.file == "lines.parquet" and "not a Parquet file" in err.problem


def test_spec_is_validated_up_front(tmp_path):
    path = write(tmp_path / "orders.csv", "customer,dt,amt\n1,2011-01-01,3\n")
    assert "does not exist" in source_error(tmp_path, tmp_path / "missing.csv").problem
    assert "did you mean 'generic'" in source_error(tmp_path, path, "gneric").problem
    assert "needs a column mapping" in source_error(tmp_path, path, "generic").problem
    err = source_error(tmp_path, path, "generic", GENERIC)
    assert err.column == "cust" and err.samples == ["customer", "dt", "amt"] and "'customer'" in err.problem
    assert "unsupported file type" in source_error(tmp_path, write(tmp_path / "x.json", "{}")).problem


def test_parse_column_mapping():
    assert parse_column_mapping(" customer_id = Customer ID , order_date=dt,amount=amt ") == {
        "customer_id": "Customer ID",
        "order_date": "dt",
        "amount": "amt",
    }
    for text, message in [
        ("customer_id=c,order_date=d,amount", "malformed"),
        ("customer_id=c,order_date=d,amout=a", "did you mean 'amount'"),
        ("customer_id=c,amount=a", "order_date"),
        ("customer_id=c,order_date=d,quantity=q", "unit_price"),
        ("customer_id=c,order_date=d", "amount"),
        ("", "empty"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_column_mapping(text)


def test_source_error_message_and_pickling():
    err = SourceError("a.csv", "2 of 3 values are not numbers", column="Price", samples=["row 1: 'x'"])
    assert str(err).splitlines() == [
        "cannot stage source file 'a.csv'",
        "  column: 'Price'",
        "  problem: 2 of 3 values are not numbers",
        "  samples:",
        "    row 1: 'x'",
    ]
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.file, copy.column, copy.problem, copy.samples) == (err.file, err.column, err.problem, err.samples)
