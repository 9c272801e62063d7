"""Daily revenue -> monthly and weekly totals, and weekly forecasts -> month totals (pure pandas/numpy)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months, month_end, month_start

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")


def prepare_history(daily: pd.DataFrame, last: date, warn: list[str]) -> dict[str, tuple[pd.Series, pd.Series]]:
    """Per series: (monthly totals, weekly totals) from its first day to the end of ``last``.

    Days, weeks and months without rows count as 0 (a month with no lines at all is a zero month).
    """
    df = pd.DataFrame(
        {
            "series": daily["series"].astype(str),
            "y": pd.to_numeric(daily["y"], errors="coerce"),
            "ds": pd.to_datetime(daily["ds"]).dt.normalize(),
        }
    )
    if (bad := int((df["y"].isna() | (df["y"] < 0)).sum())) > 0:
        warn.append(f"{bad} daily rows with a missing or negative revenue were counted as 0")
    df["y"], end = df["y"].fillna(0.0).clip(lower=0.0), pd.Timestamp(month_end(last))
    if (late := int((df["ds"] > end).sum())) > 0:
        warn.append(f"{late} daily rows after {end.date()} (the end of the history) were ignored")
    df, out = df[df["ds"].notna() & (df["ds"] <= end)], {}
    for name, g in df.groupby("series", sort=True):
        mon = g.groupby(g["ds"].dt.to_period("M").dt.to_timestamp())["y"].sum()
        wk = g.groupby(g["ds"] - pd.to_timedelta(g["ds"].dt.weekday, unit="D"))["y"].sum()
        out[str(name)] = (
            mon.reindex(pd.date_range(mon.index.min(), end, freq="MS"), fill_value=0.0),
            wk.reindex(pd.date_range(wk.index.min(), end, freq="W-MON"), fill_value=0.0),
        )
    return out


def weeks_to_months(mondays: np.ndarray, values: dict[str, np.ndarray], cutoff: date, h: int) -> dict:
    """Spread weekly values evenly over their days; month totals of the ``h`` months after ``cutoff``."""
    days = (mondays.astype("datetime64[D]")[:, None] + np.arange(7)).ravel()
    end = np.datetime64(month_end(add_months(cutoff, h)), "D")
    keep = (days > np.datetime64(cutoff, "D")) & (days <= end)
    idx = (days.astype("datetime64[M]") - np.datetime64(add_months(month_start(cutoff), 1), "M")).astype(int)
    return {k: np.bincount(idx[keep], weights=np.repeat(v / 7, 7)[keep], minlength=h) for k, v in values.items()}
