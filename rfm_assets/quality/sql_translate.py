"""GX expectations as DuckDB SQL: which expectation types and arguments have a translation, and the
predicates or queries each becomes (used by rfm_assets/quality/sql_engine.py, which runs them)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from rfm_assets.core.quoting import quote_ident as _q
from rfm_assets.core.rows import scalar


@dataclass(frozen=True)
class RowWise:
    unexpected: str  # SQL predicate of an unexpected row
    domain: str  # SQL predicate of a row that counts (not missing)
    show: str  # SQL expression of the value shown as a sample


def missing_predicate(column: str, types: dict[str, str]) -> str:
    c = _q(column)
    return f"({c} is null or isnan({c}))" if types[column] in ("DOUBLE", "FLOAT") else f"{c} is null"


def row_wise_predicates(kind: str, kw: dict[str, Any], types: dict[str, str], params: list) -> RowWise | None:
    """The predicates of a row-wise expectation; None when ``kind`` is not one."""
    if kind == "expect_column_values_to_not_be_null":
        return RowWise(missing_predicate(kw["column"], types), "true", "null")
    if kind in ("expect_column_pair_values_a_to_be_greater_than_b",):
        a, b = _q(kw["column_A"]), _q(kw["column_B"])
        op = ">=" if kw.get("or_equal") else ">"
        both_missing = f"({missing_predicate(kw['column_A'], types)} and {missing_predicate(kw['column_B'], types)})"
        return RowWise(f"not coalesce({a} {op} {b}, false)", f"not {both_missing}", f"[{a}, {b}]")
    if "column" not in kw:
        return None
    c = _q(kw["column"])
    domain = f"not {missing_predicate(kw['column'], types)}"
    if kind == "expect_column_values_to_be_between":
        checks = []
        if kw.get("min_value") is not None:
            params.append(kw["min_value"])
            checks.append(f"{c} {'>' if kw.get('strict_min') else '>='} ?")
        if kw.get("max_value") is not None:
            params.append(kw["max_value"])
            checks.append(f"{c} {'<' if kw.get('strict_max') else '<='} ?")
        return RowWise(f"not ({' and '.join(checks) or 'true'})", domain, c)
    if kind == "expect_column_values_to_be_in_set":
        values = list(kw["value_set"])
        params.append(values)
        as_text = all(isinstance(v, str) for v in values)  # a text set is compared as text, whatever the column
        return RowWise(f"not list_contains(?, {f'cast({c} as varchar)' if as_text else c})", domain, c)
    if kind == "expect_column_values_to_not_match_regex":
        params.append(kw["regex"])
        return RowWise(f"regexp_matches(cast({c} as varchar), ?)", domain, c)
    return None


def unique_keys(kind: str, kw: dict[str, Any]) -> list[str] | None:
    """The key columns of a uniqueness expectation; None when ``kind`` is not one."""
    if kind == "expect_column_values_to_be_unique":
        return [kw["column"]]
    if kind == "expect_compound_columns_to_be_unique" and kw.get("ignore_row_if", "all_values_are_missing") == (
        "all_values_are_missing"
    ):
        return list(kw["column_list"])
    return None


def table_level_check(kind: str, kw: dict[str, Any]) -> Callable[[duckdb.DuckDBPyConnection, str, dict], tuple] | None:
    """``(con, relation, types) -> (success, observed_value)`` for table-level expectations."""
    if kind == "expect_table_row_count_to_be_between":

        def row_count(con: duckdb.DuckDBPyConnection, rel: str, types: dict) -> tuple:
            n = scalar(con, f"select count(*) from {rel}")
            low, high = kw.get("min_value"), kw.get("max_value")
            ok = (low is None or (n > low if kw.get("strict_min") else n >= low)) and (
                high is None or (n < high if kw.get("strict_max") else n <= high)
            )
            return ok, n

        return row_count
    if kind == "expect_table_columns_to_match_set":

        def columns(con: duckdb.DuckDBPyConnection, rel: str, types: dict) -> tuple:
            wanted, present = set(kw["column_set"]), set(types)
            return (wanted == present if kw.get("exact_match", True) else wanted <= present), list(types)

        return columns
    if kind == "expect_column_distinct_values_to_contain_set":

        def distinct(con: duckdb.DuckDBPyConnection, rel: str, types: dict) -> tuple:
            c = _q(kw["column"])
            values = sorted(
                r[0] for r in con.execute(f"select distinct {c} from {rel} where {c} is not null").fetchall()
            )
            return set(kw["value_set"]) <= set(values), values

        return distinct
    return None


# The expectation types with a translation, and the arguments it honours; anything else runs on GX.
_HARMLESS = {"result_format", "catch_exceptions", "meta", "notes"}
TRANSLATED = {
    "expect_column_values_to_not_be_null": {"column", "mostly"},
    "expect_column_values_to_be_between": {"column", "min_value", "max_value", "strict_min", "strict_max", "mostly"},
    "expect_column_values_to_be_in_set": {"column", "value_set", "mostly"},
    "expect_column_values_to_not_match_regex": {"column", "regex", "mostly"},
    "expect_column_values_to_be_unique": {"column", "mostly"},
    "expect_compound_columns_to_be_unique": {"column_list", "mostly", "ignore_row_if"},
    "expect_column_pair_values_a_to_be_greater_than_b": {"column_A", "column_B", "or_equal", "mostly", "ignore_row_if"},
    "expect_table_row_count_to_be_between": {"min_value", "max_value", "strict_min", "strict_max"},
    "expect_table_columns_to_match_set": {"column_set", "exact_match"},
    "expect_column_distinct_values_to_contain_set": {"column", "value_set"},
}
_DEFAULT_IGNORE = {
    "expect_compound_columns_to_be_unique": "all_values_are_missing",
    "expect_column_pair_values_a_to_be_greater_than_b": "both_values_are_missing",
}


def supported(expectation: Any) -> bool:
    """True when ``expectation`` (a GX expectation object) has a DuckDB translation for all its arguments."""
    cfg = expectation.configuration
    allowed = TRANSLATED.get(cfg.type)
    if allowed is None:
        return False
    given = {k for k, v in cfg.kwargs.items() if v is not None} - _HARMLESS
    ignore = cfg.kwargs.get("ignore_row_if")
    return given <= allowed and (ignore is None or ignore == _DEFAULT_IGNORE.get(cfg.type))


def columns_named(kw: dict[str, Any]) -> list[str]:
    return [kw[k] for k in ("column", "column_A", "column_B") if k in kw] + list(kw.get("column_list") or [])
