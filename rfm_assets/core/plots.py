"""PNG plots for asset metadata (matplotlib, headless). Each function returns PNG bytes."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from datetime import date
from types import ModuleType
from typing import TYPE_CHECKING

from rfm_assets.core.lazy import np, pd

if TYPE_CHECKING:
    from typing import TypeAlias

    import matplotlib.pyplot as plt
    import polars as pl

    from rfm_assets.core.forecasting import ForecastResult

    # What the plot functions take as a column of numbers or labels: anything list() and np.asarray read.
    Values: TypeAlias = Sequence[float] | np.ndarray | pd.Series | pl.Series
    Labels: TypeAlias = Sequence[str] | np.ndarray | pd.Series | pl.Series

DPI = 80


def pyplot() -> ModuleType:
    """matplotlib.pyplot on the headless Agg backend, imported on first use (importing the definitions
    stays cheap)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=DPI)
    pyplot().close(fig)
    return buf.getvalue()


def heatmap(
    values: Sequence[Sequence[float | None]],
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    title: str,
    *,
    fmt: str = "{:.0%}",
    xlabel: str = "",
    ylabel: str = "",
    cmap: str = "YlGnBu",
) -> bytes:
    """Annotated heatmap; None cells are left blank."""
    grid = np.array([[np.nan if v is None else float(v) for v in row] for row in values], dtype=float)
    height = max(3.0, 0.32 * len(row_labels) + 1.5)
    width = max(5.0, 0.42 * len(col_labels) + 2.5)
    fig, ax = pyplot().subplots(figsize=(min(width, 16), min(height, 12)))
    image = ax.imshow(np.ma.masked_invalid(grid), cmap=cmap, aspect="auto")
    ax.set_xticks(range(len(col_labels)), labels=col_labels, rotation=60, ha="right", fontsize=7)
    ax.set_yticks(range(len(row_labels)), labels=row_labels, fontsize=7)
    if grid.size <= 900:
        finite = grid[np.isfinite(grid)]
        mid = (finite.max() + finite.min()) / 2 if finite.size else 0
        for (i, j), v in np.ndenumerate(grid):
            if np.isfinite(v):
                ax.text(
                    j, i, fmt.format(v), ha="center", va="center", fontsize=6, color="white" if v > mid else "black"
                )
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    fig.colorbar(image, ax=ax, shrink=0.8)
    return _png(fig)


def bars(labels: Sequence[str], values: Sequence[float], title: str, *, xlabel: str = "") -> bytes:
    """Horizontal bar chart, largest at the top."""
    order = np.argsort(values)
    fig, ax = pyplot().subplots(figsize=(7, max(2.5, 0.35 * len(labels) + 1)))
    ax.barh([labels[i] for i in order], [values[i] for i in order], color="#3b7dd8")
    for y, i in enumerate(order):
        ax.text(values[i], y, f" {values[i]:,.0f}", va="center", fontsize=8)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    return _png(fig)


def scatter_groups(
    x: Values,
    y: Values,
    groups: Labels,
    title: str,
    *,
    xlabel: str,
    ylabel: str,
    logx: bool = False,
    logy: bool = False,
) -> bytes:
    """Scatter plot coloured by group (at most a few thousand points: sample before calling)."""
    fig, ax = pyplot().subplots(figsize=(7, 5))
    xs, ys, gs = np.asarray(x, float), np.asarray(y, float), np.asarray(groups)
    for name in sorted(set(gs.tolist())):
        mask = gs == name
        ax.scatter(xs[mask], ys[mask], s=6, alpha=0.5, label=f"{name} ({mask.sum():,})")
    if logx:
        ax.set_xscale("symlog")
    if logy:
        ax.set_yscale("log")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, markerscale=2)
    return _png(fig)


