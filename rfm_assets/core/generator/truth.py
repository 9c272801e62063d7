"""The content of truth.json: generating parameters, calendar effects and realised dirt rates."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np

from rfm_assets.core.generator import params as P
from rfm_assets.core.generator.catalogue import NON_PRODUCT_CODES
from rfm_assets.core.generator.orders import BAD_DEBT, CANCEL, GUEST, PURCHASE, STOCK_ADJUSTMENT
from rfm_assets.core.months import add_months

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def truth_document(config: P.GeneratorConfig, counts: dict[str, int], kind: np.ndarray) -> dict[str, Any]:
    """Everything a model fitted on the CSV can be judged against."""
    bg, gg = P.BG_NBD, P.GAMMA_GAMMA
    lines = max(counts["lines"], 1)
    total_share = sum(share for _, share, _ in P.COUNTRIES)
    invoices = {
        name: int((kind == k).sum())
        for name, k in (
            ("purchase", PURCHASE),
            ("guest", GUEST),
            ("cancellation", CANCEL),
            ("bad_debt", BAD_DEBT),
            ("stock_adjustment", STOCK_ADJUSTMENT),
        )
    }
    return {
        "time_unit_days": P.TIME_UNIT_DAYS,
        "bg_nbd": asdict(bg),
        "gamma_gamma": asdict(gg),
        "expected": {
            "mean_purchase_rate_per_week": bg.r / bg.alpha,
            "mean_dropout_probability": bg.a / (bg.a + bg.b),
            "mean_order_value": gg.p * gg.v / (gg.q - 1),
        },
        "model": "MBG/NBD (lifetimes ModifiedBetaGeoFitter)"
        if P.DROPOUT_AT_FIRST_PURCHASE
        else "BG/NBD (lifetimes BetaGeoFitter)",
        "purchase_process": (
            "First purchase at acquisition. After every repeat purchase"
            + (
                " and after the first purchase"
                if P.DROPOUT_AT_FIRST_PURCHASE
                else " (not after the first purchase, as in BG/NBD proper)"
            )
            + " the customer drops out for good with probability p_drop; until then purchases follow a "
            "Poisson process of rate lam per week times the calendar multiplier s(t) (seasonality below), "
            "simulated exactly in operational time. Cancellations never remove a purchase; "
            "customers_truth.dropout_time is the last purchase of a customer who dropped out in the period."
        ),
        "order_value": (
            "Each purchase has a target value z ~ Gamma(p, rate nu) (pounds). Its product lines carry Dirichlet "
            "weights w_i and quantities max(1, round(w_i * z / price_i)), so the realised order value "
            "(sum of Quantity * Price over the invoice's product lines, i.e. excluding non-product codes, "
            "zero-price lines and duplicated lines) equals z up to this rounding."
        ),
        "seasonality": {
            "month_multipliers": {str(m): v for m, v in enumerate(P.MONTH_MULTIPLIERS, start=1)},
            "weekday_multipliers": dict(zip(_WEEKDAYS, P.WEEKDAY_MULTIPLIERS, strict=True)),
            "shop_hours": f"{P.SHOP_OPEN_MINUTE // 60:02d}:00-{P.SHOP_CLOSE_MINUTE // 60:02d}:00",
            "note": "purchase intensity = lam * month multiplier * weekday multiplier; each set has mean 1",
        },
        "acquisition": {
            "n_customers": config.total_customers,
            "growth_factor_first_to_last_day": P.ACQUISITION_GROWTH,
            "month_bump": {str(m): v for m, v in P.ACQUISITION_MONTH_BUMP.items()},
            "note": "intensity ~ growth_factor**(t/T) * month bump * weekday multiplier; first purchase = acquisition",
        },
        "baskets": {
            "lines_per_order": "1 + Poisson(mean * clip(sqrt(z / E[z]), 0.3, 3))",
            "customer_lines_mean": P.CUSTOMER_LINES_MEAN,
            "guest_lines_mean": P.GUEST_LINES_MEAN,
            "dirichlet_alpha": P.DIRICHLET_ALPHA,
            "n_products": P.N_PRODUCTS,
        },
        "guests": {
            "target_line_share": P.GUEST_LINE_SHARE,
            "order_value": {"gamma_shape": P.GUEST_Z_SHAPE, "mean": P.GUEST_Z_MEAN},
            "uk_share": P.GUEST_UK_SHARE,
            "note": "orders without Customer ID, same growth and seasonality as the customers",
        },
        "countries": {name: round(share / total_share, 6) for name, share, _ in P.COUNTRIES},
        "dirt_rates": {
            "guest_lines": counts["guest"] / lines,
            "cancellation_lines": counts["cancellation"] / lines,
            "bad_debt_lines": counts["bad_debt"] / lines,
            "non_product_lines": counts["non_product"] / lines,
            "zero_price_lines": counts["zero_price"] / lines,
            "negative_price_lines": counts["negative_price"] / lines,
            "stock_adjustment_lines": counts["stock_adjustment"] / lines,
            "duplicate_lines": counts["duplicate"] / lines,
            "note": "fractions of all CSV lines; duplicate_lines counts the second copies (only clean product "
            "lines are duplicated); non_product_lines uses the codes "
            + ", ".join(c for c, *_ in NON_PRODUCT_CODES)
            + " ('B' bad-debt lines are counted apart)",
        },
        "counts": {
            "lines": counts["lines"],
            "invoices": invoices,
            "dirt_lines": {k: v for k, v in counts.items() if k != "lines"},
        },
        "period": {
            "start": config.start.isoformat(),
            "end_exclusive": add_months(config.start, config.n_months).isoformat(),
        },
        "config": {**asdict(config), "start": config.start.isoformat()},
    }
