"""The candidate forecast models and how one is fitted at several origins (pure statsforecast/numpy).

- ``candidates``: the models of a grain (see ``forecasting``'s module doc for which run when).
- ``ProfileETS`` (monthly, 13+ months): a non-seasonal AutoETS fitted on the history divided by a
  seasonal profile estimated from as little as one year (:func:`seasonal_profile`), its forecast
  and bounds multiplied back by the profile of the months forecast. So a Q4 peak seen once is
  forecast again, shrunk toward flat, long before two full seasons allow a seasonal ETS.
- ``run``: one StatsForecast call fits a model at every cutoff (each cutoff its own unique_id) and
  returns the month totals of the ``h`` months after each.
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from rfm_assets.core.forecast_history import weeks_to_months
from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months, month_end

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")

# statsforecast is imported where it is used: importing it costs ~1 s of code-load time.

SEASON_WEEKS = 52
PROFILE_MODEL = "ProfileETS"
PROFILE_MIN_MONTHS = 13  # a profile needs every calendar month once and one month seen twice
PROFILE_SHRINK = 1.0  # kappa: a calendar month seen c times keeps c / (c + kappa) of its log effect
PROFILE_ITERATIONS = 4


def seasonal_profile(y: np.ndarray, calendar_months: np.ndarray, shrink: float = PROFILE_SHRINK) -> np.ndarray | None:
    """Multiplicative factor per calendar month (index 0 = January), geometric mean 1; None if not estimable.

    Backfitting on log revenue (months with revenue only): a straight log trend, then each calendar
    month's mean residual shrunk by c / (c + shrink) (c: how often that month was seen), centred;
    repeated PROFILE_ITERATIONS times. Needs PROFILE_MIN_MONTHS months, every calendar month positive once.
    """
    y = np.asarray(y, dtype=float)
    cal = np.asarray(calendar_months, dtype=int) - 1
    if len(y) < PROFILE_MIN_MONTHS:
        return None
    pos = y > 0
    if len(set(cal[pos])) < 12:
        return None
    t, ly, k = np.arange(len(y), dtype=float)[pos], np.log(y[pos]), cal[pos]
    counts = np.bincount(k, minlength=12).astype(float)
    s = np.zeros(12)
    for _ in range(PROFILE_ITERATIONS):
        slope, intercept = np.polyfit(t, ly - s[k], 1)
        resid = ly - (intercept + slope * t)
        s = np.bincount(k, weights=resid, minlength=12) / counts * counts / (counts + shrink)
        s -= s.mean()
    return np.exp(s)


def value_columns(levels: tuple[int, ...]) -> list[str]:
    return ["forecast"] + [f"{s}_{lv}" for lv in sorted(levels) for s in ("lo", "hi")]


def candidates(grain: str, seasonal: bool, n_months: int, season: int, names: tuple[str, ...]) -> list[Any]:
    """The models of a grain; at monthly grain the baseline comes first."""
    from statsforecast.models import AutoARIMA, AutoETS, AutoTheta, Naive, SeasonalNaive

    m = season if seasonal else 1
    if grain == "weekly":
        make = {
            "AutoETS": lambda: AutoETS(model="ZZN"),
            "AutoTheta": lambda: AutoTheta(season_length=SEASON_WEEKS if seasonal else 1),
        }
        return [make[n]() for n in names if n in make]
    make = {
        "AutoETS": lambda: AutoETS(season_length=m, model="ZZZ" if seasonal else "ZZN"),
        "AutoARIMA": lambda: AutoARIMA(season_length=m, seasonal=seasonal),
        "AutoTheta": lambda: AutoTheta(season_length=m),
    }
    models = [make[n]() for n in names if seasonal or n != "AutoARIMA"]  # see forecasting's module doc
    if n_months >= PROFILE_MIN_MONTHS and "AutoETS" in names:
        models.append(AutoETS(model="ZZN", alias=PROFILE_MODEL))
    return [SeasonalNaive(season_length=m) if seasonal else Naive()] + models


def _profile_at(months: pd.Series, cut: date) -> np.ndarray | None:
    train = months[months.index <= pd.Timestamp(cut)]
    return seasonal_profile(train.to_numpy(float), pd.DatetimeIndex(train.index).month.to_numpy())


def run(
    model: Any, grain: str, months: pd.Series, weeks: pd.Series, cutoffs: list[date], h: int, levels: tuple[int, ...]
) -> list[dict[str, np.ndarray]]:
    """Month totals (mean, lo_<l>, hi_<l>) of ``model`` fitted at each cutoff (a month end), h months on.

    One StatsForecast call fits every cutoff, each as its own unique_id. ProfileETS fits on the
    history divided by the profile estimated at that cutoff (none estimable: plain non-seasonal ETS).
    """
    from statsforecast import StatsForecast

    frames, steps, profiles = [], [], []
    for i, cut in enumerate(cutoffs):
        profile = _profile_at(months, cut) if model.alias == PROFILE_MODEL else None
        if grain == "monthly":
            train, step = months[months.index <= pd.Timestamp(cut)], h
            if profile is not None:
                train = train / profile[pd.DatetimeIndex(train.index).month.to_numpy() - 1]
        else:  # complete weeks only; the forecast starts on the Monday after the last one
            train = weeks[weeks.index <= pd.Timestamp(cut - timedelta(days=6))]
            step = (month_end(add_months(cut, h)) - train.index[-1].date()).days // 7
        frames.append(pd.DataFrame({"unique_id": i, "ds": train.index, "y": train.to_numpy(float)}))
        steps.append(step)
        profiles.append(profile)
    sf = StatsForecast(models=[model], freq="MS" if grain == "monthly" else "W-MON", n_jobs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = sf.forecast(df=pd.concat(frames, ignore_index=True), h=max(steps), level=list(levels))
    if not isinstance(fc, pd.DataFrame):  # a pandas input gives a pandas output
        raise TypeError(f"StatsForecast.forecast returned {type(fc).__name__}, expected a pandas DataFrame")
    name = model.alias
    cols = {"mean": name} | {f"{s}_{lv}": f"{name}-{s}-{lv}" for lv in levels for s in ("lo", "hi")}
    out = []
    for i, cut in enumerate(cutoffs):
        part = fc[fc["unique_id"] == i].head(steps[i])
        values = {k: part[c].to_numpy(float) for k, c in cols.items()}
        if profiles[i] is not None:
            factor = profiles[i][pd.DatetimeIndex(part["ds"]).month.to_numpy() - 1]
            values = {k: v * factor for k, v in values.items()}
        out.append(values if grain == "monthly" else weeks_to_months(part["ds"].to_numpy(), values, cut, h))
    return out


def tidy(values: dict[str, np.ndarray], levels: tuple[int, ...], widen: float = 1.0) -> dict | None:
    """Widen the intervals by ``widen``, clip at 0, nest them around the forecast; None if not finite."""
    if not all(np.isfinite(v).all() for v in values.values()):
        return None
    lo = hi = mean = np.clip(values["mean"], 0, None)
    out = {"forecast": mean}
    for lv in sorted(levels):
        lo = np.minimum(np.clip(mean - widen * (values["mean"] - values[f"lo_{lv}"]), 0, None), lo)
        hi = np.maximum(mean + widen * (values[f"hi_{lv}"] - values["mean"]), hi)
        out[f"lo_{lv}"], out[f"hi_{lv}"] = lo, hi
    return out
