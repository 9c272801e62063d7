"""The DuckDB evaluation of GX suites agrees with great-expectations on pandas, expectation by expectation."""

from datetime import date, datetime

import duckdb
import great_expectations.expectations as gxe
import numpy as np
import pandas as pd
import pytest

from rfm_assets.quality.runner import validate
from rfm_assets.quality.sql_engine import supported, validate_partition, validate_sql

FRAME = pd.DataFrame(
    {
        "snapshot_month": [date(2011, 3, 1)] * 8,
        "customer_id": ["17850", "17850.0", None, "13047", "13047", "12583.00", "x", "17850"],
        "qty": [1.0, -2.0, np.nan, 0.0, 5.0, 1e9, 3.0, 1.0],
        "price": [2.5, 2.5, 1.0, None, 0.0, 3.0, 3.0, 2.5],
        "n": [1, 2, 3, 4, 4, 6, 7, 1],
        "ts": pd.to_datetime(
            pd.Series(
                [
                    "2011-03-01 00:00",
                    "2011-03-31 23:59",
                    "2011-04-01 00:00",
                    "2011-02-28 23:00",
                    "2011-03-15 00:00",
                    None,
                    "2011-03-02 00:00",
                    "2011-03-01 00:00",
                ]
            )
        ),
        "segment": ["Champions", "Lost", "Lost", "Unknown", None, "Champions", "At Risk", "Champions"],
    }
)
START, END = datetime(2011, 3, 1), datetime(2011, 4, 1)

EXPECTATIONS = [
    gxe.ExpectColumnValuesToNotBeNull(column="customer_id"),
    gxe.ExpectColumnValuesToNotBeNull(column="qty"),
    gxe.ExpectColumnValuesToNotBeNull(column="n"),
    gxe.ExpectColumnValuesToBeBetween(column="qty", min_value=0, strict_min=True),
    gxe.ExpectColumnValuesToBeBetween(column="qty", min_value=0),
    gxe.ExpectColumnValuesToBeBetween(column="qty", max_value=1e6),
    gxe.ExpectColumnValuesToBeBetween(column="n", min_value=1, max_value=4),
    gxe.ExpectColumnValuesToBeBetween(column="n", min_value=1, max_value=7, strict_max=True),
    gxe.ExpectColumnValuesToBeBetween(column="price", min_value=0, max_value=10),
    gxe.ExpectColumnValuesToBeBetween(column="ts", min_value=START, max_value=END, strict_max=True),
    gxe.ExpectColumnValuesToBeInSet(column="segment", value_set=["Champions", "Lost", "At Risk"]),
    gxe.ExpectColumnValuesToBeInSet(column="n", value_set=[1, 2, 3, 4, 6, 7]),
    gxe.ExpectColumnValuesToBeUnique(column="customer_id"),
    gxe.ExpectColumnValuesToBeUnique(column="ts"),
    gxe.ExpectColumnValuesToBeUnique(column="qty"),
    gxe.ExpectCompoundColumnsToBeUnique(column_list=["customer_id", "n"]),
    gxe.ExpectCompoundColumnsToBeUnique(column_list=["segment", "price"]),
    gxe.ExpectColumnValuesToNotMatchRegex(column="customer_id", regex=r"\.0+$"),
    gxe.ExpectColumnValuesToNotMatchRegex(column="segment", regex=r"^[CcAa]"),
    gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="n", column_B="qty", or_equal=True),
    gxe.ExpectColumnPairValuesAToBeGreaterThanB(column_A="n", column_B="price"),
    gxe.ExpectTableRowCountToBeBetween(min_value=1),
    gxe.ExpectTableRowCountToBeBetween(min_value=9),
    gxe.ExpectTableColumnsToMatchSet(column_set=list(FRAME.columns), exact_match=True),
    gxe.ExpectTableColumnsToMatchSet(column_set=["qty", "price", "other"], exact_match=True),
    gxe.ExpectColumnDistinctValuesToContainSet(column="segment", value_set=["Lost", "Champions"]),
    gxe.ExpectColumnDistinctValuesToContainSet(column="segment", value_set=["Lost", "Hibernating"]),
    gxe.ExpectColumnValuesToBeBetween(column="qty", min_value=0, mostly=0.7),
    gxe.ExpectColumnValuesToBeBetween(column="qty", min_value=0, mostly=0.9),
]


def _compare(sql_outcome, gx_outcome):
    assert sql_outcome.expectation == gx_outcome.expectation
    assert sql_outcome.success == gx_outcome.success, sql_outcome.label
    assert (sql_outcome.unexpected_count or 0) == (gx_outcome.unexpected_count or 0), sql_outcome.label
    if gx_outcome.unexpected_percent is not None and gx_outcome.unexpected_count:
        assert sql_outcome.unexpected_percent == pytest.approx(gx_outcome.unexpected_percent), sql_outcome.label
    if gx_outcome.unexpected_count is None and gx_outcome.observed_value is not None:
        observed = gx_outcome.observed_value
        assert (
            sorted(map(str, sql_outcome.observed_value)) == sorted(map(str, observed))
            if isinstance(observed, list)
            else sql_outcome.observed_value == observed
        ), sql_outcome.label