def histogram(values: Values, title: str, *, xlabel: str, log: bool = True, bins: int = 40) -> bytes:
    """Histogram; with ``log`` the x axis is log-spaced (values <= 0 are counted in the first bin)."""
    data = np.asarray(values, float)
    data = data[np.isfinite(data)]
    fig, ax = pyplot().subplots(figsize=(7, 4))
    if log and data.size and data.max() > 0:
        positive = data[data > 0]
        low = max(positive.min(), 1e-2) if positive.size else 1e-2
        edges = np.geomspace(low, max(data.max(), low * 10), bins)
        ax.hist(np.clip(data, low, None), bins=edges, color="#3b7dd8")
        ax.set_xscale("log")
    else:
        ax.hist(data, bins=bins, color="#3b7dd8")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("customers")
    return _png(fig)


def lines(x: Values, series: Mapping[str, Values], title: str, *, xlabel: str, ylabel: str) -> bytes:
    """One line per named series over a shared x."""
    fig, ax = pyplot().subplots(figsize=(7, 4))
    for name, ys in series.items():
        ax.plot(list(x), list(ys), marker="o", label=name)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8)
    return _png(fig)


def _forecast_panels(result: ForecastResult, names: list[str]) -> bytes:
    """PNG, one panel per series: monthly history, the chosen forecast, shaded interval bands."""
    plt = pyplot()
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
            ax.fill_between(x, fc[f"lo_{lv}"], fc[f"hi_{lv}"], color="#3b7dd8", alpha=alpha, lw=0, label=f"{lv}%")
        ax.plot(x, fc["forecast"], color="#3b7dd8", lw=1.5, label="forecast")
        sk = skill.loc[series]
        note = (
            f"skill {sk['skill']:+.0%} vs {sk['baseline']}"
            if np.isfinite(sk["skill"])
            else "no backtest"
            if np.isnan(sk["mase"])
            else "skill n/a"
        )
        ax.set_title(f"{series}: {sk['model']} ({sk['grain']}), {note}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="upper left")
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    return _png(fig)


def forecast_series_plot(result: ForecastResult, series: str) -> bytes:
    """PNG of one series: monthly history, chosen forecast, 80/95% bands; title with model and skill."""
    if series not in set(result.skill["series"]):
        raise ValueError(f"no forecast for series {series!r}; have {sorted(result.skill['series'])}")
    return _forecast_panels(result, [series])


def forecast_plot(result: ForecastResult) -> bytes:
    """PNG small multiples: one :func:`forecast_series_plot` panel per series, two columns."""
    return _forecast_panels(result, list(result.skill["series"]))


def gain_chart(
    y: np.ndarray,
    scores: Mapping[str, np.ndarray],
    k: int,
    customer_ids: np.ndarray,
    title: str = "Cumulative gain on the evaluation anchor",
) -> bytes:
    """PNG: share of buyers captured vs share of customers contacted, per model, plus random and k."""
    y = np.asarray(y, dtype=float)
    n, buyers = len(y), y.sum()
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    share = np.arange(0, n + 1) / max(n, 1)
    for name, s in scores.items():
        order = np.lexsort((np.asarray(customer_ids, dtype=str), -np.asarray(s, dtype=float)))
        gain = np.concatenate([[0.0], np.cumsum(y[order]) / buyers]) if buyers else np.zeros(n + 1)
        ax.plot(share, gain, label=name, linestyle="--" if name == "rfm_heuristic" else "-")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="random")
    if n:
        ax.axvline(k / n, color="black", linewidth=0.8)
        ax.text(k / n, 0.02, f" campaign k={k}", fontsize=8)
    ax.set_xlabel("share of customers contacted")
    ax.set_ylabel("share of buyers captured")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="lower right")
    return _png(fig)


