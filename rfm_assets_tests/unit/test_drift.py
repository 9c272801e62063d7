"""Drift logic on hand-built frames: expected ratios and shifts worked out by hand in the comments."""

from datetime import date

import pandas as pd
import pytest

from rfm_assets.core.drift import parameter_drift, share_level, share_shift, trailing_ratio, volume_drift

JULY = date(2011, 7, 1)


def monthly(values: dict[str, float], column: str = "revenue") -> pd.DataFrame:
    return pd.DataFrame({"snapshot_month": [date.fromisoformat(k + "-01") for k in values], column: list(values.values())})


HISTORY = {"2010-12": 10_000.0,  # outside the 6-month window of July: ignored
           "2011-01": 100.0, "2011-02": 120.0, "2011-03": 80.0, "2011-04": 110.0, "2011-05": 90.0, "2011-06": 100.0,
           "2011-08": 1.0}  # after July: never read (point in time)


def test_revenue_ratio_to_trailing_median():
    # previous six months sorted: 80 90 100 100 110 120 -> median 100
    high = trailing_ratio(monthly({**HISTORY, "2011-07": 250.0}), JULY, "revenue", what="revenue")
    assert not high.passed and high.metadata["trailing_median"] == 100.0 and high.metadata["ratio"] == 2.5
    assert "2.50x the median 100" in high.description and "OUTSIDE [0.5x, 2x]" in high.description
    assert high.metadata["history_months"] == 6
    assert trailing_ratio(monthly({**HISTORY, "2011-07": 150.0}), JULY, "revenue", what="revenue").passed
    low = trailing_ratio(monthly({**HISTORY, "2011-07": 40.0}), JULY, "revenue", what="revenue")
    assert not low.passed and low.metadata["ratio"] == 0.4


def test_too_little_history_passes_and_says_so():
    result = trailing_ratio(monthly({"2011-05": 100.0, "2011-06": 100.0, "2011-07": 900.0}), JULY, "revenue",
                            what="revenue")
    assert result.passed and "not enough history" in result.description and result.metadata["history_months"] == 2
    missing = trailing_ratio(monthly(HISTORY), JULY, "revenue", what="revenue")
    assert missing.passed and "nothing to compare" in missing.description


def test_error_jump_warns_only_upwards():
    mase = monthly({"2011-04": 0.8, "2011-05": 0.9, "2011-06": 1.0, "2011-07": 2.0}, "mase")
    jump = trailing_ratio(mase, JULY, "mase", what="company forecast MASE", low=None, high=2.0)
    assert not jump.passed and jump.metadata["ratio"] == pytest.approx(2.0 / 0.9, abs=1e-4)  # median 0.9
    better = mase.assign(mase=[0.8, 0.9, 1.0, 0.1])
    assert trailing_ratio(better, JULY, "mase", what="MASE", low=None, high=2.0).passed


# A seasonal shop: flat 100 a month with a November peak of 300 (December 200) in 2010, everything x1.5 in 2011.
YEAR_2010 = {f"2010-{m:02d}": v for m, v in zip(range(1, 13), [100.0] * 10 + [300.0, 200.0], strict=True)}
YEAR_2011 = {f"2011-{m:02d}": 1.5 * v for m, v in zip(range(1, 12), [100.0] * 10 + [300.0], strict=False)}
NOVEMBER = date(2011, 11, 1)


def test_recurring_seasonal_peak_is_not_drift_but_a_broken_month_is():
    seasonal = monthly({**YEAR_2010, **YEAR_2011})
    # Nov 2011 = 450: x1.5 on Nov 2010 (300), as every month of May-Oct (150 / 100): 1.00x the usual growth
    result = volume_drift(seasonal, NOVEMBER, "revenue", what="revenue")
    assert result.passed and result.metadata["method"] == "year_over_year"
    assert (result.metadata["yoy_growth"], result.metadata["median_yoy_growth"], result.metadata["ratio"]) == (1.5, 1.5, 1.0)
    assert result.metadata["history_months"] == 6
    # the plain trailing median would call it drift: 450 / 150 = 3x
    assert not trailing_ratio(seasonal, NOVEMBER, "revenue", what="revenue").passed
    broken = monthly({**YEAR_2010, **YEAR_2011, "2011-11": 4500.0})  # prices x10 in the source
    result = volume_drift(broken, NOVEMBER, "revenue", what="revenue")
    assert not result.passed and result.metadata["ratio"] == 10.0 and "OUTSIDE [0.5x, 2x]" in result.description


