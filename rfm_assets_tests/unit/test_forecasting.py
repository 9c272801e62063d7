"""Forecasts on simulated revenue with known trend and seasonality; edge cases; weekly-to-month spreading."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from rfm_assets.core.forecast_history import weeks_to_months
from rfm_assets.core.forecasting import ForecastConfig, forecast_all
from rfm_assets.core.months import add_months, month_end
from rfm_assets.core.plots import forecast_plot, forecast_series_plot

# one worker under `make test` (--dist loadgroup), so the module-scoped fixture is built once
pytestmark = pytest.mark.xdist_group("test_forecasting")

START = date(2020, 1, 1)


def _simulate(name, n_months, *, level=10_000.0, growth=0.02, amp=0.3, noise=0.08, seed=0, start=START):
    """Daily revenue whose month totals are level * (1+growth)^m * season[m % 12] * lognormal noise.

    Returns (daily frame, month totals). Each month's total is split over its days by Dirichlet shares.
    """
    rng = np.random.default_rng(seed)
    season = 1 + amp * np.sin(2 * np.pi * np.arange(12) / 12 + rng.uniform(0, 2 * np.pi))
    rows, totals = [], []
    for m in range(n_months):
        month = add_months(start, m)
        total = level * (1 + growth) ** m * season[m % 12] * rng.lognormal(0, noise)
        shares = rng.dirichlet(np.full(month_end(month).day, 20.0))
        rows += [(name, date(month.year, month.month, d + 1), total * s) for d, s in enumerate(shares)]
        totals.append(total)
    return pd.DataFrame(rows, columns=["series", "ds", "y"]), np.array(totals)


def _as_of(n_months, start=START):
    return month_end(add_months(start, n_months - 1))


def _bounds_ok(fc):
    cols = ["lo_95", "lo_80", "forecast", "hi_80", "hi_95"]
    values = fc[cols].to_numpy(float)
    assert np.isfinite(values).all()
    assert (values >= 0).all()
    assert (np.diff(values, axis=1) >= -1e-9).all()  # lo_95 <= lo_80 <= forecast <= hi_80 <= hi_95


@pytest.fixture(scope="module")
def seasonal_result():
    """Two series, 36 months, strong trend and yearly season: the seasonal naive misses the trend."""
    frames = [_simulate(f"s{i}", 36, growth=g, amp=0.3, noise=0.05, seed=i)[0] for i, g in enumerate((0.03, -0.02))]
    return forecast_all(pd.concat(frames), _as_of(36))


def test_exactly_horizon_future_months_per_series_with_nested_bounds(seasonal_result):
    fc = seasonal_result.forecasts
    expected_months = [date(2023 + (k // 12), k % 12 + 1, 1) for k in range(24)]  # as_of is 2022-12-31
    for _, group in fc.groupby("series"):
        assert list(group["ds"]) == expected_months
    assert sorted(fc["series"].unique()) == ["s0", "s1"]
    _bounds_ok(fc)
    assert set(fc["grain"]) <= {"monthly", "weekly"}


def test_chosen_model_beats_the_seasonal_naive(seasonal_result):
    skill = seasonal_result.skill
    assert (skill["baseline"] == "SeasonalNaive").all()
    assert (skill["skill"] > 0).all(), skill
    bt = seasonal_result.backtest
    assert bt.groupby("series")["chosen"].sum().eq(1).all()
    assert bt.groupby("series")["is_baseline"].sum().eq(1).all()
    assert {"AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive"} <= set(bt["model"])
    assert (bt.loc[bt["grain"] == "monthly", "season_length"] == 12).all()
    assert (bt["n_windows"] == 3).all()


def test_timings_cover_every_model_family(seasonal_result):
    seconds = seasonal_result.seconds_by_model()
    assert set(seconds) == {"AutoETS", "AutoARIMA", "AutoTheta", "SeasonalNaive", "ProfileETS"}
    assert all(v > 0 for v in seconds.values())


def test_history_is_zero_filled_month_totals():
    daily, _ = _simulate("gappy", 14, seed=3)
    ds = pd.to_datetime(daily["ds"])
    daily = daily[(ds.dt.month != 5) & (ds.dt.day != 15)]  # no sales in May 2020, nor on any 15th
    kept = pd.to_datetime(daily["ds"])
    expected = [
        float(daily.loc[(kept.dt.year == m.year) & (kept.dt.month == m.month), "y"].sum())
        for m in (add_months(START, k) for k in range(14))
    ]
    result = forecast_all(daily, _as_of(14), ForecastConfig(grains=("monthly",)))
    hist = result.history
    assert list(hist["ds"]) == [add_months(START, k) for k in range(14)]
    assert np.allclose(hist["y"], expected)
    assert hist["y"].iloc[4] == 0.0


def test_short_history_uses_only_non_seasonal_models():
    daily, _ = _simulate("young", 10, seed=5)
    result = forecast_all(daily, _as_of(10))
    bt = result.backtest
    assert set(bt["model"]) == {"Naive", "AutoETS", "AutoTheta"}  # AutoARIMA only from two seasons on
    assert (bt["season_length"] == 1).all()
    assert bt.loc[bt["is_baseline"], "model"].tolist() == ["Naive"]
    assert (bt["n_windows"] >= 1).all()
    assert len(result.forecasts) == 24
    _bounds_ok(result.forecasts)


def test_very_short_history_gives_naive_and_a_warning():
    daily, totals = _simulate("newborn", 3, seed=6)
    result = forecast_all(daily, _as_of(3))
    fc = result.forecasts
    assert (fc["model"] == "Naive").all() and len(fc) == 24
    assert np.allclose(fc["forecast"], totals[-1])  # naive: the last month's total, flat
    assert any("newborn" in w for w in result.warnings)
    assert result.backtest.empty
    assert np.isnan(result.skill["skill"].iloc[0])
    _bounds_ok(fc)


def test_all_zero_and_single_spike_series_do_not_crash():
    days = pd.date_range("2020-01-01", "2021-12-31", freq="D")
    zeros = pd.DataFrame({"series": "zero", "ds": days, "y": 0.0})
    spike = pd.DataFrame({"series": "spike", "ds": days, "y": np.where(days == "2021-03-10", 500.0, 0.0)})
    result = forecast_all(pd.concat([zeros, spike]), date(2021, 12, 31))
    fc = result.forecasts
    assert fc.groupby("series").size().to_dict() == {"spike": 24, "zero": 24}
    assert (fc.loc[fc["series"] == "zero", ["forecast", "lo_80", "hi_80", "lo_95", "hi_95"]] == 0).all().all()
    assert any("zero" in w and "all-zero" in w for w in result.warnings)
    _bounds_ok(fc)


def test_negative_late_and_mid_month_inputs_are_guarded():
    daily, _ = _simulate("odd", 8, seed=7)
    daily.loc[daily.index[:3], "y"] = -5.0
    result = forecast_all(daily, date(2020, 8, 15))  # mid-month: history ends 2020-07-31
    assert result.history["ds"].max() == date(2020, 7, 1)
    assert result.forecasts["ds"].min() == date(2020, 8, 1)
    assert len(result.warnings) >= 3  # negatives, not a month end, rows after the history end
    _bounds_ok(result.forecasts)


def test_weeks_are_spread_over_their_days_into_months():
    # cutoff 2023-01-31; weeks from Monday 2023-01-30 to Monday 2023-03-27 (covers 31 March)
    mondays = pd.date_range("2023-01-30", "2023-03-27", freq="W-MON").to_numpy()
    values = {"mean": np.full(len(mondays), 7.0)}  # one per day
    out = weeks_to_months(mondays, values, date(2023, 1, 31), 2)
    assert out["mean"].tolist() == [28.0, 31.0]  # Jan 30-31 belong to the history, not the forecast


def test_plots_are_png(seasonal_result):
    assert forecast_series_plot(seasonal_result, "s0").startswith(b"\x89PNG")
    assert forecast_plot(seasonal_result).startswith(b"\x89PNG")
    with pytest.raises(ValueError):
        forecast_series_plot(seasonal_result, "nope")


@pytest.mark.slow
def test_intervals_cover_held_out_truth_at_about_nominal_rate():
    """40 series, 36 months of history, the next 12 months held out (480 month totals)."""
    rng = np.random.default_rng(123)
    frames, truth = [], {}
    for i in range(40):
        level, growth, amp = rng.uniform(1e3, 1e5), rng.uniform(-0.02, 0.03), rng.uniform(0.1, 0.4)
        name = f"c{i:02d}"
        daily, totals = _simulate(name, 48, level=level, growth=growth, amp=amp, noise=0.1, seed=100 + i)
        frames.append(daily[daily["ds"] <= _as_of(36)])
        truth[name] = totals[36:]
    result = forecast_all(pd.concat(frames), _as_of(36), ForecastConfig(horizon_months=12))
    fc = result.forecasts.sort_values(["series", "ds"])
    actual = np.concatenate([truth[s] for s in sorted(truth)])
    cover = {lv: float(np.mean((actual >= fc[f"lo_{lv}"]) & (actual <= fc[f"hi_{lv}"]))) for lv in (80, 95)}
    assert 0.65 <= cover[80] <= 0.92, cover
    assert 0.85 <= cover[95] <= 1.0, cover
    assert (result.skill["skill"] > 0).mean() >= 0.75
