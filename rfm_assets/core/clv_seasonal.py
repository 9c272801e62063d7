"""Seasonal adjustment of BG/NBD expected purchases: a calendar intensity index (pure, no dagster).

lifetimes fits a stationary BG/NBD: a customer's purchase rate does not depend on the calendar. The
adjustment is a layer on top of that fit (docs/methods.md, "Seasonal adjustment"):

1. Observed vs expected per month of the history up to the as-of day (point in time). O_m = repeat
   purchase days in month m (sql/clv_repeat_days_by_month.sql); E_m = what the fitted stationary model
   expects in month m from the same customers: for a customer whose first purchase day is d0, the
   unconditional BG/NBD expectation E[X(t)] (weeks) grows by E[X((end_m - d0)/7)] - E[X((end_{m-1} -
   d0)/7)] in month m. E_m thus accounts for acquisition growth and dropout (indirect
   standardisation), so the ratio O_m / E_m is the calendar's effect relative to the fitted level.
2. Per calendar month c, y_c = mean over the years of log((O_m + 0.5) / (E_m + 0.5)), with Poisson
   variance v_m = 1 / (O_m + 0.5). Empirical Bayes shrinkage toward 0 (index 1, the unadjusted model):
   - year-to-year variance sigma2: the within-calendar-month variance of y across years minus the
     Poisson part, pooled over the calendar months seen in two or more years (at least
     ``MIN_YEAR_DF`` degrees of freedom); with fewer, sigma2 = tau2 (one year's deviation is trusted
     about half: less than ~2 years of history cannot tell a seasonal pattern from that year's events);
   - V_c = (sigma2 + mean v) / n_c, n_c = years seen; signal variance tau2 by the method of moments,
     mean(y_c^2) = tau2 + mean(V_c), floored at 0;
   - index_c = exp(w_c * y_c), w_c = tau2 / (tau2 + V_c).
   Under ``MIN_HISTORY_MONTHS`` months of history (some calendar month never seen): index 1, no adjustment.
3. The index is applied as a clock (rfm_assets/core/clv_seasonal_predict.py): a BG/NBD whose purchase
   rate is lambda * s(day) is a stationary BG/NBD in operational time, the running sum of s over days.

The index is not renormalised to a calendar mean of 1: it is relative to the fitted model's level, and
when the fit's history holds more low-season than high-season exposure that level is below the annual
mean, which the index then corrects too. ``level`` (the calendar mean) is reported beside it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import duckdb

from rfm_assets.core.clv_predict import TIME_UNIT_DAYS, expected_repeat_purchases
from rfm_assets.core.lazy import lazy
from rfm_assets.core.months import add_months, month_end, month_start, months_between
from rfm_assets.core.sqlfiles import load_sql

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
else:  # imported on first use: keeps code load light (rfm_assets.core.lazy)
    np, pd = lazy("numpy"), lazy("pandas")

MIN_HISTORY_MONTHS = 12  # every calendar month seen at least once
MIN_YEAR_DF = 3  # degrees of freedom needed to estimate the year-to-year variance
FLAT = (1.0,) * 12


@dataclass(frozen=True)
class SeasonalIndex:
    """Index per calendar month (January first) and how it was estimated."""

    values: tuple[float, ...] = FLAT
    status: str = "flat"  # 'estimated' | 'flat' (too little history or nothing to estimate from)
    message: str = ""
    history_months: int = 0
    raw_log_ratio: tuple[float | None, ...] = (None,) * 12  # y_c, None where never seen
    years_seen: tuple[int, ...] = (0,) * 12  # n_c
    weights: tuple[float, ...] = (0.0,) * 12  # w_c
    year_var: float | None = None  # sigma2 as estimated; None when it fell back to tau2
    signal_var: float = 0.0  # tau2

    def of(self, month: date) -> float:
        """The index of ``month``'s calendar month."""
        return self.values[month.month - 1]

    @property
    def level(self) -> float:
        """Days-weighted calendar mean of the index (1 = the fitted model's level is the annual mean)."""
        days = np.array([(month_end(date(2001, m, 1)) - date(2001, m, 1)).days + 1 for m in range(1, 13)])
        return float(np.dot(days, self.values) / days.sum())


def observed_by_month(con: duckdb.DuckDBPyConnection, as_of: date) -> pd.DataFrame:
    """month, repeat_purchase_days, first_purchase_days of the history up to ``as_of``."""
    return con.execute(load_sql("clv_repeat_days_by_month"), {"as_of_date": as_of}).df()


def expected_by_month(bg_params: dict[str, float], first_purchase: pd.Series, months: Sequence[date]) -> np.ndarray:
    """The fitted stationary BG/NBD's expected repeat purchase days in each of ``months`` (month starts),
    summed over customers whose first purchase days are ``first_purchase``."""
    firsts = pd.to_datetime(pd.Series(first_purchase)).dt.normalize().value_counts()
    d0 = firsts.index.to_numpy(dtype="datetime64[D]")
    counts = firsts.to_numpy(dtype=float)
    ends = [month_end(add_months(months[0], -1)), *(month_end(m) for m in months)] if len(months) else []
    # days from each first purchase to each month end, and E[X(t)] once per distinct number of days
    days = np.maximum(np.array([(np.datetime64(e, "D") - d0).astype(int) for e in ends]), 0)
    distinct, where = np.unique(days, return_inverse=True)
    zero = np.zeros(1)
    unconditional = np.array(
        [
            0.0 if d == 0 else float(expected_repeat_purchases(bg_params, d / TIME_UNIT_DAYS, zero, zero, zero)[0])
            for d in distinct
        ]
    )
    cumulative = unconditional[where.reshape(days.shape)]
    out = [float(np.dot(counts, cumulative[i + 1] - cumulative[i])) for i in range(len(months))]
    return np.asarray(out)