def calibration_chart(predicted: Values, realized: Values, title: str) -> bytes:
    """PNG: mean predicted vs realized rate per decile (points joined in decile order), with the diagonal."""
    predicted, realized = np.asarray(predicted, dtype=float), np.asarray(realized, dtype=float)
    fig, ax = pyplot().subplots(figsize=(5.5, 5))
    top = max(float(np.nanmax(np.concatenate([predicted, realized]), initial=0.0)) * 1.1, 0.05)
    ax.plot([0, top], [0, top], color="grey", linestyle=":", label="perfect calibration")
    ax.plot(predicted, realized, marker="o", label="deciles")
    for i, (x, y) in enumerate(zip(predicted, realized, strict=True), start=1):
        ax.annotate(str(i), (x, y), textcoords="offset points", xytext=(4, -10), fontsize=7)
    ax.set(xlim=(0, top), ylim=(0, top), xlabel="mean predicted probability", ylabel="realized repurchase rate")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return _png(fig)


def accuracy_plot(table: pd.DataFrame, month: date, min_history: int = 6) -> bytes:
    """PNG, two panels from forecast_accuracy rows of single horizons: MAPE by horizon per series (the
    naive's dashed, company only), and realized 80% / 95% coverage by horizon against the nominal."""
    rows = table[(table["h_from"] == table["h_to"]) & (table["min_history_months"] == min_history)]
    fig, (err, cov) = pyplot().subplots(1, 2, figsize=(11, 4))
    for series, g in rows.groupby("series"):
        g = g.sort_values("h_from")
        err.plot(g["h_from"], 100 * g["mape"], marker="o", lw=1.2, label=str(series))
        if series == "company":
            err.plot(g["h_from"], 100 * g["mape_naive"], ls="--", color="grey", label="company, naive")
    err.set(xlabel="months ahead", ylabel="MAPE (%)", title=f"Realized error by horizon as of {month:%Y-%m}")
    company = rows[rows["series"] == "company"].sort_values("h_from")
    for level, color in ((80, "#3b7dd8"), (95, "#d8803b")):
        cov.plot(company["h_from"], 100 * company[f"coverage_{level}"], marker="o", color=color, label=f"{level}%")
        cov.axhline(level, ls="--", color=color, lw=0.8)
    cov.set(xlabel="months ahead", ylabel="months inside (%)", ylim=(0, 105))
    cov.set_title(f"Company: realized coverage vs nominal (origins with {min_history}+ months)", fontsize=10)
    for ax in (err, cov):
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
        else:  # early months: no forecast has reached its target month yet
            ax.text(
                0.5,
                0.5,
                f"no realized forecast with {min_history}+ months of history yet",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=8,
                color="grey",
            )
    return _png(fig)


def campaign_uplift_plot(table: pd.DataFrame, title: str) -> bytes:
    """PNG, two panels from campaign_outcomes rows: repurchase rate of treatment vs control with the model's
    predicted rate per segment, and the uplift (points) with its 95% CI; unmeasurable segments show no bar."""
    segments = [str(s) for s in table["segment"]]
    x = np.arange(len(segments))
    fig, (left, right) = pyplot().subplots(1, 2, figsize=(10, 4))
    left.bar(x - 0.2, table["rate_treatment"].astype(float), width=0.4, label="treatment")
    left.bar(x + 0.2, table["rate_control"].astype(float), width=0.4, label="control")
    left.scatter(x, table["predicted_rate_control"].astype(float), color="black", marker="_", s=300, label="model")
    left.set(xticks=x, xticklabels=segments, ylabel="repurchase rate in the window")
    left.legend(fontsize=8)
    uplift = 100 * table["uplift"].astype(float).to_numpy()
    low = 100 * table["uplift_ci_low"].astype(float).to_numpy()
    high = 100 * table["uplift_ci_high"].astype(float).to_numpy()
    right.errorbar(x, uplift, yerr=[uplift - low, high - uplift], fmt="o", capsize=4)
    right.axhline(0, color="grey", linestyle=":")
    for i, ok in enumerate(table["measurable"].astype(bool)):
        if not ok:
            right.annotate("too few to measure", (i, 0), ha="center", va="bottom", fontsize=7, rotation=90)
    right.set(xticks=x, xticklabels=segments, ylabel="uplift, points (95% CI)")
    fig.suptitle(title, fontsize=10)
    return _png(fig)
