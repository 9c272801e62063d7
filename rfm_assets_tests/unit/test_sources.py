"""Source readers: real-shaped Online Retail / generic files in, one typed staged Parquet out."""

import os
from datetime import date, datetime

import duckdb
import polars as pl

from rfm_assets.core.sources import (
    STAGED_COLUMNS,
    SourceSpec,
    parse_column_mapping,
    source_month_range,
)
from rfm_assets_tests.unit.source_files import (
    GENERIC,
    II_ROWS,
    UCI_HEADER,
    UCI_II_HEADER,
    rows,
    source_error,
    stage,
    uci_ii_xlsx,
    write,
)


def test_online_retail_latin1_csv_with_us_dates(tmp_path):
    text = UCI_HEADER + (
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
        "536366,22633,HAND WARMER £ CAFÉ crème,6,12/1/2010 8:28,1.85,,France\n"
        "C536379,D,Discount,-1,1/10/11 9:41,27.5,14527,United Kingdom\n"
    )
    staged = stage(tmp_path, write(tmp_path / "Online Retail.csv", text, "latin-1"))
    name = "Online Retail.csv"
    assert rows(staged) == [
        (
            "536365",
            "85123A",
            "WHITE HANGING HEART T-LIGHT HOLDER",
            6.0,
            2.55,
            None,
            datetime(2010, 12, 1, 8, 26),
            "17850",
            "United Kingdom",
            name,
            1,
        ),
        (
            "536366",
            "22633",
            "HAND WARMER £ CAFÉ crème",
            6.0,
            1.85,
            None,
            datetime(2010, 12, 1, 8, 28),
            None,
            "France",
            name,
            2,
        ),
        (
            "C536379",
            "D",
            "Discount",
            -1.0,
            27.5,
            None,
            datetime(2011, 1, 10, 9, 41),
            "14527",
            "United Kingdom",
            name,
            3,
        ),
    ]
    assert (staged.files, staged.row_count) == ((name,), 3)
    assert (staged.first_month, staged.last_month) == (date(2010, 12, 1), date(2011, 1, 1))


def test_cp1252_bytes_outside_latin1_are_decoded(tmp_path):
    text = UCI_HEADER + "536365,85123A,MUG “TEA” €5 ’N’,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
    staged = stage(tmp_path, write(tmp_path / "retail.csv", text, "cp1252"))
    assert rows(staged)[0][2] == "MUG “TEA” €5 ’N’"


def test_online_retail_ii_csv_with_bom_and_float_ids(tmp_path):
    text = "\ufeff" + UCI_II_HEADER + "\n".join(II_ROWS) + "\n,,,,,,,\n"  # trailing empty spreadsheet row
    staged = stage(tmp_path, write(tmp_path / "online_retail_II.csv", text))
    name = "online_retail_II.csv"
    assert rows(staged) == [
        (
            "489434",
            "85048",
            "15CM CHRISTMAS GLASS BALL 20 LIGHTS",
            12.0,
            6.95,
            None,
            datetime(2009, 12, 1, 7, 45),
            "13085",
            "United Kingdom",
            name,
            1,
        ),
        (
            "489435",
            "22350",
            "CAT BOWL ",
            12.0,
            2.55,
            None,
            datetime(2009, 12, 1, 7, 46),
            None,
            "United Kingdom",
            name,
            2,
        ),
        (
            "C489449",
            "22087",
            "PAPER BUNTING WHITE LACE",
            -12.0,
            2.95,
            None,
            datetime(2010, 1, 4, 10, 33),
            "16321",
            "Australia",
            name,
            3,
        ),
    ]
    schema = duckdb.sql(f"describe select * from read_parquet('{staged.parquet_path}')").fetchall()
    assert [(c[0], c[1]) for c in schema] == list(STAGED_COLUMNS.items())


def test_online_retail_ii_xlsx_reads_both_sheets(tmp_path):
    path = uci_ii_xlsx(
        tmp_path / "online_retail_II.xlsx",
        {
            "Year 2009-2010": [
                [
                    "489434",
                    "85048",
                    "15CM CHRISTMAS GLASS BALL 20 LIGHTS",
                    12,
                    datetime(2009, 12, 1, 7, 45),
                    6.95,
                    13085.0,
                    "United Kingdom",
                ],
                [None] * 8,  # an empty row inside the sheet is skipped, row numbers keep the sheet's numbering
                [489435, "22350", "CAT BOWL ", 12, datetime(2009, 12, 1, 7, 46), 2.55, None, "United Kingdom"],
            ],
            "Year 2010-2011": [["C536379", "D", "Discount", -1, datetime(2010, 12, 1, 9, 41), 27.5, 14527.0, "Spain"]],
        },
    )
    staged = stage(tmp_path, path)
    first, second = "online_retail_II.xlsx[Year 2009-2010]", "online_retail_II.xlsx[Year 2010-2011]"
    assert rows(staged) == [
        (
            "489434",
            "85048",
            "15CM CHRISTMAS GLASS BALL 20 LIGHTS",
            12.0,
            6.95,
            None,
            datetime(2009, 12, 1, 7, 45),
            "13085",
            "United Kingdom",
            first,
            1,
        ),
        (
            "489435",
            "22350",
            "CAT BOWL ",
            12.0,
            2.55,
            None,
            datetime(2009, 12, 1, 7, 46),
            None,
            "United Kingdom",
            first,
            3,
        ),
        ("C536379", "D", "Discount", -1.0, 27.5, None, datetime(2010, 12, 1, 9, 41), "14527", "Spain", second, 1),
    ]
    assert staged.files == ("online_retail_II.xlsx",)


