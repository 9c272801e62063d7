"""Expand a chunk of the order table into order lines, dirt included, as numpy arrays.

Product lines: k distinct products drawn by popularity, Dirichlet(DIRICHLET_ALPHA) weights w_i
and quantities max(1, round(w_i * z / price_i)), so an order's value is z up to that rounding.
A cancelled purchase hands copies of some of its lines (negative quantities) to a buffer, from
which its later 'C' invoice takes them when its own chunk is expanded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfm_assets.core.generator.catalogue import NON_PRODUCT_CODES, STOCK_NOTES, Catalogue
from rfm_assets.core.generator.orders import BAD_DEBT, COUNTRY_REGION, GUEST, PURCHASE, STOCK_ADJUSTMENT
from rfm_assets.core.generator.params import CANCEL_PARTIAL_PROB, DIRICHLET_ALPHA, DUPLICATE_PROB

_LAST = np.int64(1) << 40  # sort position of lines after the products


@dataclass
class Lines:
    """Lines of one chunk, in CSV order; ``order`` indexes the chunk's orders."""

    order: np.ndarray
    item: np.ndarray  # stock code index in the catalogue
    desc: np.ndarray  # description index in the catalogue
    qty: np.ndarray
    price: np.ndarray  # pence
    duplicate: np.ndarray  # True on the second copy of a duplicated line

    def __len__(self) -> int:
        return len(self.order)


class CancelBuffer:
    """Cancellation lines made from their purchase, waiting for the chunk of their 'C' invoice."""

    def __init__(self) -> None:
        self._cols = [np.zeros(0, np.int64) for _ in range(4)]  # cancel position, item, qty, price

    def push(self, cancel_pos: np.ndarray, item: np.ndarray, qty: np.ndarray, price: np.ndarray) -> None:
        """Add lines; ``cancel_pos`` is the global position of the 'C' invoice that will carry them."""
        self._cols = [
            np.concatenate([c, np.asarray(v, np.int64)])
            for c, v in zip(self._cols, (cancel_pos, item, qty, price), strict=True)
        ]

    def __len__(self) -> int:
        return len(self._cols[0])

    def pop(self, lo: int, hi: int) -> list[np.ndarray]:
        """Remove and return (cancel position, item, qty, price) of the cancels in [lo, hi)."""
        take = (self._cols[0] >= lo) & (self._cols[0] < hi)
        out = [c[take] for c in self._cols]
        self._cols = [c[~take] for c in self._cols]
        return out


def _first_of_group(group: np.ndarray) -> np.ndarray:
    """Index (into the sorted array) of each row's group start; ``group`` sorted ascending."""
    start = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    return np.repeat(start, np.diff(np.r_[start, len(group)]))


def _distinct_products(rng: np.random.Generator, order: np.ndarray, cat: Catalogue) -> np.ndarray:
    """Products by popularity, redrawn where an order got one twice; ``-1`` where still repeated."""
    prod = np.searchsorted(cat.popularity_cdf, rng.random(len(order)), side="right")
    for attempt in range(6):
        idx = np.lexsort((prod, order))
        dup = np.zeros(len(order), bool)
        dup[idx[1:]] = (order[idx[1:]] == order[idx[:-1]]) & (prod[idx[1:]] == prod[idx[:-1]])
        if not dup.any():
            break
        if attempt == 5:
            prod[dup] = -1
        else:
            prod[dup] = np.searchsorted(cat.popularity_cdf, rng.random(int(dup.sum())), side="right")
    return prod


