"""Lines held back at staging (quarantined) rather than refusing the whole source, and why.

A staged line is quarantined with the first reason that applies:

- ``not_a_number`` / ``missing_number``: a numeric column holds text / nothing, on at most 1% of a
  file's lines (more than that is a format problem, and the source is refused: see ``checks.py``);
- ``future_date``: dated more than a day after the source was staged;
- ``date_out_of_range``: its month lies beyond a gap of at least 3 empty months from the main body
  of the data, in a block of months holding at most 1% of the lines (a mistyped year, an epoch
  default): kept, it would stretch the monthly partitions over years of empty months;
- ``absurd_quantity`` / ``absurd_price`` / ``absurd_amount``: |quantity| or |unit price| above
  1,000,000, or a line amount (amount, else quantity x unit price) above 100,000,000.

Quarantined lines go to ``<fingerprint>.rejects.parquet`` (the staged columns plus ``reason``,
``offending_values`` and ``report_month``: the line's own month, clamped into the trusted range),
from which the ``quarantined_lines`` table is built month by month. The staged file keeps the rest.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb

from rfm_assets.core.months import add_months
from rfm_assets.core.sources.errors import SourceError
from rfm_assets.core.sources.typing_sql import STAGED_COLUMNS, sql_literal

MAX_QUANTITY = 1_000_000
MAX_UNIT_PRICE = 1_000_000
MAX_LINE_AMOUNT = 100_000_000
FUTURE_TOLERANCE = timedelta(days=1)  # shop-local timestamps may run up to 14 h ahead of UTC
MIN_GAP_MONTHS = 3  # empty months that cut a block of lines off the main body of the data
MAX_STRAY_SHARE = 0.01  # a cut-off block holding at most this share of the lines is quarantined
REASONS = (
    "not_a_number",
    "missing_number",
    "future_date",
    "date_out_of_range",
    "absurd_quantity",
    "absurd_price",
    "absurd_amount",
)
REJECT_COLUMNS = {**STAGED_COLUMNS, "reason": "VARCHAR", "offending_values": "VARCHAR", "report_month": "DATE"}


def trusted_range(lines_per_month: Mapping[date, int]) -> tuple[date, date] | None:
    """First and last month of the data once stray blocks of months are set aside (None: no lines).

    Months with lines are cut into blocks wherever at least ``MIN_GAP_MONTHS`` empty months separate
    them; the block with the most lines is the main body, and other blocks are kept only when they
    hold more than ``MAX_STRAY_SHARE`` of all lines (a real pause in trading, not a typo).
    """
    months = sorted(m for m, n in lines_per_month.items() if n > 0)
    if not months:
        return None
    blocks: list[list[date]] = [[months[0]]]
    for previous, current in zip(months, months[1:], strict=False):
        if add_months(previous, MIN_GAP_MONTHS) < current:
            blocks.append([])
        blocks[-1].append(current)
    total = sum(lines_per_month[m] for m in months)
    sizes = [sum(lines_per_month[m] for m in block) for block in blocks]
    main = max(range(len(blocks)), key=lambda i: sizes[i])
    kept = [b for i, b in enumerate(blocks) if i == main or sizes[i] > MAX_STRAY_SHARE * total]
    return kept[0][0], kept[-1][-1]


def _rule_sql(cutoff: datetime, first: date, last: date) -> tuple[str, str]:
    """The reason (NULL = keep) and the offending values of a staged line, as SQL over its columns."""
    end = add_months(last, 1)
    amount = "coalesce(amount, quantity * unit_price)"
    reason = f"""case
        when invoice_date >= timestamp '{cutoff:%Y-%m-%d %H:%M:%S}' then 'future_date'
        when invoice_date < date '{first}' or invoice_date >= date '{end}' then 'date_out_of_range'
        when abs(quantity) > {MAX_QUANTITY} then 'absurd_quantity'
        when abs(unit_price) > {MAX_UNIT_PRICE} then 'absurd_price'
        when abs({amount}) > {MAX_LINE_AMOUNT} then 'absurd_amount'
    end"""
    offending = f"""case
        when invoice_date >= timestamp '{cutoff:%Y-%m-%d %H:%M:%S}'
          or invoice_date < date '{first}' or invoice_date >= date '{end}'
            then 'invoice_date=' || strftime(invoice_date, '%Y-%m-%d %H:%M:%S')
        when abs(quantity) > {MAX_QUANTITY} then 'quantity=' || cast(quantity as varchar)
        when abs(unit_price) > {MAX_UNIT_PRICE} then 'unit_price=' || cast(unit_price as varchar)
        else 'line amount=' || cast({amount} as varchar)
    end"""
    return reason, offending


def split_quarantine(
    con: duckdb.DuckDBPyConnection,
    staged: Path,
    typing_rejects: str | None,
    loaded_at: datetime,
    out: Path,
    rejects_out: Path,
    label: str,
) -> tuple[date, date, dict[str, int]]:
    """Write ``out`` (the lines to load) and ``rejects_out`` (the quarantined ones) from ``staged``.

    ``typing_rejects`` selects the lines with unusable numbers (see ``checks.typing_rejects_sql``).
    ``label`` names the source in errors. Returns the trusted first and last month and the number of quarantined lines per reason.
    """
    source = f"read_parquet({sql_literal(str(staged))})"
    cutoff = loaded_at + FUTURE_TOLERANCE
    per_month = dict(
        con.execute(
            f"select date_trunc('month', invoice_date)::date, count(*) filter (where invoice_date < ?) "
            f"from {source} group by 1",
            [cutoff],
        ).fetchall()
    )
    found = trusted_range(per_month)
    if found is None:
        raise SourceError(
            label,
            f"every line is dated after {cutoff:%Y-%m-%d %H:%M} (the staging time plus "
            "one day): nothing can be loaded; check the source's date column",
        )
    first, last = found
    reason, offending = _rule_sql(cutoff, first, last)
    staged_cols = ", ".join(STAGED_COLUMNS)
    typed = typing_rejects or f"select {staged_cols}, '' as reason, '' as offending_values from {source} where false"
    con.execute(f"""create or replace temp table __rejects as
        with typed as ({typed}),
        ruled as (select {staged_cols}, {reason} as reason, {offending} as offending_values
                  from {source} where ({reason}) is not null)
        select * from typed
        union all by name
        select * from ruled anti join typed using (source_file, source_row)""")
    try:
        report = (
            f"case when invoice_date < date '{first}' then date '{first}' "
            f"when invoice_date >= date '{add_months(last, 1)}' then date '{last}' "
            f"else date_trunc('month', invoice_date)::date end"
        )
        columns = ", ".join(f"cast({c} as {t}) as {c}" for c, t in STAGED_COLUMNS.items())
        con.execute(
            f"copy (select {columns}, reason, offending_values, {report} as report_month from __rejects) "
            f"to {sql_literal(str(rejects_out))} (format parquet)"
        )
        counts = dict(con.execute("select reason, count(*) from __rejects group by 1").fetchall())
        if counts:
            con.execute(
                f"copy (select * from {source} anti join __rejects using (source_file, source_row)) "
                f"to {sql_literal(str(out))} (format parquet)"
            )
        else:
            os.replace(staged, out)
    finally:
        con.execute("drop table if exists __rejects")
    return first, last, {r: int(n) for r, n in counts.items()}
