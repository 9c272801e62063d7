"""Identified customers: acquisition, BG/NBD purchase histories and Gamma-Gamma spend rates."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfm_assets.core.generator.params import (
    ACQUISITION_GROWTH,
    ACQUISITION_MONTH_BUMP,
    BG_NBD,
    COUNTRIES,
    DROPOUT_AT_FIRST_PURCHASE,
    GAMMA_GAMMA,
    TIME_UNIT_DAYS,
    WEEKDAY_MULTIPLIERS,
)
from rfm_assets.core.generator.timeline import Timeline

FIRST_CUSTOMER_ID = 12_346


@dataclass(frozen=True)
class Customers:
    """One entry per customer (index = position)."""

    customer_id: np.ndarray  # int64, as in the CSV without '.0'
    acquired: np.ndarray  # days since start = time of the first purchase
    lam: np.ndarray  # purchases per week
    p_drop: np.ndarray
    nu: np.ndarray  # Gamma-Gamma rate: mean order value p / nu
    country: np.ndarray  # index into COUNTRIES

    def __len__(self) -> int:
        return len(self.customer_id)


@dataclass(frozen=True)
class Purchases:
    """Every purchase of every customer (unsorted) and who dropped out."""

    customer: np.ndarray  # index into Customers
    t: np.ndarray  # days since start
    dropped: np.ndarray  # per customer: True if the customer dropped out within the period


def acquisition_weights(timeline: Timeline) -> np.ndarray:
    """Per-day acquisition intensity (up to a constant): growth x Q4 bump x weekday."""
    bump = np.asarray([ACQUISITION_MONTH_BUMP.get(m, 1.0) for m in range(1, 13)])
    return (
        timeline.growth(ACQUISITION_GROWTH)
        * bump[timeline.month_of_year - 1]
        * np.asarray(WEEKDAY_MULTIPLIERS)[timeline.weekday]
    )


def draw_customers(rng: np.random.Generator, n: int, timeline: Timeline) -> Customers:
    """``n`` customers with their acquisition times and latent BG/NBD and Gamma-Gamma parameters."""
    shares = np.asarray([share for _, share, _ in COUNTRIES])
    return Customers(
        customer_id=FIRST_CUSTOMER_ID + rng.permutation(n).astype(np.int64),
        acquired=timeline.sample_times(rng, n, acquisition_weights(timeline)),
        lam=rng.gamma(BG_NBD.r, 1.0 / BG_NBD.alpha, n),
        p_drop=rng.beta(BG_NBD.a, BG_NBD.b, n),
        nu=rng.gamma(GAMMA_GAMMA.q, 1.0 / GAMMA_GAMMA.v, n),
        country=rng.choice(len(COUNTRIES), n, p=shares / shares.sum()).astype(np.int16),
    )


def simulate_purchases(rng: np.random.Generator, customers: Customers, timeline: Timeline) -> Purchases:
    """BG/NBD histories, vectorised in rounds over the customers still alive and inside the period.

    Round j: every remaining customer flips the dropout coin after purchase j (after the first
    purchase, at acquisition, only if DROPOUT_AT_FIRST_PURCHASE: BG/NBD proper has no dropout
    there); survivors draw the next gap ~ Exp(lambda) in operational time, which is exact for the
    seasonal intensity lambda * s(t). A purchase past the end of the period ends the history with
    the customer still alive.
    """
    n = len(customers)
    lam_day = np.maximum(customers.lam, 1e-12) / TIME_UNIT_DAYS
    dropped = np.zeros(n, dtype=bool)
    who = np.arange(n)
    op = timeline.to_op(customers.acquired)
    parts_c, parts_t = [who], [customers.acquired]
    first = True
    while len(who):
        drop = rng.random(len(who)) < customers.p_drop[who]
        if first and not DROPOUT_AT_FIRST_PURCHASE:
            drop[:] = False
        first = False
        dropped[who[drop]] = True
        who, op = who[~drop], op[~drop]
        op = op + rng.standard_exponential(len(who)) / lam_day[who]
        inside = op < timeline.op_end
        who, op = who[inside], op[inside]
        parts_c.append(who)
        parts_t.append(timeline.from_op(op))
    return Purchases(np.concatenate(parts_c), np.concatenate(parts_t), dropped)
