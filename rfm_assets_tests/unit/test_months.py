from datetime import date

import pytest

from rfm_assets.core.months import add_months, month_end, month_start, months_between


def test_month_start_accepts_text_and_dates():
    assert month_start("2011-03") == month_start("2011-03-17") == month_start(date(2011, 3, 31)) == date(2011, 3, 1)
    with pytest.raises(ValueError, match="not a month"):
        month_start("March")


def test_add_months_crosses_years():
    assert add_months(date(2010, 12, 1), 1) == date(2011, 1, 1)
    assert add_months(date(2011, 1, 1), -13) == date(2009, 12, 1)


def test_month_end_handles_leap_years():
    assert month_end(date(2012, 2, 1)) == date(2012, 2, 29)
    assert month_end(date(2011, 2, 1)) == date(2011, 2, 28)


def test_months_between_inclusive():
    assert months_between(date(2010, 11, 1), date(2011, 2, 1)) == [
        date(2010, 11, 1),
        date(2010, 12, 1),
        date(2011, 1, 1),
        date(2011, 2, 1),
    ]
