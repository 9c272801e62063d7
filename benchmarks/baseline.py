"""The baseline: what a data scientist writes in a notebook, and the weighted-vs-unweighted fit.

``notebook``: pandas reads the whole CSV, drops what the project's cleaning drops (same rules, so
the results can be compared), computes RFM with a groupby, then lifetimes'
``summary_data_from_transaction_data`` and an UNWEIGHTED BG/NBD (every customer a row) and
Gamma-Gamma (on raw monetary values) fit, and scores 12-month CLV per customer with lifetimes'
``customer_lifetime_value``. Its outputs go to Parquet/JSON for the agreement checks.

``weighting``: on the project's own CLV summary, the project's weighted fits (identical rows
compressed into lifetimes' ``weights``) against unweighted fits of the same rows.
"""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.fits import PENALIZERS, fit_retrying
from benchmarks.timing import Laps

NON_PRODUCT_CODES = [
    "POST",
    "DOT",
    "M",
    "D",
    "C2",
    "C3",
    "S",
    "B",
    "PADS",
    "CRUK",
    "BANK CHARGES",
    "AMAZONFEE",
    "ADJUST",
    "ADJUST2",
    "TEST001",
    "TEST002",
]
BG_PARAMS, GG_PARAMS = ("r", "alpha", "a", "b"), ("p", "q", "v")


