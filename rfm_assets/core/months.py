"""Calendar-month arithmetic. Every monthly table keys rows by the month's first day (a DATE)."""

from __future__ import annotations

import calendar
from datetime import date, datetime


def month_start(value: date | datetime | str) -> date:
    """First day of the month containing ``value`` ('2011-03', '2011-03-01' and dates are accepted)."""
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.strptime(text[:7], "%Y-%m")
        except ValueError as exc:
            raise ValueError(f"not a month: {value!r} (expected YYYY-MM or YYYY-MM-DD)") from exc
        return date(parsed.year, parsed.month, 1)
    return date(value.year, value.month, 1)


def add_months(month: date, n: int) -> date:
    """The first day of the month ``n`` months after (negative: before) ``month``."""
    index = month.year * 12 + (month.month - 1) + n
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """Last calendar day of ``month``."""
    return date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])


def months_between(first: date, last: date) -> list[date]:
    """Every month from ``first`` to ``last`` inclusive, oldest first."""
    first, last = month_start(first), month_start(last)
    out: list[date] = []
    current = first
    while current <= last:
        out.append(current)
        current = add_months(current, 1)
    return out


def month_key(month: date) -> str:
    """Dagster partition key of a month: 'YYYY-MM-01'."""
    return month_start(month).isoformat()
