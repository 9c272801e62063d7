"""PNG plots of revenue forecasts: monthly history, chosen forecast and interval bands (matplotlib, Agg)."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd

from rfm_assets.core.forecasting import ForecastResult

# matplotlib is imported where it is used: importing pyplot costs ~0.8 s of code-load time.


def _plot(result: ForecastResult, names: list[str]) -> bytes:
    """PNG, one panel per series: monthly history, the chosen forecast, shaded interval bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cols = 2 if len(names) > 1 else 1
    rows = max(1, math.ceil(len(names) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(8 if cols == 1 else 13, 3.6 * rows), squeeze=False)
    skill = result.skill.set_index("series")
    for ax, series in zip(axes.flat, names, strict=False):
        hist, fc = (f[f["series"] == series] for f in (result.history, result.forecasts))
        ax.plot(pd.to_datetime(hist["ds"]), hist["y"], color="black", lw=1.2, label="history")
        x = pd.to_datetime(fc["ds"])
        levels = sorted((int(c[3:]) for c in fc.columns if c.startswith("lo_")), reverse=True)
        for lv, alpha in zip(levels, np.linspace(0.15, 0.35, len(levels)), strict=True):
            ax.fill_between(x, fc[f"lo_{lv}"], fc[f"hi_{lv}"], color="#3b7dd8", alpha=alpha, lw=0,
                            label=f"{lv}%")
        ax.plot(x, fc["forecast"], color="#3b7dd8", lw=1.5, label="forecast")
        sk = skill.loc[series]
        note = (f"skill {sk['skill']:+.0%} vs {sk['baseline']}" if np.isfinite(sk["skill"])
                else "no backtest" if np.isnan(sk["mase"]) else "skill n/a")
        ax.set_title(f"{series}: {sk['model']} ({sk['grain']}), {note}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes.flat[len(names):]:
        ax.set_visible(False)
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return buf.getvalue()


def plot_series(result: ForecastResult, series: str) -> bytes:
    """PNG of one series: monthly history, chosen forecast, 80/95% bands; title with model and skill."""
    if series not in set(result.skill["series"]):
        raise ValueError(f"no forecast for series {series!r}; have {sorted(result.skill['series'])}")
    return _plot(result, [series])


def plot_all(result: ForecastResult) -> bytes:
    """PNG small multiples: one :func:`plot_series` panel per series, two columns."""
    return _plot(result, list(result.skill["series"]))
