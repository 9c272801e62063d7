"""The SQL that turns one unit's raw columns into the staged schema (and, to explain a problem,
one ``__bad_<column>`` per checked column)."""

from __future__ import annotations

from rfm_assets.core.quoting import quote_ident as _q

# The staged Parquet schema, in order. Text is kept as the file has it ('' -> NULL); numbers and the
# date must be valid on every line that has them mapped (else SourceError).
STAGED_COLUMNS = {
    "invoice": "VARCHAR",  # NULL for a generic source without order_id
    "stock_code": "VARCHAR",
    "description": "VARCHAR",
    "quantity": "DOUBLE",  # NULL for a generic source with amount only
    "unit_price": "DOUBLE",
    "amount": "DOUBLE",  # the line amount as given (generic sources with amount), else NULL
    "invoice_date": "TIMESTAMP",  # never NULL
    "customer_id": "VARCHAR",  # trimmed, '17850.0' -> '17850', '' / 'nan' / 'none' / 'null' -> NULL
    "country": "VARCHAR",
    "source_file": "VARCHAR",  # file name, or 'file.xlsx[sheet]' for a workbook sheet
    "source_row": "BIGINT",  # 1-based data row in that file or sheet (blank CSV lines are not counted)
}
NUMBERS = ("quantity", "unit_price", "amount")
CHECKED = ("invoice_date", *NUMBERS)

# Slash dates are month/day/year as in the UCI exports; the format is picked by the value's shape
# (one strptime per value: trying a list of formats costs ~15x more on 10M lines). A 2-digit year
# ('12/1/10') parses as year 10 and is moved to 2010 (00-68 -> 20xx, 69-99 -> 19xx, as POSIX %y).
# ISO values go through DuckDB's cast (date only, 'T', fractions); a UTC offset is dropped, keeping
# the wall-clock time the shop recorded.
DATE_EXAMPLES = "'12/1/2010 8:26' (month/day/year), '2009-12-01 07:45:00', '2009-12-01'"

MACROS = r"""
create or replace temp macro __parse_ts(r) as case
    when r like '____-__-__%' then coalesce(try_cast(r as timestamp),
        try_cast(regexp_replace(r, '\s*(Z|UTC|[+-]\d{2}:?\d{2})$', '') as timestamp))
    when r like '%/%/% %:%:%' then try_strptime(r, '%m/%d/%Y %H:%M:%S')
    when r like '%/%/% %:%' then try_strptime(r, '%m/%d/%Y %H:%M')
    when r like '%/%/%' then try_strptime(r, '%m/%d/%Y')
end;
create or replace temp macro __fix_ts(t) as case
    when t >= timestamp '1900-01-01' and t < timestamp '2200-01-01' then t
    when t >= timestamp '0000-01-01' and t < timestamp '0069-01-01' then t + interval 2000 year
    when t >= timestamp '0069-01-01' and t < timestamp '0100-01-01' then t + interval 1900 year
end;
create or replace temp macro __trim(x) as
    case when starts_with(x, ' ') or ends_with(x, ' ') then trim(x) else x end;
create or replace temp macro __blank_null(x) as
    case when x = '' or (starts_with(x, ' ') and trim(x) = '') then null else x end;
create or replace temp macro __id_text(r) as case
    when r = '' or (length(r) <= 4 and lower(r) in ('nan', 'none', 'null')) then null
    when contains(r, '.') and regexp_full_match(r, '[0-9]+\.0*') then split_part(r, '.', 1)
    else r
end;
"""

