"""Backtest scores of forecasts made at rolling origins (pure numpy): MASE, sMAPE, interval scale."""

from __future__ import annotations

from statistics import NormalDist
from typing import TYPE_CHECKING

from rfm_assets.core.lazy import lazy

if TYPE_CHECKING:
    import numpy as np
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np = lazy("numpy")


def mase_scale(train: np.ndarray, lag: int) -> float:
    """In-sample MAE of the lag-``lag`` naive (else lag 1, else mean |y|, else 1): the MASE denominator."""
    for k in (lag, 1):
        if len(train) > k and (s := float(np.mean(np.abs(train[k:] - train[:-k])))) > 0:
            return s
    return float(np.mean(np.abs(train))) or 1.0  # train is never empty


def score(y: np.ndarray, ends: list[int], res: list[dict], lag: int, top: int) -> dict[str, float]:
    """MASE, sMAPE and interval_scale of backtest forecasts ``res`` made after month index ``ends``."""
    mases, smapes, zs, z_top = [], [], [], NormalDist().inv_cdf(0.5 + top / 200)
    for k, r in zip(ends, res, strict=True):
        actual, fc = y[k + 1 : k + 1 + len(r["forecast"])], r["forecast"]
        mases.append(np.mean(np.abs(actual - fc)) / mase_scale(y[: k + 1], lag))
        den = np.abs(actual) + np.abs(fc)
        smapes.append(np.mean(np.where(den > 0, 200 * np.abs(actual - fc) / np.where(den > 0, den, 1), 0)))
        sigma = (r[f"hi_{top}"] - fc) / z_top
        zs.append(np.divide(actual - fc, sigma, out=np.full(len(fc), np.nan), where=sigma > 0))
    z = np.concatenate(zs)
    z = z[np.isfinite(z)]
    return {
        "mase": float(np.mean(mases)),
        "smape": float(np.mean(smapes)),
        "interval_scale_raw": max(1.0, float(np.sqrt(np.mean(z**2)))) if len(z) else 1.0,
    }