def notebook(args: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    from rfm_assets.core.months import add_months, month_end

    month = date.fromisoformat(args["month"])
    as_of, nxt = pd.Timestamp(month_end(month)), pd.Timestamp(add_months(month, 1))
    window_start = pd.Timestamp(add_months(month, -(args.get("window_months", 12) - 1)))
    out, laps = Path(args["out_dir"]), Laps()
    out.mkdir(parents=True, exist_ok=True)
    with laps("read_csv"):
        df = pd.read_csv(args["csv"], dtype={"Invoice": str, "StockCode": str}, parse_dates=["InvoiceDate"])
    lines = len(df)
    with laps("clean"):
        df = df[df["Customer ID"].notna() & (df["InvoiceDate"] < nxt)]
        df["Customer ID"] = df["Customer ID"].astype("int64").astype(str)  # 20000.0 -> '20000'
        df = df[~df["Invoice"].str.upper().str.startswith(("C", "A"))]
        code = df["StockCode"].str.strip().str.upper()
        df = df[~code.isin(NON_PRODUCT_CODES) & ~code.str.startswith("GIFT_0001_")]
        df = df[(df["Price"] > 0) & (df["Quantity"] > 0)].drop_duplicates()
        df["revenue"] = df["Quantity"] * df["Price"]
        df["day"] = df["InvoiceDate"].dt.normalize()
    with laps("rfm_groupby"):
        window = df[df["InvoiceDate"] >= window_start]
        rfm = window.groupby("Customer ID").agg(
            last=("day", "max"), frequency=("Invoice", "nunique"), monetary=("revenue", "sum")
        )
        rfm["recency_days"] = (as_of - rfm["last"]).dt.days
    with laps("lifetimes_summary"):
        summary = summary_data_from_transaction_data(
            df, "Customer ID", "InvoiceDate", monetary_value_col="revenue", observation_period_end=as_of, freq="D"
        )
        summary["recency"] /= 7  # weeks, the project's unit (days / 7)
        summary["T"] /= 7
    # unpenalized first; on a ConvergenceError the notebook's author retries with a small penalizer.
    # fit_options (tests only): scipy options per penalizer, keys as JSON strings, e.g. {"0": {"maxiter": 1}}
    options = {float(k): v for k, v in (args.get("fit_options") or {}).items()}
    with laps("bg_nbd_fit"):
        bg_fit = fit_retrying(BetaGeoFitter, [summary["frequency"], summary["recency"], summary["T"]], options=options)
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    with laps("gamma_gamma_fit"):
        gg_fit = fit_retrying(GammaGammaFitter, [repeat["frequency"], repeat["monetary_value"]], options=options)
    bgf, ggf = bg_fit.model, gg_fit.model
    with laps("score"):
        monthly_rate = 1.10 ** (1 / 12) - 1
        clv = ggf.customer_lifetime_value(
            bgf,
            summary["frequency"],
            summary["recency"],
            summary["T"],
            summary["monetary_value"],
            time=12,
            discount_rate=monthly_rate,
            freq="W",
        )
        p_alive = bgf.conditional_probability_alive(summary["frequency"], summary["recency"], summary["T"])
    rfm[["recency_days", "frequency", "monetary"]].reset_index(names="customer_id").to_parquet(out / "rfm.parquet")
    summary.assign(clv_12m=np.asarray(clv), p_alive=np.asarray(p_alive)).reset_index(names="customer_id").to_parquet(
        out / "summary.parquet"
    )
    params = {
        "bg_nbd": bg_fit.params(BG_PARAMS),
        "gamma_gamma": gg_fit.params(GG_PARAMS),
        "bg_penalizer": bg_fit.penalizer,
        "gg_penalizer": gg_fit.penalizer,
    }
    (out / "params.json").write_text(json.dumps(params, indent=1))
    return laps.result(lines=lines, customers=len(summary), fit_attempts=bg_fit.attempts + gg_fit.attempts, **params)


def _rel(a: dict[str, float], b: dict[str, float]) -> float:
    return max(abs(a[k] - b[k]) / abs(b[k]) for k in b)


def _project_ladder(clv: Any, fit_one: Any) -> tuple:
    """``fit_one(penalizer, tol)`` through the project's own retries (``clv._with_fallback``: each penalizer
    with each gradient tolerance before the next penalizer); its result."""
    config = clv.ClvConfig()
    fitted = clv._with_fallback("gamma_gamma", fit_one, config.penalizers, [], config.gradient_tolerances)
    if fitted is None:
        raise RuntimeError(f"Gamma-Gamma failed with every penalizer in {config.penalizers}")
    return fitted[1]


def _project_gg(clv: Any, repeat: Any) -> dict[str, float]:
    """The project's Gamma-Gamma fit (weighted, rescaled), with its own retries."""
    return _project_ladder(clv, lambda pen, tol: clv._fit_gg(repeat, pen, tol))[0]


def _unweighted_scaled_gg(clv: Any, columns: list[Any]) -> dict[str, float]:
    """Unweighted Gamma-Gamma on rescaled money, with the project's retries: the same objective as the
    weighted fit, so the two must agree."""
    from lifetimes import GammaGammaFitter

    def fit_one(penalizer: float, tol: float) -> tuple[dict[str, float]]:
        with contextlib.redirect_stdout(io.StringIO()):  # lifetimes prints scipy's result before raising
            model = GammaGammaFitter(penalizer_coef=penalizer).fit(*columns, tol=tol)
        return ({k: float(model.params_[k]) for k in GG_PARAMS},)

    return _project_ladder(clv, fit_one)[0]


def weighting(args: dict[str, Any]) -> dict[str, Any]:
    """Weighted (project) vs unweighted fits on the project's own summary of the month."""
    import numpy as np
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    from rfm_assets.core import clv
    from rfm_assets.core.months import month_end
    from rfm_assets.core.warehouse import connect

    with connect(args["warehouse"], read_only=True) as con:
        summary = clv.clv_summary(con, month_end(date.fromisoformat(args["month"])))
    laps = Laps()
    with laps("bg_weighted"):
        _, pat = clv._patterns(summary, clv.PATTERN)
        bgw_fit = fit_retrying(BetaGeoFitter, [pat[c].to_numpy() for c in ("frequency", "recency", "T", "weight")])
        bg_w = bgw_fit.model
    # the unweighted fit starts at the weighted one's penalizer, so both minimize the same objective
    with laps("bg_unweighted"):
        bg_fit = fit_retrying(
            BetaGeoFitter,
            [summary["frequency"], summary["recency"], summary["T"]],
            penalizers=[p for p in PENALIZERS if p >= bgw_fit.penalizer],
        )
        bg_u = bg_fit.model
    if bg_fit.penalizer > bgw_fit.penalizer:  # untimed: the weighted fit again, at the penalizer both converge with
        bgw_fit = fit_retrying(
            BetaGeoFitter, [pat[c].to_numpy() for c in ("frequency", "recency", "T", "weight")], [bg_fit.penalizer]
        )
        bg_w = bgw_fit.model
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    with laps("gg_weighted_scaled"):
        gg_w = _project_gg(clv, repeat)
    with laps("gg_unweighted_scaled"):  # the weighted fit's objective and retry ladder, without weights
        scale = float(repeat["monetary_value"].mean())
        fitted = _unweighted_scaled_gg(clv, [repeat["frequency"], repeat["monetary_value"] / scale])
        gg_us = {**fitted, "v": fitted["v"] * scale}
    with laps("gg_unweighted_raw"):
        gg_fit = fit_retrying(GammaGammaFitter, [repeat["frequency"], repeat["monetary_value"]])
        gg_ur = gg_fit.params(GG_PARAMS)
    bw = {k: float(bg_w.params_[k]) for k in BG_PARAMS}
    bu = {k: float(bg_u.params_[k]) for k in BG_PARAMS}
    s = laps.seconds
    return {
        "seconds": s["bg_weighted"] + s["gg_weighted_scaled"],
        **{f"lap_{k}": v for k, v in s.items()},
        "customers": len(summary),
        "patterns": len(pat),
        "repeat_customers": len(repeat),
        "gg_patterns": int(repeat.groupby(["frequency", "monetary_value"]).ngroups),
        "bg_weighted": bw,
        "bg_unweighted": bu,
        "bg_weighted_penalizer": bgw_fit.penalizer,
        "bg_unweighted_penalizer": bg_fit.penalizer,
        "gg_unweighted_raw_penalizer": gg_fit.penalizer,
        "fit_attempts": bgw_fit.attempts + bg_fit.attempts + gg_fit.attempts,
        "bg_max_rel_diff": _rel(bw, bu),
        "gg_weighted_scaled": gg_w,
        "gg_unweighted_scaled": gg_us,
        "gg_unweighted_raw": gg_ur,
        "gg_scaled_max_rel_diff": _rel(gg_w, gg_us),
        "gg_raw_max_rel_diff": _rel(gg_w, gg_ur),
        "bg_speedup": s["bg_unweighted"] / s["bg_weighted"],
        "gg_speedup_vs_raw": s["gg_unweighted_raw"] / s["gg_weighted_scaled"],
        "finite": bool(np.isfinite(list(bw.values()) + list(bu.values())).all()),
    }