_INTEGERS = {f"{u}{t}" for u in ("", "U") for t in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")}


def _kind(duck_type: str) -> str:
    t = duck_type.upper()
    if t == "VARCHAR":
        return "text"
    if t.startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL")):
        return "float"
    if t in _INTEGERS:
        return "int"
    if t == "TIMESTAMP WITH TIME ZONE":
        return "timestamptz"
    if t.startswith("TIMESTAMP") or t == "DATE":
        return "timestamp"
    return "other"


def _as_text(col: str, kind: str) -> str:
    """Source value as text; whole floats without '.0' (17850.0 -> '17850')."""
    if kind == "text":
        return col
    if kind == "float":
        return (
            f"case when isfinite({col}::double) and {col} = trunc({col}) and abs({col}) < 1e18 "
            f"then cast(cast({col} as bigint) as varchar) else cast({col} as varchar) end"
        )
    return f"cast({col} as varchar)"


def _checked(staged: str, col: str, kind: str) -> tuple[str, str | None, str]:
    """Expressions of a checked column: raw text and already-typed value (level 1), typed value (level 2)."""
    raw = f"__trim({_as_text(col, kind)})"
    if staged == "invoice_date":
        if kind == "timestamp":
            return raw, f"cast({col} as timestamp)", f"__d_{staged}"
        if kind == "timestamptz":
            return raw, f"cast(timezone('UTC', {col}) as timestamp)", f"__d_{staged}"
        return raw, None, f"__parse_ts(__r_{staged})"
    if kind in ("int", "float"):
        return raw, f"cast({col} as double)", f"__d_{staged}"
    return raw, None, f"try_cast(__r_{staged} as double)"


def _final(staged: str) -> str:
    if staged == "invoice_date":
        return f"__fix_ts(__v_{staged})"  # 2-digit years to 19xx/20xx; outside 1900-2199 -> NULL (bad)
    return f"case when isfinite(__v_{staged}) then __v_{staged} end"  # NaN and inf are bad values


def typed_sql(raw_sql: str, types: dict[str, str], resolved: dict[str, str], label: str, flags: bool = False) -> str:
    """Select the staged columns (in order) from ``raw_sql``; with ``flags`` also one ``__bad_<column>``
    per checked column (NULL when fine, else the offending text, '' for a missing value).

    Checked columns (the date and the numbers a source provides) need a valid value on every line,
    so a NULL in one of them in the staged output means a problem that the flags then explain.

    Three levels: the raw text of checked columns (trimmed once), their typed values, then the staged
    columns. Rows whose every field is empty (trailing ',,,,' lines of spreadsheet exports) are skipped.
    """
    level1, level2, level3, bad = ["cast(__source_row as bigint) as __source_row"], ["*"], [], []
    for staged, duck_type in STAGED_COLUMNS.items():
        source = resolved.get(staged)
        kind = _kind(types.get(source, "VARCHAR")) if source else "text"
        if staged == "source_file":
            level3.append(f"{sql_literal(label)} as source_file")
        elif staged == "source_row":
            level3.append("__source_row as source_row")
        elif source is None:
            level3.append(f"cast(null as {duck_type}) as {staged}")
        elif staged == "customer_id":
            level1.append(f"__trim({_as_text(_q(source), kind)}) as __r_{staged}")
            level3.append(f"__id_text(__r_{staged}) as {staged}")
        elif staged not in CHECKED:
            level1.append(f"__blank_null({_as_text(_q(source), kind)}) as {staged}")
            level3.append(staged)
        else:
            raw, direct, typed = _checked(staged, _q(source), kind)
            level1.append(f"{raw} as __r_{staged}")
            if direct is not None:
                level1.append(f"{direct} as __d_{staged}")
            level2.append(f"{typed} as __v_{staged}")
            level3.append(f"{_final(staged)} as {staged}")
            bad.append(f"case when {_final(staged)} is null then coalesce(__r_{staged}, '') end as __bad_{staged}")
    not_empty = " or ".join(f"{_q(c)} is not null" for c in types if c != "__source_row") or "true"
    return (
        f"select {', '.join(level3 + (bad if flags else []))} from (select {', '.join(level2)} from ("
        f"select {', '.join(level1)} from ({raw_sql}) where {not_empty}))"
    )


def sql_literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
