"""Realized forecast accuracy: earlier snapshots' forecasts against the months that came (pure pandas).

As of month M, with only data up to M's end:
- ``realized_pairs``: one row per series, origin O < M and forecast month O+h <= M (h = 1..12): the
  published forecast and bounds, the actual month total, and two forecasts made at the same origin
  from the same history: naive (month O's total) and seasonal naive (month O+h-12's total, where the
  series has it on or before O). ``history_months``: the series' months up to O, its first included.
- ``accuracy_table``: per series, horizon band and minimum history at the origin, MAE and MAPE of
  the forecast, the naive and the seasonal naive, realized 80% / 95% coverage, and how many origins
  and distinct months each figure rests on. MAPE skips months whose actual is 0 (``n_mape`` counts
  the rest); the naive's and seasonal naive's figures are over the same months as the forecast's,
  except that the seasonal naive's cover only the months it exists for (``n_seasonal_naive``).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")

MAX_HORIZON = 12
BANDS = [(h, h) for h in range(1, MAX_HORIZON + 1)] + [(1, 3), (1, MAX_HORIZON)]
MIN_HISTORY = (1, 6, 12)  # origins with at least this many months of the series' history
PAIR_COLUMNS = [
    "series",
    "origin",
    "ds",
    "horizon",
    "history_months",
    "actual",
    "forecast",
    "naive",
    "seasonal_naive",
    "lo_80",
    "hi_80",
    "lo_95",
    "hi_95",
]
ACCURACY_COLUMNS = [
    "series",
    "h_from",
    "h_to",
    "min_history_months",
    "n_origins",
    "n_months",
    "first_origin",
    "last_origin",
    "mae",
    "mae_naive",
    "mae_seasonal_naive",
    "n_mape",
    "mape",
    "mape_naive",
    "mape_seasonal_naive",
    "n_seasonal_naive",
    "mape_vs_naive",
    "coverage_80",
    "coverage_95",
]


def _month_index(d: pd.Series) -> np.ndarray:
    ts = pd.to_datetime(d)
    return (ts.dt.year * 12 + ts.dt.month - 1).to_numpy()


def actuals_frame(months: dict[str, pd.Series]) -> pd.DataFrame:
    """series, ds (month start, a date), y from ``forecast_history.prepare_history``'s monthly totals."""
    parts = [
        pd.DataFrame({"series": s, "ds": [t.date() for t in m.index], "y": m.to_numpy(float)})
        for s, m in months.items()
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["series", "ds", "y"])


def realized_pairs(forecasts: pd.DataFrame, actuals: pd.DataFrame, month: date) -> pd.DataFrame:
    """Forecast/actual pairs observed by ``month`` (module doc).

    ``forecasts``: snapshot_month, series, ds, forecast, lo_80, hi_80, lo_95, hi_95 (any snapshots: those
    not before ``month`` and months after it are ignored). ``actuals``: series, ds (month start), y, the
    zero-filled monthly totals as of ``month`` (nothing after it is read)."""
    month_ix = date(month.year, month.month, 1)
    act = actuals.assign(ds=pd.to_datetime(actuals["ds"]).dt.date)
    act = act[act["ds"] <= month_ix]
    fc = forecasts.assign(
        origin=pd.to_datetime(forecasts["snapshot_month"]).dt.date, ds=pd.to_datetime(forecasts["ds"]).dt.date
    )
    fc = fc[(fc["origin"] < month_ix) & (fc["ds"] <= month_ix)]
    if fc.empty or act.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    fc = fc.assign(horizon=_month_index(fc["ds"]) - _month_index(fc["origin"]))
    fc = fc[(fc["horizon"] >= 1) & (fc["horizon"] <= MAX_HORIZON)]
    ix = act.assign(k=_month_index(act["ds"]))
    first = ix.groupby("series")["k"].min()
    by_key = ix.set_index(["series", "k"])["y"]
    out = fc.merge(act.rename(columns={"y": "actual"}), on=["series", "ds"], how="inner")
    if out.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    origin_k, target_k = _month_index(out["origin"]), _month_index(out["ds"])
    first_k = out["series"].map(first).to_numpy()
    out["history_months"] = origin_k - first_k + 1
    out["naive"] = by_key.reindex(list(zip(out["series"], origin_k, strict=True))).to_numpy()
    season_k = target_k - 12
    snaive = by_key.reindex(list(zip(out["series"], season_k, strict=True))).to_numpy()
    out["seasonal_naive"] = np.where((season_k <= origin_k) & (season_k >= first_k), snaive, np.nan)
    out = out[out["history_months"] >= 1]
    return out[PAIR_COLUMNS].sort_values(["series", "origin", "ds"], ignore_index=True)


def _ape(actual: np.ndarray, fc: np.ndarray) -> np.ndarray:
    return np.abs(actual - fc) / np.where(actual > 0, actual, np.nan)


def _figures(g: pd.DataFrame) -> dict:
    a, f = g["actual"].to_numpy(float), g["forecast"].to_numpy(float)
    nv, sn = g["naive"].to_numpy(float), g["seasonal_naive"].to_numpy(float)
    has_sn = np.isfinite(sn)
    ape, ape_n, ape_sn = _ape(a, f), _ape(a, nv), _ape(a[has_sn], sn[has_sn])
    mape, mape_n = float(np.nanmean(ape)) if np.isfinite(ape).any() else np.nan, np.nan
    if np.isfinite(ape_n).any():
        mape_n = float(np.nanmean(ape_n))
    return {
        "n_origins": int(g["origin"].nunique()),
        "n_months": int(g["ds"].nunique()),
        "first_origin": g["origin"].min(),
        "last_origin": g["origin"].max(),
        "mae": float(np.mean(np.abs(a - f))),
        "mae_naive": float(np.mean(np.abs(a - nv))),
        "mae_seasonal_naive": float(np.mean(np.abs(a[has_sn] - sn[has_sn]))) if has_sn.any() else np.nan,
        "n_mape": int(np.isfinite(ape).sum()),
        "mape": mape,
        "mape_naive": mape_n,
        "mape_seasonal_naive": float(np.nanmean(ape_sn)) if np.isfinite(ape_sn).any() else np.nan,
        "n_seasonal_naive": int(has_sn.sum()),
        "mape_vs_naive": 1 - mape / mape_n if mape_n > 0 else np.nan,
        "coverage_80": float(np.mean((a >= g["lo_80"]) & (a <= g["hi_80"]))),
        "coverage_95": float(np.mean((a >= g["lo_95"]) & (a <= g["hi_95"]))),
    }


def accuracy_table(pairs: pd.DataFrame) -> pd.DataFrame:
    """Per series, horizon band (BANDS) and minimum history (MIN_HISTORY): the module doc's figures."""
    rows = []
    for series, g in pairs.groupby("series", sort=True):
        for h_from, h_to in BANDS:
            for min_hist in MIN_HISTORY:
                part = g[(g["horizon"] >= h_from) & (g["horizon"] <= h_to) & (g["history_months"] >= min_hist)]
                if not part.empty:
                    rows.append(
                        {"series": series, "h_from": h_from, "h_to": h_to, "min_history_months": min_hist}
                        | _figures(part)
                    )
    return pd.DataFrame(rows, columns=ACCURACY_COLUMNS)