def _non_product(rng: np.random.Generator, code: str, region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Quantity and price (pence) of non-product lines with stock code ``code``."""
    n = len(region)

    def lognormal(median_pence: float, sigma: float) -> np.ndarray:
        return np.maximum(1, np.rint(rng.lognormal(np.log(median_pence), sigma, n))).astype(np.int64)

    ones = np.ones(n, np.int64)
    if code == "POST":
        return 1 + (rng.random(n) < 0.3) * rng.integers(1, 3, n), np.asarray([500, 1800, 4000])[region]
    if code == "DOT":
        return ones, lognormal(15_000, 0.7)
    if code == "M":
        return 1 + rng.poisson(1.5, n), lognormal(250, 1.0)
    if code == "D":
        return -ones, lognormal(1_500, 0.8)
    if code == "C2":
        return ones, np.full(n, 5_000)
    if code == "BANK CHARGES":
        return ones, np.full(n, 1_500)
    if code == "AMAZONFEE":
        return ones, lognormal(20_000, 0.8)
    if code == "S":
        return -ones, lognormal(3_000, 0.8)
    return ones, ones  # PADS at a penny


def expand_chunk(
    rng: np.random.Generator, chunk: dict[str, np.ndarray], lo: int, cat: Catalogue, buffer: CancelBuffer
) -> Lines:
    """Lines of the orders at global positions [lo, lo + len(chunk)), sorted by order."""
    kind, z = chunk["kind"], chunk["z"]
    n = len(kind)
    parts: list[tuple[np.ndarray, ...]] = []  # (order, position, item, desc, qty, price)

    def add(
        order: np.ndarray,
        pos: np.ndarray,
        item: np.ndarray,
        qty: np.ndarray,
        price: np.ndarray,
        desc: np.ndarray | None = None,
    ) -> None:
        parts.append((order, pos, item, item if desc is None else desc, qty, price))

    # product lines of purchases and guest orders
    sel = np.flatnonzero((kind == PURCHASE) | (kind == GUEST))
    order = np.repeat(sel, chunk["n_lines"][sel])
    prod = _distinct_products(rng, order, cat)
    order, prod = order[prod >= 0], prod[prod >= 0]
    g = rng.gamma(DIRICHLET_ALPHA, 1.0, len(order))
    weight = g / np.bincount(order, g, minlength=n)[order]
    price = cat.price_pence[prod]
    qty = np.maximum(1, np.rint(weight * z[order] * 100.0 / price)).astype(np.int64)
    n_product_lines = len(order)
    add(order, np.arange(n_product_lines, dtype=np.int64), prod, qty, price)

    # cancellations: some lines of each cancelled purchase, negative quantities, to the buffer
    child = chunk["child_pos"][order]
    cand = np.flatnonzero(child >= 0)
    ranked = cand[np.lexsort((rng.random(len(cand)), order[cand]))]
    rank = np.arange(len(ranked)) - _first_of_group(order[ranked])
    chosen = np.sort(ranked[rank < chunk["cancel_lines"][order[ranked]]])
    partial = rng.random(len(chosen)) < CANCEL_PARTIAL_PROB
    back = np.where(partial, np.maximum(1, np.floor(qty[chosen] * rng.random(len(chosen)))), qty[chosen])
    buffer.push(child[chosen], prod[chosen], -back.astype(np.int64), price[chosen])
    c_pos, c_item, c_qty, c_price = buffer.pop(lo, lo + n)
    add(c_pos - lo, np.arange(len(c_pos), dtype=np.int64), c_item, c_qty, c_price)

    # non-product lines on ordinary invoices: POST first, the others last
    region = COUNTRY_REGION[chunk["country"]]
    for j, (code, *_rest) in enumerate(NON_PRODUCT_CODES):
        rows = np.flatnonzero(chunk["extras"] & (1 << j))
        q, p = _non_product(rng, code, region[rows])
        add(
            rows,
            np.full(len(rows), -1 if code == "POST" else _LAST + j, np.int64),
            np.full(len(rows), cat.special(code)),
            q,
            p,
        )

    # a free line (price 0) on some invoices
    rows = np.flatnonzero(chunk["free"])
    free_item = np.searchsorted(cat.popularity_cdf, rng.random(len(rows)), side="right")
    add(
        rows,
        np.full(len(rows), _LAST + 100, np.int64),
        free_item,
        1 + rng.poisson(4.0, len(rows)),
        np.zeros(len(rows), np.int64),
    )

    # bad-debt adjustments and zero-price stock adjustments: invoices of one line
    rows = np.flatnonzero(kind == BAD_DEBT)
    add(
        rows,
        np.zeros(len(rows), np.int64),
        np.full(len(rows), cat.special("B")),
        np.ones(len(rows), np.int64),
        np.rint(z[rows] * 100).astype(np.int64),
    )
    rows = np.flatnonzero(kind == STOCK_ADJUSTMENT)
    note = rng.integers(0, len(STOCK_NOTES), len(rows))
    size = np.rint(rng.lognormal(np.log(12.0), 1.2, len(rows))).astype(np.int64) + 1
    add(
        rows,
        np.zeros(len(rows), np.int64),
        rng.integers(0, cat.n_products, len(rows)),
        np.where(np.asarray(STOCK_NOTES)[note] == "found", size, -size),
        np.zeros(len(rows), np.int64),
        desc=cat.note_offset + note,
    )

    cols = [np.concatenate([part[i] for part in parts]) for i in range(6)]
    idx = np.lexsort((cols[1], cols[0]))
    order, _, item, desc, qty, price = (c[idx] for c in cols)
    is_product_line = np.concatenate([np.ones(n_product_lines, bool)] + [np.zeros(len(p[0]), bool) for p in parts[1:]])
    dup = is_product_line[idx] & (rng.random(len(idx)) < DUPLICATE_PROB)
    copies = 1 + dup
    second = np.zeros(int(copies.sum()), bool)
    second[np.cumsum(copies)[dup] - 1] = True
    return Lines(*(np.repeat(c, copies) for c in (order, item, desc, qty, price)), duplicate=second)
