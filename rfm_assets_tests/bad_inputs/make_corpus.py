"""The bad-input corpus: small source files, each broken in one way, with what the pipeline must do.

Every case is a good March 2011 export of ``BASE_LINES`` Online Retail II lines (see :func:`good_lines`)
broken in one way. ``decision`` is what the pipeline does with it:

- ``refuse``: staging raises a SourceError naming the file, the column (when one is concerned) and
  samples; no month is written, the warehouse keeps exactly its previous contents;
- ``quarantine``: the offending lines go to ``quarantined_lines`` with their reason, the rest of the
  month loads;
- ``load``: not an error at all (documented so nobody "fixes" it).

Write the corpus to a folder to look at it: ``python -m rfm_assets_tests.bad_inputs.make_corpus OUT``.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

HEADER = ["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"]
BASE_LINES = 200  # one bad line is 0.5% of a file: under the 1% quarantine limit
MONTH = "2011-03"


def good_lines(n: int = BASE_LINES) -> list[list[str]]:
    """``n`` valid purchase lines of March 2011: 40 invoices of 5 lines, 20 customers, UK and France."""
    lines = []
    for i in range(n):
        invoice = 540000 + i // 5
        day, minute = 1 + (i // 5) % 28, (7 * i) % 60
        lines.append(
            [
                str(invoice),
                f"2{i % 50:04d}",
                f"ITEM {i % 50} RED",
                str(1 + i % 12),
                f"2011-03-{day:02d} 10:{minute:02d}:00",
                f"{0.5 + (i % 19) * 0.45:.2f}",
                str(12346 + invoice % 20),
                "United Kingdom" if i % 4 else "France",
            ]
        )
    return lines


def csv_bytes(
    rows: list[list[str]], header: list[str] = HEADER, delimiter: str = ",", encoding: str = "utf-8"
) -> bytes:
    out = io.StringIO()
    for row in [header, *rows]:
        out.write(delimiter.join(row) + "\n")
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook has one worksheet
    sheet.append(HEADER)
    for row in rows:
        sheet.append(
            [row[0], row[1], row[2], int(row[3]), datetime.fromisoformat(row[4]), float(row[5]), int(row[6]), row[7]]
        )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _with(rows: list[list[str]], changes: dict[int, dict[int, str]]) -> list[list[str]]:
    out = [list(r) for r in rows]
    for index, cells in changes.items():
        for column, value in cells.items():
            out[index][column] = value
    return out


@dataclass(frozen=True)
class Case:
    """One broken source: its files (one file = the source is that file, several = a folder)."""

    name: str
    files: dict[str, bytes]
    decision: str  # refuse | quarantine | load
    expect: tuple[str, ...]  # snippets the error (refuse) or the quarantined offending values must contain
    file: str | None = None  # the file the error must name
    column: str | None = None  # the column the error must name
    source_format: str = "online_retail"
    columns: str | None = None  # RFM_COLUMNS for generic sources
    reasons: dict[str, int] = field(default_factory=dict)  # quarantine: lines per reason


def cases() -> list[Case]:
    """Every case of the corpus."""
    good = good_lines()
    q, d, p, c = 3, 4, 5, 6  # column indexes: Quantity, InvoiceDate, Price, Customer ID
    xlsx = xlsx_bytes(good)
    no_price = [h for h in HEADER if h != "Price"]
    accents = _with(good, {0: {2: "CAFÉ CRÈME MUG"}, 1: {2: "CRÈME BRÛLÉE SET"}})
    return [
        Case(
            "missing_columns",
            {"orders.csv": csv_bytes([r[:5] + r[6:] for r in good], no_price)},
            "refuse",
            ("missing columns Price/UnitPrice",),
            "orders.csv",
            "Price/UnitPrice",
        ),
        Case(
            "misspelled_format",
            {"orders.csv": csv_bytes(good)},
            "refuse",
            ("unknown source format 'onlineretail'", "did you mean 'online_retail'"),
            source_format="onlineretail",
        ),
        Case("empty_file", {"orders.csv": b""}, "refuse", ("empty (0 bytes)",), "orders.csv"),
        Case("header_only", {"orders.csv": csv_bytes([])}, "refuse", ("header but no data rows",), "orders.csv"),
        Case(
            "wrong_delimiter",
            {"orders.csv": csv_bytes(good, delimiter=";")},
            "refuse",
            ("';' as delimiter",),
            "orders.csv",
            "Invoice/InvoiceNo",
        ),
        Case(
            "unparsable_dates",
            {"orders.csv": csv_bytes(_with(good, {7: {d: "13/03/2011 10:00"}, 9: {d: "yesterday"}}))},
            "refuse",
            ("not dates", "row 8: '13/03/2011 10:00'", "row 10: 'yesterday'"),
            "orders.csv",
            "InvoiceDate",
        ),
        Case(
            "text_in_numbers_everywhere",
            {"orders.csv": csv_bytes([r[:p] + ["£" + r[p]] + r[p + 1 :] for r in good])},
            "refuse",
            ("not numbers", "row 1: '£0.50'", "refused rather than"),
            "orders.csv",
            "Price",
        ),
        Case("xlsx_named_csv", {"orders.csv": xlsx}, "refuse", ("it is an XLSX workbook",), "orders.csv"),
        Case("csv_named_xlsx", {"orders.xlsx": csv_bytes(good)}, "refuse", ("looks like CSV text",), "orders.xlsx"),
        Case(
            "truncated_xlsx",
            {"orders.xlsx": xlsx[: len(xlsx) * 2 // 3]},
            "refuse",
            ("truncated or corrupted",),
            "orders.xlsx",
        ),
        Case(
            "mixed_encodings",
            {"orders.csv": csv_bytes(accents[:1]) + "".join(",".join(r) + "\n" for r in accents[1:]).encode("cp1252")},
            "refuse",
            (
                "mixes text encodings",
                "line 2 (UTF-8): '540000,20000,CAFÉ CRÈME MUG",
                "line 3 (not UTF-8, read as cp1252): '540000,20001,CRÈME BRÛLÉE SET",
            ),
            "orders.csv",
            "Description",
        ),
        Case(
            "duplicate_files",
            {"2011-03.csv": csv_bytes(good), "2011-03 (1).csv": csv_bytes(good)},
            "refuse",
            ("exactly the same content as '2011-03 (1).csv'",),
            "2011-03.csv",
        ),
        Case(
            "generic_mapping_names_missing_column",
            {"orders.csv": csv_bytes([[r[6], r[4], r[p]] for r in good], ["cust", "date", "total"])},
            "refuse",
            ("the mapping names column 'amt' (for amount)", "'cust', 'date', 'total'"),
            "orders.csv",
            "amt",
            source_format="generic",
            columns="customer_id=cust,order_date=date,amount=amt",
        ),
        Case(
            "text_in_numbers_sporadic",
            {"orders.csv": csv_bytes(_with(good, {10: {p: "abc"}, 20: {q: ""}}))},
            "quarantine",
            ("Price='abc'", "Quantity=(empty)"),
            reasons={"not_a_number": 1, "missing_number": 1},
        ),
        Case(
            "future_date",
            {"orders.csv": csv_bytes(_with(good, {30: {d: "2099-03-05 10:00:00"}}))},
            "quarantine",
            ("invoice_date=2099-03-05 10:00:00",),
            reasons={"future_date": 1},
        ),
        Case(
            "date_far_outside",
            {"orders.csv": csv_bytes(_with(good, {40: {d: "1911-03-05 10:00:00"}}))},
            "quarantine",
            ("invoice_date=1911-03-05 10:00:00",),
            reasons={"date_out_of_range": 1},
        ),
        Case(
            "absurd_values",
            {
                "orders.csv": csv_bytes(
                    _with(good, {50: {q: "1000000000"}, 60: {p: "10000000"}, 70: {q: "-1000000000", c: "12399"}})
                )
            },
            "quarantine",
            ("quantity=1000000000.0", "unit_price=10000000.0", "quantity=-1000000000.0"),
            reasons={"absurd_quantity": 2, "absurd_price": 1},
        ),
        Case(
            "encodings_differ_between_files",
            {
                "a.csv": csv_bytes(accents[:100]),
                "b.csv": csv_bytes(_with(good[100:], {0: {2: "CAFÉ CRÈME MUG"}}), encoding="cp1252"),
            },
            "load",
            (),
        ),
    ]


def write_case(case: Case, folder: Path) -> Path:
    """Write ``case``'s files into ``folder``; the source path (the file, or the folder when several)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in case.files.items():
        (folder / name).write_bytes(content)
    return folder / next(iter(case.files)) if len(case.files) == 1 else folder


def main(argv: list[str]) -> int:
    """Write every case into ``argv[0]/<case name>/``."""
    out = Path(argv[0] if argv else "bad_inputs_corpus")
    for case in cases():
        write_case(case, out / case.name)
        print(f"{case.decision:<10} {case.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