def test_every_expectation_agrees_with_gx_on_pandas():
    con = duckdb.connect()
    con.register("frame", FRAME)
    con.execute("create table t as select * from frame")
    assert all(supported(e) for e in EXPECTATIONS)
    reference = validate(FRAME, "s", EXPECTATIONS)
    in_sql = validate_sql(con, "t", "s", EXPECTATIONS)
    assert in_sql.row_count == reference.row_count == 8
    by_label = {}
    for o in reference.outcomes:
        by_label.setdefault(o.label, []).append(o)
    for o in in_sql.outcomes:
        _compare(o, by_label[o.label].pop(0))
    # planted violations really are violations: the comparison is not between two passes
    assert sum(not o.success for o in in_sql.outcomes) >= 18
    assert in_sql.success is reference.success is False


def test_samples_and_sample_rows_name_the_offending_values():
    con = duckdb.connect()
    con.register("frame", FRAME)
    con.execute("create table t as select * from frame")
    report = validate_sql(
        con,
        "t",
        "s",
        [
            gxe.ExpectColumnValuesToNotMatchRegex(column="customer_id", regex=r"\.0+$"),
            gxe.ExpectCompoundColumnsToBeUnique(column_list=["customer_id", "n"]),
        ],
    )
    regex, compound = report.outcomes
    assert sorted(regex.samples) == ["12583.00", "17850.0"] and "17850.0" in regex.sample_rows_markdown
    assert sorted(compound.samples, key=str) == [{"customer_id": "13047", "n": 4}, {"customer_id": "17850", "n": 1}]
    assert compound.unexpected_count == 4  # every copy counts, as in GX
    assert compound.sample_rows_markdown.count("17850") == 2 and compound.sample_rows_markdown.count("13047") == 2
    assert "FAIL" in report.describe() and "17850.0" in report.describe()


def test_partition_engines_and_fallback_to_gx(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.register("frame", FRAME)
    con.execute("create table t as select * from frame")
    suite = [gxe.ExpectColumnValuesToBeBetween(column="qty", min_value=0, strict_min=True)]
    in_sql, engine_sql = validate_partition(con, "t", date(2011, 3, 1), "s", suite)
    on_gx, engine_gx = validate_partition(con, "t", date(2011, 3, 1), "s", suite, engine="pandas")
    assert (engine_sql, engine_gx) == ("duckdb", "great_expectations/pandas")
    assert in_sql.outcomes[0].unexpected_count == on_gx.outcomes[0].unexpected_count == 2  # -2.0 and 0.0
    # no translation (a type, or an argument): GX on pandas runs it, nothing is dropped
    mean = gxe.ExpectColumnMeanToBeBetween(column="n", min_value=0, max_value=3)  # mean is 3.5
    ignore = gxe.ExpectCompoundColumnsToBeUnique(column_list=["customer_id", "n"], ignore_row_if="any_value_is_missing")
    assert not supported(mean) and not supported(ignore) and supported(suite[0])
    mixed, engine = validate_partition(con, "t", date(2011, 3, 1), "s", [*suite, mean, ignore])
    assert engine == "duckdb (1) + great_expectations/pandas (2)"
    assert [o.expectation for o in mixed.outcomes] == [
        "expect_column_values_to_be_between",
        "expect_column_mean_to_be_between",
        "expect_compound_columns_to_be_unique",
    ]
    assert not mixed.outcomes[1].success and mixed.row_count == 8
    empty, _ = validate_partition(con, "t", date(2011, 4, 1), "s", suite)
    assert empty.row_count == 0 and empty.success


def test_a_table_first_written_empty_validates_like_gx(tmp_path):
    # an empty month written first leaves all-null columns typed INTEGER: no predicate may be bound on them
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(
        "create table t as select date '2011-03-01' as snapshot_month, null::integer as grain, "
        "null::integer as mase where false"
    )
    suite = [
        gxe.ExpectColumnValuesToBeInSet(column="grain", value_set=["monthly", "weekly"]),
        gxe.ExpectColumnValuesToBeBetween(column="mase", min_value=0, max_value=1e15),
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["grain", "mase"]),
        gxe.ExpectTableRowCountToBeBetween(min_value=1),
    ]
    in_sql, engine = validate_partition(con, "t", date(2011, 3, 1), "s", suite)
    on_gx, _ = validate_partition(con, "t", date(2011, 3, 1), "s", suite, engine="pandas")
    assert engine == "duckdb" and in_sql.row_count == on_gx.row_count == 0
    assert sorted((o.label, o.success) for o in in_sql.outcomes) == sorted((o.label, o.success) for o in on_gx.outcomes)
    assert [o.success for o in in_sql.outcomes] == [True, True, True, False]
