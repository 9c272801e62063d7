"""Evaluate great-expectations suites inside DuckDB.

GX 1.x on pandas costs 9-15 s for a month of the 10-million-line dataset (800k lines: loading the
frame, then one pandas pass per metric), about as much as the assets that wrote it, and ~0.2 s of
fixed cost per suite even on a few rows. Here each expectation of a suite (the same GX objects)
becomes SQL over the stored partition: one aggregate scan for all row-wise expectations, one
group-by per uniqueness expectation, sample rows only for failures (0.5-0.8 s for that month).
The result has GX's shape (unexpected count and percent over the non-missing values, observed
value, up to 20 unexpected values) and agrees with GX on pandas (``test_sql_engine.py``).
Expectation types or arguments without a translation are left to GX on pandas
(:func:`validate_partition`), so a new suite never silently loses an expectation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from rfm_assets.core.quoting import quote_ident as _q
from rfm_assets.quality.runner import Outcome, Report, validate

SAMPLES = 20


@dataclass(frozen=True)
class _RowWise:
    unexpected: str  # SQL predicate of an unexpected row
    domain: str  # SQL predicate of a row that counts (not missing)
    show: str  # SQL expression of the value shown as a sample


def _missing(column: str, types: dict[str, str]) -> str:
    c = _q(column)
    return f"({c} is null or isnan({c}))" if types[column] in ("DOUBLE", "FLOAT") else f"{c} is null"


def _row_wise(kind: str, kw: dict[str, Any], types: dict[str, str], params: list) -> _RowWise | None:
    """The predicates of a row-wise expectation; None when ``kind`` is not one."""
    if kind == "expect_column_values_to_not_be_null":
        return _RowWise(_missing(kw["column"], types), "true", "null")
    if kind in ("expect_column_pair_values_a_to_be_greater_than_b",):
        a, b = _q(kw["column_A"]), _q(kw["column_B"])
        op = ">=" if kw.get("or_equal") else ">"
        both_missing = f"({_missing(kw['column_A'], types)} and {_missing(kw['column_B'], types)})"
        return _RowWise(f"not coalesce({a} {op} {b}, false)", f"not {both_missing}", f"[{a}, {b}]")
    if "column" not in kw:
        return None
    c = _q(kw["column"])
    domain = f"not {_missing(kw['column'], types)}"
    if kind == "expect_column_values_to_be_between":
        checks = []
        if kw.get("min_value") is not None:
            params.append(kw["min_value"])
            checks.append(f"{c} {'>' if kw.get('strict_min') else '>='} ?")
        if kw.get("max_value") is not None:
            params.append(kw["max_value"])
            checks.append(f"{c} {'<' if kw.get('strict_max') else '<='} ?")
        return _RowWise(f"not ({' and '.join(checks) or 'true'})", domain, c)
    if kind == "expect_column_values_to_be_in_set":
        values = list(kw["value_set"])
        params.append(values)
        as_text = all(isinstance(v, str) for v in values)  # a text set is compared as text, whatever the column
        return _RowWise(f"not list_contains(?, {f'cast({c} as varchar)' if as_text else c})", domain, c)
    if kind == "expect_column_values_to_not_match_regex":
        params.append(kw["regex"])
        return _RowWise(f"regexp_matches(cast({c} as varchar), ?)", domain, c)
    return None


def _keys(kind: str, kw: dict[str, Any]) -> list[str] | None:
    if kind == "expect_column_values_to_be_unique":
        return [kw["column"]]
    if kind == "expect_compound_columns_to_be_unique" and kw.get("ignore_row_if", "all_values_are_missing") == (
        "all_values_are_missing"
    ):
        return list(kw["column_list"])
    return None


def _table_level(kind: str, kw: dict[str, Any]) -> Callable[[duckdb.DuckDBPyConnection, str, dict], tuple] | None:
    """``(con, relation, types) -> (success, observed_value)`` for table-level expectations."""
    if kind == "expect_table_row_count_to_be_between":

        def row_count(con: duckdb.DuckDBPyConnection, rel: str, types: dict) -> tuple:
            n = con.execute(f"select count(*) from {rel}").fetchone()[0]
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


def _columns_named(kw: dict[str, Any]) -> list[str]:
    return [kw[k] for k in ("column", "column_A", "column_B") if k in kw] + list(kw.get("column_list") or [])


def _success(unexpected: int, domain: int, mostly: float | None) -> bool:
    if mostly is None or mostly >= 1:
        return unexpected == 0
    return domain == 0 or (1 - unexpected / domain) >= mostly


def _sample_rows(con: duckdb.DuckDBPyConnection, rel: str, predicate: str, params: list) -> str:
    rows = con.execute(f"select * from {rel} where {predicate} limit 5", params).df()
    return rows.to_markdown(index=False, disable_numparse=True) if not rows.empty else ""


def validate_sql(con: duckdb.DuckDBPyConnection, rel: str, suite_name: str, expectations: list[Any]) -> Report:
    """Validate the rows of ``rel`` (a table name or ``(select ...)``) against supported expectations."""
    types = {name: kind for name, kind, *_ in con.execute(f"describe select * from {rel}").fetchall()}
    if con.execute(f"select count(*) from {rel}").fetchone()[0] == 0:
        return _empty_report(con, rel, suite_name, expectations, types)
    plans, aggregates, agg_params = [], ["count(*)"], []
    for expectation in expectations:
        cfg = expectation.configuration
        kind, kw = cfg.type, dict(cfg.kwargs)
        params: list = []
        missing = [c for c in _columns_named(kw) if c not in types]
        row_wise = None if missing else _row_wise(kind, kw, types, params)
        if row_wise is not None:
            aggregates += [
                f"count(*) filter (where ({row_wise.domain}) and ({row_wise.unexpected}))",
                f"count(*) filter (where {row_wise.domain})",
            ]
            agg_params += params
        plans.append((kind, kw, missing, row_wise, params))
    counts = con.execute(f"select {', '.join(aggregates)} from {rel}", agg_params).fetchone()
    n_rows, position, outcomes = int(counts[0]), 1, []
    for kind, kw, missing, row_wise, params in plans:
        column = kw.get("column")
        if missing:
            outcomes.append(Outcome(kind, column, False, observed_value=f"missing column(s) {missing}"))
        elif row_wise is not None:
            unexpected, domain = int(counts[position]), int(counts[position + 1])
            position += 2
            outcomes.append(_row_outcome(con, rel, kind, kw, row_wise, params, unexpected, domain))
        elif (keys := _keys(kind, kw)) is not None:
            outcomes.append(_unique_outcome(con, rel, kind, kw, keys, types, n_rows))
        else:
            ok, observed = _table_level(kind, kw)(con, rel, types)
            outcomes.append(Outcome(kind, column, ok, observed_value=observed))
    return Report(suite=suite_name, success=all(o.success for o in outcomes), row_count=n_rows, outcomes=outcomes)


def _empty_report(
    con: duckdb.DuckDBPyConnection, rel: str, suite_name: str, expectations: list[Any], types: dict[str, str]
) -> Report:
    """An empty partition, as GX judges one: every row-wise and uniqueness expectation holds. Its column
    types may be arbitrary (a table first written empty), so no predicate is bound against them."""
    outcomes = []
    for expectation in expectations:
        cfg = expectation.configuration
        kind, kw = cfg.type, dict(cfg.kwargs)
        missing = [c for c in _columns_named(kw) if c not in types]
        if missing:
            outcomes.append(Outcome(kind, kw.get("column"), False, observed_value=f"missing column(s) {missing}"))
        elif (table_level := _table_level(kind, kw)) is not None:
            ok, observed = table_level(con, rel, types)
            outcomes.append(Outcome(kind, kw.get("column"), ok, observed_value=observed))
        else:
            outcomes.append(Outcome(kind, kw.get("column"), True, unexpected_count=0))
    return Report(suite=suite_name, success=all(o.success for o in outcomes), row_count=0, outcomes=outcomes)


def _row_outcome(
    con: duckdb.DuckDBPyConnection,
    rel: str,
    kind: str,
    kw: dict,
    rw: _RowWise,
    params: list,
    unexpected: int,
    domain: int,
) -> Outcome:
    ok = _success(unexpected, domain, kw.get("mostly"))
    samples, rows_md = [], ""
    if unexpected:
        predicate = f"({rw.domain}) and ({rw.unexpected})"
        samples = [
            r[0]
            for r in con.execute(f"select {rw.show} from {rel} where {predicate} limit {SAMPLES}", params).fetchall()
        ]
        rows_md = "" if ok else _sample_rows(con, rel, predicate, params)
    return Outcome(
        kind,
        kw.get("column"),
        ok,
        unexpected_count=unexpected,
        unexpected_percent=100.0 * unexpected / domain if domain else None,
        samples=samples,
        sample_rows_markdown=rows_md,
    )


def _unique_outcome(
    con: duckdb.DuckDBPyConnection, rel: str, kind: str, kw: dict, keys: list[str], types: dict[str, str], n_rows: int
) -> Outcome:
    cols = ", ".join(_q(k) for k in keys)
    domain_sql = " or ".join(f"not {_missing(k, types)}" for k in keys)
    dupes = f"(select {cols}, count(*) as __n from {rel} where {domain_sql} group by all having count(*) > 1)"
    unexpected, domain = con.execute(
        f"select coalesce((select sum(__n) from {dupes}), 0), (select count(*) from {rel} where {domain_sql})"
    ).fetchone()
    unexpected, domain = int(unexpected), int(domain)
    ok = _success(unexpected, domain, kw.get("mostly"))
    samples, rows_md = [], ""
    if unexpected:
        rows = con.execute(f"select {cols} from {dupes} limit {SAMPLES}").fetchall()
        samples = [r[0] if len(keys) == 1 else dict(zip(keys, r, strict=True)) for r in rows]
        match = " and ".join(f"r.{_q(k)} is not distinct from d.{_q(k)}" for k in keys)
        rows_md = (
            "" if ok else _sample_rows(con, f"{rel} as r", f"exists (select 1 from {dupes} as d where {match})", [])
        )
    return Outcome(
        kind,
        kw.get("column"),
        ok,
        unexpected_count=unexpected,
        unexpected_percent=100.0 * unexpected / domain if domain else None,
        samples=samples,
        sample_rows_markdown=rows_md,
    )


def validate_partition(
    con: duckdb.DuckDBPyConnection,
    table: str,
    month: date,
    suite_name: str,
    expectations: list[Any],
    engine: str = "duckdb",
) -> tuple[Report, str]:
    """Validate one month of ``table``. ``engine="duckdb"``: translated expectations in DuckDB, any
    others on GX; ``"pandas"``: every expectation on GX on pandas. Returns the report and what ran."""
    rel = f"(select * from {table} where snapshot_month = date '{month.isoformat()}')"
    in_sql = [e for e in expectations if supported(e)] if engine == "duckdb" else []
    rest = [e for e in expectations if not any(e is s for s in in_sql)]
    report = validate_sql(con, rel, suite_name, in_sql) if in_sql or not rest else None
    if not rest:
        return report, "duckdb"
    df: pd.DataFrame = con.execute(f"select * from {rel}").df()
    on_gx = validate(df, suite_name, rest)
    if report is None:
        return on_gx, "great_expectations/pandas"
    outcomes = [*report.outcomes, *on_gx.outcomes]
    return Report(
        suite_name, all(o.success for o in outcomes), report.row_count, outcomes
    ), f"duckdb ({len(in_sql)}) + great_expectations/pandas ({len(rest)})"