def estimate_index(monthly: pd.DataFrame) -> SeasonalIndex:
    """The shrunk index from ``monthly``: one row per month of the history (``month``, ``observed``,
    ``expected``), every month from the first to the as-of month. See the module docstring."""
    n_months = len(monthly)
    if n_months < MIN_HISTORY_MONTHS:
        return SeasonalIndex(
            message=f"{n_months} months of history: under {MIN_HISTORY_MONTHS}, no seasonal adjustment (index 1)",
            history_months=n_months,
        )
    if not np.isfinite(monthly["expected"].to_numpy(dtype=float)).all():
        return SeasonalIndex(
            message="non-finite expected purchases per month: no seasonal adjustment", history_months=n_months
        )
    obs = monthly["observed"].to_numpy(dtype=float)
    y = np.log((obs + 0.5) / (monthly["expected"].to_numpy(dtype=float) + 0.5))
    v = 1.0 / (obs + 0.5)
    cal = np.array([pd.Timestamp(m).month for m in monthly["month"]]) - 1
    n = np.bincount(cal, minlength=12)
    y_c = np.bincount(cal, weights=y, minlength=12) / np.maximum(n, 1)
    v_c = np.bincount(cal, weights=v, minlength=12) / np.maximum(n, 1)
    within_df = int((n[n >= 2] - 1).sum())
    year_var: float | None = None
    if within_df >= MIN_YEAR_DF:
        resid = y - y_c[cal]
        repeated = n[cal] >= 2
        year_var = max(0.0, float((resid[repeated] ** 2).sum()) / within_df - float(v[repeated].mean()))
    seen = n > 0
    if year_var is not None:  # mean(y_c^2) = tau2 + mean((sigma2 + v_c) / n_c)
        tau2 = float(np.mean(y_c[seen] ** 2) - np.mean((year_var + v_c[seen]) / n[seen]))
    else:  # sigma2 = tau2: mean(y_c^2) = tau2 * (1 + mean(1/n_c)) + mean(v_c / n_c)
        inv = 1.0 / n[seen]
        tau2 = float((np.mean(y_c[seen] ** 2) - np.mean(v_c[seen] * inv)) / (1 + inv.mean()))
    tau2 = max(tau2, 0.0)
    sigma2 = tau2 if year_var is None else year_var
    var_c = (sigma2 + v_c) / np.maximum(n, 1)
    w = np.where(seen & (tau2 > 0), tau2 / np.maximum(tau2 + var_c, 1e-300), 0.0)
    values = tuple(float(x) for x in np.exp(w * y_c))
    how = (
        f"year-to-year variance {year_var:.4g} from {within_df} df"
        if year_var is not None
        else f"year-to-year variance taken = signal variance (only {within_df} df of repeated calendar months)"
    )
    return SeasonalIndex(
        values=values,
        status="estimated",
        message=f"{n_months} months of history; signal variance {tau2:.4g}; {how}",
        history_months=n_months,
        raw_log_ratio=tuple(float(y_c[i]) if seen[i] else None for i in range(12)),
        years_seen=tuple(int(k) for k in n),
        weights=tuple(float(x) for x in w),
        year_var=year_var,
        signal_var=tau2,
    )


def seasonal_index(
    con: duckdb.DuckDBPyConnection, bg_params: dict[str, float], summary: pd.DataFrame, as_of: date
) -> SeasonalIndex:
    """The index of the fit ``bg_params`` on ``summary`` (clv_summary as of ``as_of``), from the history
    up to ``as_of`` only."""
    counts = observed_by_month(con, as_of)
    if counts.empty or summary.empty:
        return SeasonalIndex(message="no purchases: no seasonal adjustment")
    months = months_between(month_start(counts["month"].min()), month_start(as_of))
    observed = counts.set_index(pd.to_datetime(counts["month"]).dt.date)["repeat_purchase_days"]
    monthly = pd.DataFrame(
        {
            "month": months,
            "observed": [float(observed.get(m, 0)) for m in months],
            "expected": expected_by_month(bg_params, summary["first_purchase_date"], months),
        }
    )
    return estimate_index(monthly)


def index_params(index: SeasonalIndex) -> dict[str, float]:
    """The index as clv_model_params rows (model 'seasonal'): index_01..index_12, the calendar mean
    ``level``, ``history_months``, the variances behind the shrinkage (``year_var`` only when estimated)."""
    out = {f"index_{m:02d}": v for m, v in enumerate(index.values, start=1)}
    out |= {"level": index.level, "history_months": float(index.history_months), "signal_var": index.signal_var}
    if index.year_var is not None:
        out["year_var"] = index.year_var
    return out