def test_young_history_uses_the_trailing_median_with_a_wider_band():
    young = {"2010-01": 100.0, "2010-02": 100.0, "2010-03": 100.0}
    growing = volume_drift(monthly({**young, "2010-04": 240.0}), date(2010, 4, 1), "revenue", what="revenue")
    assert growing.passed and growing.metadata["ratio"] == 2.4 and growing.metadata["method"] == "trailing_median"
    assert "under a year of history" in growing.description
    jump = volume_drift(monthly({**young, "2010-04": 300.0}), date(2010, 4, 1), "revenue", what="revenue")
    assert not jump.passed and "OUTSIDE [0.5x, 2.5x]" in jump.description
    drop = volume_drift(monthly({**young, "2010-04": 45.0}), date(2010, 4, 1), "revenue", what="revenue")
    assert not drop.passed and drop.metadata["ratio"] == 0.45


def test_guest_share_change_in_points():
    shares = {"2011-04": 0.25, "2011-05": 0.24, "2011-06": 0.26}  # median 0.25
    jump = share_level(monthly({**shares, "2011-07": 0.40}, "g"), JULY, "g", what="share of guest lines")
    assert not jump.passed and jump.metadata["change"] == pytest.approx(0.15)
    assert "+15.0%" in jump.description
    assert share_level(monthly({**shares, "2011-07": 0.30}, "g"), JULY, "g", what="guest share").passed


def shares(rows: list[tuple[str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame([(date.fromisoformat(m + "-01"), g, s) for m, g, s in rows],
                        columns=["snapshot_month", "segment", "share"])


STEADY = [(m, g, s) for m in ("2011-04", "2011-05") for g, s in (("A", 0.5), ("B", 0.3), ("C", 0.2))]


def test_segment_share_shift_against_the_previous_month():
    frame = shares(STEADY + [("2011-06", "A", 0.5), ("2011-06", "B", 0.3), ("2011-06", "C", 0.2),
                             ("2011-07", "A", 0.3), ("2011-07", "B", 0.3), ("2011-07", "D", 0.4)])
    # June -> July: A -0.2, B 0, C -0.2 (gone), D +0.4 (new): the largest is D
    result = share_shift(frame, JULY, group="segment", share="share", what="segment share")
    assert not result.passed and result.metadata["group"] == "D"
    assert result.metadata["largest_change"] == pytest.approx(0.4) and result.metadata["compared_with"] == "2011-06-01"
    assert "| D | 0.0% | 40.0% | +40.0% |" in result.metadata["shares"]
    calm = shares(STEADY + [("2011-06", "A", 0.5), ("2011-06", "B", 0.3), ("2011-06", "C", 0.2),
                            ("2011-07", "A", 0.4), ("2011-07", "B", 0.35), ("2011-07", "C", 0.25)])
    assert share_shift(calm, JULY, group="segment", share="share", what="segment share").passed  # at most -0.1
    young = shares([("2011-06", "A", 1.0), ("2011-07", "B", 1.0)])
    assert share_shift(young, JULY, group="segment", share="share", what="segment share").passed


def params(month: str, values: dict[str, float]) -> list[tuple[date, str, float]]:
    return [(date.fromisoformat(month + "-01"), p, v) for p, v in values.items()]


def test_clv_parameter_drift_relative_to_previous_fit():
    base = {"r": 0.5, "alpha": 10.0, "a": 0.8, "b": 2.5, "p": 6.0, "q": 4.0, "v": 15.0, "log_likelihood": -900.0}
    july = {**base, "r": 0.55, "alpha": 16.0, "log_likelihood": -2000.0}  # r +10%, alpha +60%; LL is not a parameter
    rows = params("2011-04", base) + params("2011-05", base) + params("2011-06", base) + params("2011-07", july)
    frame = pd.DataFrame(rows, columns=["snapshot_month", "param", "value"])
    result = parameter_drift(frame, JULY)
    assert not result.passed and result.metadata["param"] == "alpha"
    assert result.metadata["change_alpha"] == pytest.approx(0.6) and result.metadata["change_r"] == pytest.approx(0.1)
    assert "change_log_likelihood" not in result.metadata and "10 -> 16" in result.description
    calm = pd.concat([frame[frame["snapshot_month"] < JULY],
                      pd.DataFrame(params("2011-07", {**base, "alpha": 13.0}), columns=frame.columns)])  # +30%
    assert parameter_drift(calm, JULY).passed
    unfitted = frame[frame["snapshot_month"] < JULY]
    assert parameter_drift(unfitted, JULY).passed