def test_generic_csv_with_and_without_order_id(tmp_path):
    path = write(tmp_path / "orders.csv", "cust,dt,amt,oid\n 42 ,2011-03-04 10:20:30,19.90,A1\nnan,2011-03-05,5,A2\n")
    staged = stage(tmp_path, path, "generic", GENERIC)
    assert rows(staged) == [
        (None, None, None, None, None, 19.9, datetime(2011, 3, 4, 10, 20, 30), "42", None, "orders.csv", 1),
        (None, None, None, None, None, 5.0, datetime(2011, 3, 5), None, None, "orders.csv", 2),
    ]
    with_id = stage(tmp_path, path, "generic", {**GENERIC, "order_id": "oid"})
    assert [r[0] for r in rows(with_id)] == ["A1", "A2"]
    assert with_id.fingerprint != staged.fingerprint


def test_generic_parquet_with_quantity_and_price(tmp_path):
    path = tmp_path / "lines.parquet"
    pl.DataFrame(
        {
            "client": [17850.0, None, float("nan")],
            "ts": [datetime(2011, 1, 2, 3, 4), datetime(2011, 2, 1), datetime(2011, 2, 2)],
            "qty": [2, 3, 1],
            "price": [1.5, 2.0, 0.5],
            "sku": [85123, 22633, 22634],
            "land": ["UK", None, "FR"],
        }
    ).write_parquet(path)
    mapping = parse_column_mapping(
        "customer_id=client,order_date=ts,quantity=qty,unit_price=price,product=sku,country=land"
    )
    assert rows(stage(tmp_path, path, "generic", mapping)) == [
        (None, "85123", None, 2.0, 1.5, None, datetime(2011, 1, 2, 3, 4), "17850", "UK", "lines.parquet", 1),
        (None, "22633", None, 3.0, 2.0, None, datetime(2011, 2, 1), None, None, "lines.parquet", 2),
        (None, "22634", None, 1.0, 0.5, None, datetime(2011, 2, 2), None, "FR", "lines.parquet", 3),
    ]


def test_folder_of_files_in_name_order(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    write(folder / "b_2010.csv", UCI_II_HEADER + II_ROWS[2] + "\n")
    write(folder / "a_2009.csv", UCI_II_HEADER + "\n".join(II_ROWS[:2]) + "\n")
    write(folder / "notes.txt", "ignored")
    staged = stage(tmp_path, folder)
    assert staged.files == ("a_2009.csv", "b_2010.csv")
    assert [(r[0], r[9], r[10]) for r in rows(staged)] == [
        ("489434", "a_2009.csv", 1),
        ("489435", "a_2009.csv", 2),
        ("C489449", "b_2010.csv", 1),
    ]
    assert source_month_range(SourceSpec(folder), tmp_path / "staging") == (date(2009, 12, 1), date(2010, 1, 1))


def test_duplicate_files_in_folder_are_refused(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("2010.csv", "2010 (copy).csv"):
        write(folder / name, UCI_II_HEADER + II_ROWS[0] + "\n")
    write(folder / "other.csv", UCI_II_HEADER + II_ROWS[1] + "\n")
    err = source_error(tmp_path, folder)
    assert "2010.csv" in str(err) and "2010 (copy).csv" in str(err)
    assert sorted(err.samples) == ["2010 (copy).csv", "2010.csv"]


def test_cache_keeps_loaded_at_and_touching_restages(tmp_path):
    path = write(tmp_path / "retail.csv", UCI_II_HEADER + "\n".join(II_ROWS) + "\n")
    first = stage(tmp_path, path)
    written = first.parquet_path.stat().st_mtime_ns
    again = stage(tmp_path, path)
    assert again == first and again.parquet_path.stat().st_mtime_ns == written
    assert first.parquet_path.with_suffix(".json").exists()
    assert not [p for p in (tmp_path / "staging").iterdir() if p.name.startswith(".work")]
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    touched = stage(tmp_path, path)
    assert touched.fingerprint != first.fingerprint and touched.parquet_path.exists()
    assert touched.loaded_at >= first.loaded_at
