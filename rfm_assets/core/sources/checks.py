"""Cheap checks of the staged file (one aggregate per source file), and the explanation of a problem.

Every checked column (date, numbers) needs a valid value on every line, so the aggregate only
counts NULLs per file. Only when a file has some is it read again with the ``__bad_*`` flags, to
name the offending values and their rows. A date that cannot be read refuses the source (the line
cannot be placed in any month); unusable numbers on at most ``MAX_QUARANTINE_SHARE`` of a file's
lines are sporadic dirt, and those lines are quarantined (see ``quarantine.py``); on more lines
they are a format problem (decimal commas, currency signs) and the source is refused.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb

from rfm_assets.core.sources.errors import SourceError
from rfm_assets.core.sources.readers import Unit
from rfm_assets.core.sources.typing_sql import (
    CHECKED,
    DATE_EXAMPLES,
    NUMBERS,
    STAGED_COLUMNS,
    sql_literal,
    typed_sql,
)

MAX_SAMPLES = 5
MAX_QUARANTINE_SHARE = 0.01
_DAY_FIRST = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%d/%m/%y %H:%M", "%d/%m/%y")
Checked = list[tuple[Unit, dict[str, str]]]


def check_staged(con: duckdb.DuckDBPyConnection, staged: Path, units: Checked) -> Checked:
    """Raise SourceError for a unit without data rows, with unreadable dates, or with unusable numbers
    on more than ``MAX_QUARANTINE_SHARE`` of its lines; return the units whose few bad lines are to be
    quarantined."""
    nulls = ", ".join(f"count(*) - count({c})" for c in CHECKED)
    counts = {
        row[0]: row[1:]
        for row in con.execute(
            f"select source_file, count(*), {nulls} from read_parquet({sql_literal(str(staged))}) group by 1"
        ).fetchall()
    }
    sporadic = []
    for unit, resolved in units:
        if unit.label not in counts:
            what = "a header but no data rows" if unit.kind in ("csv", "xlsx") else "no data rows"
            raise SourceError(unit.label, f"the file has {what}")
        rows, *missing = counts[unit.label]
        by_column = {c: n for c, n in zip(CHECKED, missing, strict=True) if c in resolved and n}
        if not by_column:
            continue
        n_bad = sum(n for c, n in by_column.items() if c in NUMBERS)  # an upper bound of the bad lines
        if "invoice_date" in by_column or n_bad > MAX_QUARANTINE_SHARE * rows:
            explain(con, unit, resolved, rows=rows)
            raise SourceError(unit.label, "the file has lines with missing or unreadable values")  # not reached
        sporadic.append((unit, resolved))
    return sporadic


def typing_rejects_sql(units: Checked) -> str | None:
    """The lines of ``units`` with an unusable number, as staged columns plus ``reason`` and
    ``offending_values`` (``Price='abc'; Quantity=(empty)``); None when there are none."""
    selects = []
    for unit, resolved in units:
        numbers = [c for c in NUMBERS if c in resolved]
        shown = ", ".join(
            f"case when __bad_{c} = '' then {sql_literal(resolved[c] + '=(empty)')} "
            f"when __bad_{c} is not null then {sql_literal(resolved[c] + '=')} || '''' || __bad_{c} || '''' end"
            for c in numbers
        )
        text = " or ".join(f"__bad_{c} <> ''" for c in numbers)
        selects.append(
            f"select {', '.join(STAGED_COLUMNS)}, "
            f"case when {text} then 'not_a_number' else 'missing_number' end as reason, "
            f"concat_ws('; ', {shown}) as offending_values "
            f"from ({typed_sql(unit.sql, unit.columns, resolved, unit.label, flags=True)}) "
            f"where {' or '.join(f'__bad_{c} is not null' for c in numbers)}"
        )
    return " union all ".join(selects) or None


def explain(con: duckdb.DuckDBPyConnection, unit: Unit, resolved: dict[str, str], rows: int) -> None:
    """Re-read ``unit`` with the ``__bad_*`` flags and raise a SourceError naming the first bad column."""
    checked = [c for c in CHECKED if c in resolved]
    flagged = typed_sql(unit.sql, unit.columns, resolved, unit.label, flags=True)
    con.execute(
        f"create or replace temp table __flagged as select * from ({flagged}) "
        f"where {' or '.join(f'__bad_{c} is not null' for c in checked)}"
    )
    try:
        aggregates = ", ".join(f"count(__bad_{c}), count(*) filter (where __bad_{c} = '')" for c in checked)
        counts = con.execute(f"select {aggregates} from __flagged").fetchall()[0]  # one row: aggregates
        problems = [(c, counts[2 * i], counts[2 * i + 1]) for i, c in enumerate(checked) if counts[2 * i]]
        if not problems:
            return
        staged, n_bad, n_empty = problems[0]
        samples = con.execute(
            f"select source_row, __bad_{staged} from __flagged where __bad_{staged} is not null "
            f"order by __bad_{staged} = '', source_row limit {MAX_SAMPLES}"
        ).fetchall()
    finally:
        con.execute("drop table if exists __flagged")
    problem = _describe(staged, n_bad - n_empty, n_empty, rows, [value for _, value in samples])
    others = [f"{resolved[c]!r} ({n:,})" for c, n, _ in problems[1:]]
    if others:
        problem += f"; other columns with bad values: {', '.join(others)}"
    shown = [f"row {row}: {value!r}" if value else f"row {row}: (empty)" for row, value in samples]
    raise SourceError(unit.label, problem, column=resolved[staged], samples=shown)


def _describe(staged: str, n_text: int, n_empty: int, rows: int, values: list[str]) -> str:
    parts = []
    if n_text:
        if staged == "invoice_date":
            parts.append(
                f"{n_text:,} of {rows:,} values are not dates in a supported format ({DATE_EXAMPLES}) "
                f"between 1900 and 2199{_day_first_hint(values)}"
            )
        else:
            parts.append(
                f"{n_text:,} of {rows:,} values are not numbers (expected e.g. 2.55, with '.' as the "
                f"decimal point and no thousands separator or currency sign)"
            )
    if n_empty:
        parts.append(f"{n_empty:,} of {rows:,} rows have no value, but every line needs one")
    if staged != "invoice_date":
        parts.append(
            f"more than {MAX_QUARANTINE_SHARE:.0%} of the lines, so the file is refused rather than "
            "those lines quarantined"
        )
    return "; ".join(parts)


def _day_first_hint(values: list[str]) -> str:
    """Name the likely cause when the offending dates read as day/month/year."""

    def day_first(text: str) -> bool:
        for fmt in _DAY_FIRST:
            try:
                datetime.strptime(text, fmt)
                return True
            except ValueError:
                continue
        return False

    texts = [v for v in values if v]
    if texts and all(day_first(v) for v in texts):
        return (
            " — these look like day/month/year dates; slash dates are read as month/day/year "
            "as in the UCI exports ('12/1/2010' is 1 December 2010): re-export them as YYYY-MM-DD"
        )
    return ""
