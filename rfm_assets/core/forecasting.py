"""Monthly revenue forecasts per customer cluster and for the company (pure statsforecast/pandas, no dagster).

Per series (a cluster name or 'company'):
- History: daily revenue summed into calendar months and ISO weeks (labelled by Monday) from the series'
  first day to the end of the last complete month at ``as_of``. Days with no rows count as zero.
- Candidates: AutoETS, AutoARIMA, AutoTheta and the baseline SeasonalNaive (same month last year).
  Under two seasons (24 months) only non-seasonal variants run, the baseline is Naive, and
  AutoARIMA sits out: measured over 36-month benchmark datasets and the default data (270
  series-months), non-seasonal AutoARIMA won 5-10% of backtests, its MASE averaged 1.4-1.9x the
  best other candidate's, and it took ~70% of the forecasting time (0.5 s per series per fit).
  From 24 months on it runs (it wins 17-25% of seasonal backtests). From 13 months on, ProfileETS
  (``forecast_models``: ETS on the history divided by a shrunk one-year seasonal profile) joins,
  so a season seen once is forecast again before two seasons allow a seasonal model.
  With under MIN_MONTHS months, or an all-zero history, there is no backtest: Naive, plus a warning.
- Grain: all candidates run on month totals. AutoETS (non-seasonal: ETS seasons must be <= 24) and
  AutoTheta (season 52) also run on week totals; each week's forecast is spread evenly over its
  days into months. AutoARIMA is monthly only: a fit at m=52 took ~7 s on 156 weeks.
- Selection: rolling-origin backtest with origins at month ends. Windows of ``cv_horizon_months``
  don't overlap; there are at most ``cv_windows`` of them, fewer if the first training window would
  be shorter than season + 1 months (MIN_TRAIN_MONTHS if non-seasonal). Both grains are scored on
  month totals. MASE = window MAE / in-sample MAE of the seasonal naive (the naive when
  non-seasonal) on that window's training months, averaged over windows; sMAPE is in percent.
  The lowest MASE wins (the baseline wins ties). skill = 1 - MASE(chosen) / MASE(monthly baseline).
- Intervals: each model's own 80/95% intervals. Weekly bounds are summed into months, as if the
  weeks' errors were perfectly correlated (conservative). The chosen model's intervals are widened
  by max(``interval_scale``, ``forecast_calibration.widen_rule``): interval_scale = max(1, RMS of
  backtest error / sigma implied by its 95% bound), capped at MAX_INTERVAL_SCALE: at most 3 windows
  of 3 months cannot support more (a model whose own intervals are near zero would otherwise be
  blown up hundreds of times); a warning names the series where the cap binds. Then they are made
  at least as wide as a random walk's on log revenue, and replaced by conformal intervals from the
  realized errors of the forecasts ``published`` at earlier snapshots wherever a horizon has
  enough of them (``forecast_calibration``).
- Envelope (``forecast_envelope``): a candidate whose point forecast exceeds 2x the history's
  largest month grown at its observed, capped growth falls back to the next-ranked one (down to
  Naive); then every value is clipped to [0, 4x that]; both with a warning. So
  lo_95 <= lo_80 <= forecast <= hi_80 <= hi_95 always holds, within the envelope.
- Cluster forecasts are not reconciled: they need not add up to the company forecast.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from rfm_assets.core import forecast_calibration as calibration
from rfm_assets.core.forecast_accuracy import actuals_frame, realized_pairs
from rfm_assets.core.forecast_envelope import envelope
from rfm_assets.core.forecast_history import prepare_history
from rfm_assets.core.forecast_models import PROFILE_MODEL, candidates, run, tidy, value_columns
from rfm_assets.core.forecast_scoring import score
from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months, month_end, month_start

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")

MODELS = ("AutoETS", "AutoARIMA", "AutoTheta")
MIN_MONTHS = 6  # shorter histories get no backtest, only a Naive forecast
MIN_TRAIN_MONTHS = 3  # shortest training window in a non-seasonal backtest
MAX_INTERVAL_SCALE = 3.0  # most the backtest may widen a model's own intervals
BACKTEST_COLUMNS = [
    "series",
    "model",
    "grain",
    "season_length",
    "mase",
    "smape",
    "is_baseline",
    "chosen",
    "n_windows",
    "interval_scale",
]
TIMING_COLUMNS = ["series", "model", "grain", "seconds"]
SKILL_COLUMNS = [
    "series",
    "model",
    "grain",
    "mase",
    "baseline",
    "mase_baseline",
    "skill",
    "forecast_total",
    "conformal_horizons",
]


@dataclass(frozen=True)
class ForecastConfig:
    """What to forecast and how to backtest; the defaults are the business setting."""

    horizon_months: int = 24
    levels: tuple[int, ...] = (80, 95)
    season_length_months: int = 12
    cv_horizon_months: int = 3  # each backtest window forecasts this many months
    cv_windows: int = 3
    grains: tuple[str, ...] = ("monthly", "weekly")  # monthly is required
    models: tuple[str, ...] = MODELS  # candidates besides the baseline

    def __post_init__(self) -> None:
        if (
            min(self.horizon_months, self.cv_horizon_months, self.cv_windows, self.season_length_months) < 1
            or not self.levels
            or not all(0 < lv < 100 for lv in self.levels)
            or "monthly" not in self.grains
            or not set(self.grains) <= {"monthly", "weekly"}
            or not set(self.models) <= set(MODELS)
        ):
            raise ValueError(f"invalid forecast config: {self}")


@dataclass(frozen=True)
class ForecastResult:
    """Published forecasts plus the evidence behind them (backtest, skill, warnings, timings)."""

    forecasts: pd.DataFrame  # series, ds, model, grain, forecast, lo_<l>, hi_<l>: horizon rows per series
    backtest: pd.DataFrame  # BACKTEST_COLUMNS: one row per (series, model, grain) backtested
    skill: pd.DataFrame  # SKILL_COLUMNS: one row per series (NaN mase/skill when not backtested)
    warnings: list[str]
    history: pd.DataFrame  # series, ds, y: monthly totals
    timings: pd.DataFrame  # series, model, grain, seconds (backtest + final fit)

    def seconds_by_model(self) -> dict[str, float]:
        """Total fitting seconds per model family, over all series and grains."""
        return {str(k): round(float(v), 3) for k, v in self.timings.groupby("model")["seconds"].sum().items()}


def _series(
    name: str, months: pd.Series, weeks: pd.Series, cfg: ForecastConfig, warn: list[str], quantiles: dict
) -> tuple:
    """Backtest rows, forecast frame, skill row and timing rows of one series."""
    y, n, m, last = months.to_numpy(float), len(months), cfg.season_length_months, months.index[-1].date()
    seasonal, timing = n >= 2 * m, {}

    def fit(model: Any, grain: str, cutoffs: list[date], h: int, widen: float = 1.0) -> list | None:
        start, res = time.perf_counter(), None
        try:
            raw = run(model, grain, months, weeks, cutoffs, h, cfg.levels)
            res = [tidy(v, cfg.levels, widen) for v in raw]
            if any(r is None for r in res):
                warn.append(f"{name}: {model.alias} ({grain}) gave non-finite values and was dropped")
                res = None
        except Exception as exc:  # a failing model is dropped, never fatal
            warn.append(f"{name}: {model.alias} ({grain}) failed and was dropped: {exc}")
        key = (model.alias, grain)
        timing[key] = timing.get(key, 0.0) + time.perf_counter() - start
        return res

    from statsforecast.models import Naive

    rows: list[dict] = []
    ranked = [{"model": "Naive", "grain": "monthly", "_obj": Naive()}]  # the last resort
    if not y.any() or n < MIN_MONTHS:
        why = "an all-zero history" if not y.any() else f"only {n} months of history (< {MIN_MONTHS})"
        warn.append(f"{name}: {why}: no backtest, Naive forecast")
    else:
        hcv = cfg.cv_horizon_months
        n_win = min(cfg.cv_windows, (n - (m + 1 if seasonal else MIN_TRAIN_MONTHS)) // hcv)
        ends = [n - 1 - hcv * k for k in range(n_win, 0, -1)]
        cutoffs = [month_end(months.index[k].date()) for k in ends]
        for grain in cfg.grains:
            for i, obj in enumerate(candidates(grain, seasonal, n, m, cfg.models)):
                if (res := fit(obj, grain, cutoffs, hcv)) is not None:
                    rows.append(
                        {
                            "series": name,
                            "model": obj.alias,
                            "grain": grain,
                            "season_length": m if obj.alias == PROFILE_MODEL else int(getattr(obj, "season_length", 1)),
                            "is_baseline": grain == "monthly" and i == 0,
                            "chosen": False,
                            "n_windows": n_win,
                            **score(y, ends, res, m if seasonal else 1, max(cfg.levels)),
                            "_obj": obj,
                        }
                    )
                    rows[-1]["interval_scale"] = min(rows[-1]["interval_scale_raw"], MAX_INTERVAL_SCALE)
        ranked = sorted(rows, key=lambda r: (r["mase"], not r["is_baseline"])) + ranked
    h = cfg.horizon_months
    env, dropped = envelope(y, h), []
    pick, values = ranked[-1], {c: np.full(h, max(y[-1], 0.0)) for c in value_columns(cfg.levels)}
    for cand in ranked:
        widen = max(cand.get("interval_scale", 1.0), calibration.widen_rule(n))
        if res := fit(cand["_obj"], cand["grain"], [month_end(last)], h, widen):
            if cand is not ranked[-1] and (why := env.point_breach(res[0]["forecast"])):
                dropped.append(f"{cand['model']} ({cand['grain']}): {why}")
                continue
            pick, values = cand, res[0]
            break
    pick["chosen"] = True
    if dropped:
        warn.append(f"{name}: fell back to {pick['model']} ({pick['grain']}): " + "; ".join(dropped))
    if n < calibration.SEASONS_FOR_OWN:
        values = calibration.random_walk_floor(values, y, cfg.levels)
    values = calibration.apply_conformal(values, quantiles, cfg.levels)
    values, clipped = env.clip(values)
    if clipped:
        warn.append(f"{name}: {pick['model']} ({pick['grain']}) {clipped}")
    if pick.get("interval_scale_raw", 1.0) > MAX_INTERVAL_SCALE:
        warn.append(
            f"{name}: backtest errors were {pick['interval_scale_raw']:.0f}x what {pick['model']}'s own "
            f"intervals imply; intervals widened by the cap {MAX_INTERVAL_SCALE:g}x only: treat them "
            "as too narrow"
        )
    fc = pd.DataFrame(
        {
            "series": name,
            "ds": [add_months(last, k) for k in range(1, h + 1)],
            "model": pick["model"],
            "grain": pick["grain"],
        }
        | values
    )
    base = next((r for r in rows if r["is_baseline"]), {})
    mase, base_mase = pick.get("mase", math.nan), base.get("mase", math.nan)
    skill = {
        "series": name,
        "model": pick["model"],
        "grain": pick["grain"],
        "mase": mase,
        "baseline": base.get("model"),
        "mase_baseline": base_mase,
        "skill": 1 - mase / base_mase if base_mase > 0 else math.nan,
        "forecast_total": float(values["forecast"].sum()),
        "conformal_horizons": len(quantiles),
    }
    times = [{"series": name, "model": k[0], "grain": k[1], "seconds": v} for k, v in timing.items()]
    return [{k: v for k, v in r.items() if k not in ("_obj", "interval_scale_raw")} for r in rows], fc, skill, times


def forecast_all(
    daily: pd.DataFrame, as_of: date, config: ForecastConfig | None = None, published: pd.DataFrame | None = None
) -> ForecastResult:
    """Forecast each series' monthly revenue ``horizon_months`` months past ``as_of`` (see module doc).

    ``daily``: series, ds (a day), y (revenue that day, >= 0), as pandas or polars. ``as_of``: the last
    day of the snapshot month (any other day: the history ends with the previous month, with a warning).
    ``published``: the forecasts published at earlier snapshots (snapshot_month, series, ds, forecast,
    lo_/hi_ bounds), whose realized errors calibrate the intervals (``forecast_calibration``).
    """
    cfg, warn = config or ForecastConfig(), []
    daily = daily if isinstance(daily, pd.DataFrame) else daily.to_pandas()
    as_of = pd.Timestamp(as_of).date()
    last = month_start(as_of) if as_of == month_end(as_of) else add_months(month_start(as_of), -1)
    if as_of != month_end(as_of):
        warn.append(f"as_of {as_of} is not a month end: the history ends {month_end(last)}")
    prepared = prepare_history(daily, last, warn)
    quantiles = {}
    if published is not None and len(published):
        actuals = actuals_frame({name: mon for name, (mon, _) in prepared.items()})
        pairs = realized_pairs(published, actuals, last)
        quantiles = calibration.conformal_quantiles(pairs, tuple(sorted(cfg.levels)))
    parts = [_series(name, mon, wk, cfg, warn, quantiles.get(name, {})) for name, (mon, wk) in prepared.items()]
    history = [
        pd.DataFrame({"series": name, "ds": [t.date() for t in mon.index], "y": mon.to_numpy(float)})
        for name, (mon, _) in prepared.items()
    ]
    no_fc = pd.DataFrame(columns=["series", "ds", "model", "grain", *value_columns(cfg.levels)])
    no_history = pd.DataFrame(columns=["series", "ds", "y"])
    return ForecastResult(
        forecasts=pd.concat([p[1] for p in parts], ignore_index=True) if parts else no_fc,
        backtest=pd.DataFrame([r for p in parts for r in p[0]], columns=BACKTEST_COLUMNS),
        skill=pd.DataFrame([p[2] for p in parts], columns=SKILL_COLUMNS),
        warnings=warn,
        history=pd.concat(history, ignore_index=True) if history else no_history,
        timings=pd.DataFrame([t for p in parts for t in p[3]], columns=TIMING_COLUMNS),
    )
