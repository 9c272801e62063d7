"""Interval calibration and short-history seasonality on simulated series whose truth is known."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from rfm_assets.core import forecast_calibration as cal
from rfm_assets.core.forecast_models import PROFILE_SHRINK, seasonal_profile
from rfm_assets.core.forecasting import ForecastConfig, forecast_all
from rfm_assets.core.months import add_months, month_end

LEVELS = (80, 95)


def test_conformal_quantile_by_hand():
    errors = np.arange(1.0, 10.0)  # n = 9: ceil(10 * 0.8) = 8th smallest; 95%: ceil(9.5) = 10 > n: the largest
    assert cal.conformal_quantile(errors, 80) == 8.0
    assert cal.conformal_quantile(errors, 95) == 9.0


def test_too_few_errors_for_a_level_never_narrow_the_models_own_interval():
    """9 errors carry an 80% bound (the 8th smallest) but no 95% one (ceil(9.5) = 10 > 9): at 95% the
    interval is the wider of the largest error's and the model's own, by hand."""
    assert cal.conformal_exact(9, 80) and not cal.conformal_exact(9, 95) and cal.conformal_exact(19, 95)
    errors = np.log(np.linspace(1.01, 1.09, 9))  # largest error: x1.09
    pairs = pd.DataFrame(
        {"series": "s", "origin": range(9), "horizon": 1, "history_months": 24, "actual": 100 * np.exp(errors)}
    ).assign(forecast=100.0)
    q = cal.conformal_quantiles(pairs, LEVELS)["s"]
    wide = {"forecast": np.array([100.0]), "lo_80": np.array([50.0]), "hi_80": np.array([200.0])}
    wide |= {"lo_95": np.array([40.0]), "hi_95": np.array([250.0])}
    out = cal.apply_conformal(wide, q, LEVELS)
    assert (out["lo_95"][0], out["hi_95"][0]) == (40.0, 250.0)  # the model's own, wider, is kept
    # 80% is exact: the 8th smallest error, x1.08 (slightly less: errors carry eps = 1% of the mean month)
    assert out["hi_80"][0] == pytest.approx(108.0, rel=2e-3)
    narrow = {k: np.array([100.0]) for k in wide}
    out = cal.apply_conformal(narrow, q, LEVELS)
    assert out["hi_95"][0] == pytest.approx(109.0, rel=2e-3) and out["lo_95"][0] == pytest.approx(100 / 1.09, rel=2e-3)


def test_conformal_intervals_cover_at_about_nominal_over_many_origins():
    """Truth: actual = forecast * exp(N(0, 0.1 sqrt(h))). 30 series x 30 origins, horizons 1..3; at each
    origin the intervals come only from earlier origins' realized errors. Split-conformal with n = 6..12
    errors covers k / (n + 1) on average: about 0.85 at 80% and 0.92 at 95% (the largest error)."""
    rng = np.random.default_rng(0)
    n_series, n_origins, horizons = 30, 30, (1, 2, 3)
    point = 1000.0
    actual = {h: point * np.exp(rng.normal(0, 0.1 * np.sqrt(h), (n_series, n_origins))) for h in horizons}
    rows, inside, used = [], {lv: [] for lv in LEVELS}, 0
    for o in range(n_origins):
        seen = [r for r in rows if r["origin"] + r["horizon"] <= o]  # realized by origin o
        quantiles = cal.conformal_quantiles(pd.DataFrame(seen), LEVELS) if seen else {}
        for s in range(n_series):
            q = quantiles.get(f"s{s}", {})
            values = {"forecast": np.full(3, point)} | {
                f"{b}_{lv}": np.full(3, point) for lv in LEVELS for b in ("lo", "hi")
            }
            out = cal.apply_conformal(values, q, LEVELS)
            for h in horizons:
                if h in q:
                    used += 1
                    for lv in LEVELS:
                        inside[lv].append(out[f"lo_{lv}"][h - 1] <= actual[h][s, o] <= out[f"hi_{lv}"][h - 1])
                rows.append(
                    {
                        "series": f"s{s}",
                        "origin": o,
                        "horizon": h,
                        "history_months": 24,
                        "actual": actual[h][s, o],
                        "forecast": point,
                    }
                )
    assert used > 1500
    cover = {lv: float(np.mean(v)) for lv, v in inside.items()}
    assert 0.78 <= cover[80] <= 0.90, cover
    assert 0.89 <= cover[95] <= 0.97, cover


def test_random_walk_floor_covers_a_random_walk():
    """A geometric random walk (sigma 0.1 a month), forecast flat at the last month with no interval of its
    own: the floor alone, estimated from the last 12 changes, covers about the nominal share."""
    rng = np.random.default_rng(1)
    inside = {lv: [] for lv in LEVELS}
    for _ in range(600):
        path = 1000 * np.exp(np.cumsum(rng.normal(0, 0.1, 16)))
        hist, future = path[:13], path[13:]
        flat = np.full(3, hist[-1])
        out = cal.random_walk_floor(
            {"forecast": flat} | {f"{b}_{lv}": flat for lv in LEVELS for b in ("lo", "hi")}, hist, LEVELS
        )
        for lv in LEVELS:
            inside[lv] += list((out[f"lo_{lv}"] <= future) & (future <= out[f"hi_{lv}"]))
    cover = {lv: float(np.mean(v)) for lv, v in inside.items()}
    assert 0.73 <= cover[80] <= 0.87, cover
    assert 0.90 <= cover[95] <= 0.99, cover


def test_seasonal_profile_recovers_a_shrunk_season():
    season = np.array([0.8, 0.85, 0.9, 0.95, 1.0, 1.0, 0.95, 1.0, 1.05, 1.2, 1.4, 1.1])
    season = season / np.exp(np.log(season).mean())  # geometric mean 1, as the estimate is centred
    t = np.arange(24)
    y = 1000 * 1.02**t * season[t % 12]
    profile = seasonal_profile(y, t % 12 + 1)
    assert profile is not None
    # each calendar month seen twice: its log effect kept at 2 / (2 + kappa)
    expected = np.exp(np.log(season) * 2 / (2 + PROFILE_SHRINK))
    np.testing.assert_allclose(profile, expected, rtol=0.03)
    assert seasonal_profile(y[:12], t[:12] % 12 + 1) is None  # under 13 months: none


@pytest.mark.slow
def test_a_q4_peak_seen_once_is_not_forecast_as_a_straight_line():
    """20 months (Jan 2020 .. Aug 2021) with one full Q4 peak (x1.6); the forecast made at Aug 2021 must
    lift Oct-Dec 2021 above Aug-Sep 2021 again."""
    rng = np.random.default_rng(2)
    start, rows = date(2020, 1, 1), []
    for k in range(20):
        month = add_months(start, k)
        total = 10_000 * 1.01**k * (1.6 if month.month >= 10 else 1.0) * rng.lognormal(0, 0.03)
        days = month_end(month).day
        rows += [("company", date(month.year, month.month, d + 1), total / days) for d in range(days)]
    daily = pd.DataFrame(rows, columns=["series", "ds", "y"])
    result = forecast_all(daily, month_end(add_months(start, 19)), ForecastConfig(grains=("monthly",)))
    fc = result.forecasts.set_index("ds")["forecast"]
    summer = fc.loc[pd.Index([date(2021, 9, 1)])].mean()
    q4 = fc.loc[pd.Index([date(2021, 10, 1), date(2021, 11, 1), date(2021, 12, 1)])].mean()
    assert q4 > 1.2 * summer, (result.forecasts[["ds", "model", "forecast"]].head(6), result.skill)


def test_conformal_width_never_shrinks_with_the_horizon():
    flat = np.full(4, 100.0)
    values = {"forecast": flat} | {f"{b}_{lv}": flat for lv in LEVELS for b in ("lo", "hi")}
    q = {1: {80: 0.5, 95: 0.9}, 2: {80: 0.1, 95: 0.2}}  # h = 2 came out narrower on few errors
    out = cal.apply_conformal(values, q, LEVELS)
    assert out["hi_80"][1] == pytest.approx(100 * np.exp(0.5))  # h = 2 keeps h = 1's width
    assert out["hi_95"][3] == pytest.approx(100 * np.exp(0.9 * np.sqrt(4 / 2)))  # past h* = 2: sqrt(h / h*)
    assert out["lo_95"][0] == pytest.approx(100 * np.exp(-0.9))
