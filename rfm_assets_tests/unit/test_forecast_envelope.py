"""Forecasts never explode: every published value stays inside the envelope the history supports.

The envelope is recomputed here from its documented definition (rfm_assets/core/forecast_envelope.py
module doc) and by hand on tiny histories, never read from the code under test.
"""

import re
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from rfm_assets.core import forecasting
from rfm_assets.core.forecast_envelope import envelope
from rfm_assets.core.forecasting import ForecastConfig, forecast_all
from rfm_assets.core.months import add_months, month_end
from rfm_assets_tests.sources.growing_shop import write_growing_shop

BOUNDS = ["lo_95", "lo_80", "forecast", "hi_80", "hi_95"]
END = date(2023, 12, 1)  # every battery series ends with this month
H = 24


def reference(y, horizon=H):
    """(upper, point_upper) from the documented formula, written independently and plainly."""
    y, n = [max(float(v), 0.0) for v in y], len(y)
    if n < 2:
        g = 0.0
    else:
        w, lag = (min(12, n - 12), 12) if n > 12 else (n // 2, n // 2)
        later, earlier = float(np.median(y[n - w :])), float(np.median(y[n - w - lag : n - lag]))
        g = (later / earlier) ** (1 / lag) - 1 if earlier > 0 else (1.0 if later > 0 else 0.0)
        g = min(max(g, 0.0), 0.10)
    trend = np.array([max(y) * (1 + g) ** h for h in range(1, horizon + 1)])
    return 4 * trend, 2 * trend


def battery(noise_seed=None):
    """Monthly totals of odd histories: ramps of 1-24 months, exponential growth, a step, a spike, zeros."""
    shapes = {f"ramp{n}": 1000.0 * np.arange(1, n + 1) for n in range(1, 25)}
    shapes |= {f"exp{n}": 100.0 * 1.5 ** np.arange(n) for n in (7, 12, 24, 36)}
    shapes |= {f"double{n}": 10.0 * 2.0 ** np.arange(n) for n in (8, 16)}
    shapes["step"] = np.r_[np.full(12, 1000.0), np.full(6, 5000.0)]
    shapes["spike"] = np.r_[np.full(10, 1000.0), [50_000.0], np.full(5, 1000.0)]
    shapes["spike_last"] = np.r_[np.full(15, 1000.0), [50_000.0]]
    shapes["zeros_then_growth"] = np.r_[np.zeros(12), 100.0 * 1.6 ** np.arange(8)]
    if noise_seed is None:
        return shapes
    rng = np.random.default_rng(noise_seed)
    return {f"{k}~": v * rng.lognormal(0, 0.25, len(v)) for k, v in shapes.items()}


def daily(shapes, seed=0):
    """Each month's total spread over its days (Dirichlet shares); every series ends in END."""
    rng, frames = np.random.default_rng(seed), []
    for name, totals in shapes.items():
        for k, total in enumerate(totals):
            month = add_months(END, k - len(totals) + 1)
            days = pd.date_range(month, month_end(month), freq="D")
            frames.append(
                pd.DataFrame({"series": name, "ds": days, "y": total * rng.dirichlet(np.full(len(days), 20.0))})
            )
    return pd.concat(frames, ignore_index=True)


def assert_inside(result, shapes):
    fc = result.forecasts
    assert sorted(fc["series"].unique()) == sorted(shapes)
    for name, totals in shapes.items():
        part = fc[fc["series"] == name]
        values = part[BOUNDS].to_numpy(float)
        upper, point_upper = reference(totals)
        assert len(part) == H, name
        assert np.isfinite(values).all(), name
        assert (values >= 0).all(), name
        assert (np.diff(values, axis=1) >= -1e-9 * np.maximum(1, np.abs(values[:, 1:]))).all(), name
        assert (values <= upper[:, None] * (1 + 1e-9)).all(), (name, values.max(), upper.max())
        assert (part["forecast"].to_numpy() <= point_upper * (1 + 1e-9)).all(), name


@pytest.mark.parametrize("noise_seed", [None, 1, 2])
def test_battery_stays_inside_the_envelope(noise_seed):
    shapes = battery(noise_seed)
    result = forecast_all(daily(shapes), month_end(END))
    assert_inside(result, shapes)
    for w in result.warnings:  # every envelope warning names a battery series and says why
        if "envelope" in w:
            assert w.split(":")[0] in shapes and "the history's largest month" in w, w


def test_envelope_by_hand():
    two = envelope(np.array([100.0, 200.0]), 3)  # growth 100%/month, capped at 10%
    np.testing.assert_allclose(two.upper, [4 * 200 * 1.1, 4 * 200 * 1.21, 4 * 200 * 1.331])
    np.testing.assert_allclose(two.point_upper, [440.0, 484.0, 532.4])
    spike = envelope(np.r_[np.full(10, 10.0), [1000.0], np.full(5, 10.0)], 2)  # medians 10 vs 10: no growth
    assert spike.growth == 0.0 and list(spike.upper) == [4000.0, 4000.0]
    shrinking = envelope(np.array([50.0, 40, 30, 20]), 2)
    assert shrinking.observed_growth == pytest.approx((25 / 45) ** 0.5 - 1) and shrinking.growth == 0.0  # medians
    seasonal = (
        100 * (1 + 0.4 * np.sin(np.pi * np.arange(30) / 6)) * 1.02 ** np.arange(30)
    )  # the same months a year apart
    assert envelope(seasonal, 1).growth == pytest.approx(0.02)
    zeros = envelope(np.r_[np.zeros(14), [5.0, 6.0]], 1)  # nothing a year earlier: growth undefined, capped
    assert zeros.growth == 0.10 and zeros.upper[0] == pytest.approx(4 * 6 * 1.1)
    assert list(envelope(np.zeros(5), 2).upper) == [0.0, 0.0] and envelope(np.array([7.0]), 1).growth == 0.0


def explode(monkeypatch, *, point: bool):
    """Fault injection: in the final fit (not the backtest), every model but Naive returns its bounds
    (and its point forecast if ``point``) times 1e19."""
    real = forecasting.run

    def exploding(model, grain, months, weeks, cutoffs, h, levels):
        out = real(model, grain, months, weeks, cutoffs, h, levels)
        if model.alias == "Naive" or h != H:
            return out
        return [{k: v * (1e19 if (point or k.startswith("hi")) else 1) for k, v in part.items()} for part in out]

    monkeypatch.setattr(forecasting, "run", exploding)


def test_an_exploding_point_forecast_falls_back_with_a_reason(monkeypatch):
    shapes = {"ramp": 1000.0 * np.arange(1, 19)}  # a trend: the backtest prefers a model over Naive
    explode(monkeypatch, point=True)
    result = forecast_all(daily(shapes), month_end(END), ForecastConfig(grains=("monthly",)))
    assert_inside(result, shapes)
    fc = result.forecasts
    assert (fc["model"] == "Naive").all()
    np.testing.assert_allclose(fc["forecast"], 18_000.0)  # Naive: the last month, flat
    why = [w for w in result.warnings if w.startswith("ramp: fell back to Naive (monthly): ")]
    assert len(why) == 1 and re.search(
        r"\(monthly\): its forecast reaches 1\.\d+e\+19x the history's largest month "
        r"at month \d+; the envelope allows 2\.2x",
        why[0],
    ), result.warnings
    bt = result.backtest
    assert bt.loc[bt["chosen"], "model"].tolist() == ["Naive"]


def test_exploding_intervals_are_clipped_with_a_warning(monkeypatch):
    shapes = {"ramp": 1000.0 * np.arange(1, 19)}
    clean = forecast_all(daily(shapes), month_end(END), ForecastConfig(grains=("monthly",)))
    explode(monkeypatch, point=False)
    result = forecast_all(daily(shapes), month_end(END), ForecastConfig(grains=("monthly",)))
    assert_inside(result, shapes)
    upper, _ = reference(shapes["ramp"])
    model = clean.forecasts["model"].iloc[0]
    assert model != "Naive" and (result.forecasts["model"] == model).all()  # the point was fine: same model
    np.testing.assert_allclose(result.forecasts["forecast"], clean.forecasts["forecast"])
    np.testing.assert_allclose(result.forecasts["hi_95"], upper)  # every hi bound clipped to the envelope
    assert any(
        w.startswith(f"ramp: {model} (monthly) bounds clipped to the envelope in 24 of 24 months")
        for w in result.warnings
    ), result.warnings


def test_growing_shop_company_and_newcomer_series(tmp_path):
    """A young shop (acquisitions accelerate): its company series and its newest customers' series."""
    path = write_growing_shop(tmp_path / "shop.parquet", 60_000, 6_000, n_months=12, start="2023-01", seed=4)
    frame = duckdb.sql(f"""
        with firsts as (select cust, min(dt) first_dt from '{path}' group by 1)
        select 'company' series, cast(dt as date) ds, sum(amt) y from '{path}' group by 1, 2
        union all
        select 'newcomers', cast(dt as date), sum(amt) from '{path}' join firsts using (cust)
        where first_dt >= timestamp '2023-10-01' group by 1, 2""").df()
    result = forecast_all(frame, date(2023, 12, 31))
    totals = frame.assign(m=pd.to_datetime(frame["ds"]).dt.to_period("M")).groupby(["series", "m"])["y"].sum()
    assert_inside(result, {name: totals[name].to_numpy() for name in ("company", "newcomers")})
