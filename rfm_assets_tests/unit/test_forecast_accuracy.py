"""Realized forecast accuracy on hand-made fixtures: pairs, naive baselines, coverage, point in time."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from rfm_assets.core.forecast_accuracy import accuracy_table, realized_pairs


def _months(first: date, values: list[float], series: str = "s") -> pd.DataFrame:
    ds = [date(first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1, 1) for k in range(len(values))]
    return pd.DataFrame({"series": series, "ds": ds, "y": values})


# 2020-01 .. 2021-03: 15 months, 100 + 10 * k
ACTUALS = _months(date(2020, 1, 1), [100.0 + 10 * k for k in range(15)])


def _fc(origin: date, months: list[date], values: list[float], width: float = 5.0) -> pd.DataFrame:
    v = np.array(values)
    return pd.DataFrame(
        {
            "snapshot_month": origin,
            "series": "s",
            "ds": months,
            "forecast": v,
            "lo_80": v - width,
            "hi_80": v + width,
            "lo_95": v - 2 * width,
            "hi_95": v + 2 * width,
        }
    )


def test_pairs_by_hand():
    # origin 2021-01 (month index 12, actual 220) forecasts Feb and Mar 2021; scored at 2021-02: Feb only
    fc = _fc(date(2021, 1, 1), [date(2021, 2, 1), date(2021, 3, 1)], [235.0, 250.0])
    pairs = realized_pairs(fc, ACTUALS, date(2021, 2, 1))
    assert len(pairs) == 1
    row = pairs.iloc[0]
    assert row["horizon"] == 1 and row["actual"] == 230.0 and row["forecast"] == 235.0
    assert row["naive"] == 220.0  # the origin month
    assert row["seasonal_naive"] == 110.0  # Feb 2020, known at the origin
    assert row["history_months"] == 13  # Jan 2020 .. Jan 2021


def test_seasonal_naive_only_where_the_origin_knew_it_and_later_snapshots_ignored():
    fc = pd.concat(
        [
            _fc(date(2020, 3, 1), [date(2020, 4, 1)], [140.0]),  # Apr 2019 not in the history: no seasonal naive
            _fc(date(2021, 2, 1), [date(2021, 3, 1)], [999.0]),  # origin = the month scored at: not yet scored
        ]
    )
    pairs = realized_pairs(fc, ACTUALS, date(2021, 2, 1))
    assert len(pairs) == 1 and np.isnan(pairs.iloc[0]["seasonal_naive"]) and pairs.iloc[0]["naive"] == 120.0


def test_accuracy_figures_by_hand():
    # two origins, one month ahead each: errors 5 (inside both bands) and 30 (outside both)
    fc = pd.concat(
        [
            _fc(date(2020, 6, 1), [date(2020, 7, 1)], [165.0]),  # actual 160
            _fc(date(2020, 7, 1), [date(2020, 8, 1)], [200.0]),  # actual 170
        ]
    )
    table = accuracy_table(realized_pairs(fc, ACTUALS, date(2020, 9, 1)))
    row = table[(table["h_from"] == 1) & (table["h_to"] == 1) & (table["min_history_months"] == 1)].iloc[0]
    assert row["n_origins"] == 2 and row["n_months"] == 2
    assert row["mae"] == pytest.approx((5 + 30) / 2)
    assert row["mape"] == pytest.approx((5 / 160 + 30 / 170) / 2)
    assert row["mae_naive"] == pytest.approx(10.0)  # naive misses by one step, 10, both times
    assert row["mape_naive"] == pytest.approx((10 / 160 + 10 / 170) / 2)
    assert row["coverage_80"] == 0.5 and row["coverage_95"] == 0.5
    # origin 2020-06 has 6 months of history, 2020-07 has 7: both in the 6+ band, none in 12+
    assert set(table["min_history_months"]) == {1, 6}


def test_rows_at_m_do_not_move_when_everything_after_m_is_rewritten():
    month = date(2020, 9, 1)
    fc = pd.concat(
        [_fc(date(2020, m, 1), [date(2020, m + 1, 1), date(2020, m + 2, 1)], [150.0, 160.0]) for m in range(3, 11)]
    )
    before = accuracy_table(realized_pairs(fc, ACTUALS, month))
    later = ACTUALS.copy()
    later.loc[pd.to_datetime(later["ds"]) > pd.Timestamp(month), "y"] *= 7
    fc_later = fc.copy()
    fc_later.loc[pd.to_datetime(fc_later["snapshot_month"]) >= pd.Timestamp(month), "forecast"] = 1e9
    after = accuracy_table(realized_pairs(fc_later, later, month))
    pd.testing.assert_frame_equal(before, after)
    assert not accuracy_table(realized_pairs(fc_later, later, date(2020, 12, 1))).equals(before)


def test_accuracy_plot_is_png():
    from rfm_assets.core.plots import accuracy_plot

    fc = pd.concat(
        [_fc(date(2020, m, 1), [date(2020, m + 1, 1), date(2020, m + 2, 1)], [150.0, 160.0]) for m in range(3, 11)]
    )
    table = accuracy_table(
        realized_pairs(fc.assign(series="company"), ACTUALS.assign(series="company"), date(2020, 12, 1))
    )
    assert accuracy_plot(table, date(2020, 12, 1)).startswith(b"\x89PNG")


def test_accuracy_plot_of_a_month_with_nothing_realized_says_so_without_warnings():
    import warnings

    from rfm_assets.core.plots import accuracy_plot

    # a month before any forecast has reached its target: the table has no rows
    empty = accuracy_table(
        realized_pairs(_fc(date(2020, 11, 1), [date(2020, 12, 1)], [1.0]), ACTUALS, date(2020, 11, 1))
    )
    assert empty.empty
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warned "No artists with labels found" here before
        assert accuracy_plot(empty, date(2020, 11, 1)).startswith(b"\x89PNG")
