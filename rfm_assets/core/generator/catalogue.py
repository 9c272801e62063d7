"""The product catalogue (stock codes, upper-case descriptions, prices, popularity) and the
non-product codes of the real Online Retail II data (postage, fees, manual lines, discounts)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rfm_assets.core.generator.params import N_PRODUCTS

_PREFIXES = (
    "",
    "",
    "",
    "SET OF 3",
    "SET OF 6",
    "PACK OF 12",
    "JUMBO",
    "SMALL",
    "LARGE",
    "MINI",
    "VINTAGE",
    "RETRO",
    "REGENCY",
    "ANTIQUE",
    "HANGING",
    "WOODEN",
    "GLASS",
    "CERAMIC",
    "ENAMEL",
    "PAPER",
    "FELT",
    "ZINC",
)
_PATTERNS = (
    "WHITE",
    "RED",
    "PINK",
    "BLUE",
    "GREEN",
    "IVORY",
    "CREAM",
    "BLACK",
    "SILVER",
    "GOLD",
    "RETROSPOT",
    "POLKADOT",
    "PAISLEY",
    "SPOTTY",
    "STRIPE",
    "FLORAL",
    "ROSE",
    "HEART",
    "STAR",
    "BIRD",
    "OWL",
    "SKULL",
    "DOLLY GIRL",
    "SPACEBOY",
    "CHRISTMAS",
    "WOODLAND",
    "LOVEBIRD",
    "SWALLOW",
    "DAISY",
    "CHERRY",
)
_OBJECTS = (  # name, typical price in pounds
    ("T-LIGHT HOLDER", 2.95),
    ("CAKESTAND 3 TIER", 12.75),
    ("LUNCH BAG", 1.65),
    ("JUMBO BAG", 2.08),
    ("ALARM CLOCK", 3.75),
    ("CUSHION COVER", 3.75),
    ("TEA TOWEL", 1.25),
    ("MUG", 1.25),
    ("TEACUP AND SAUCER", 2.95),
    ("PHOTO FRAME", 2.55),
    ("CANDLE", 1.25),
    ("LANTERN", 4.95),
    ("DOORSTOP", 4.25),
    ("NOTEBOOK", 1.65),
    ("GIFT WRAP", 0.42),
    ("PAPER CHAIN KIT", 2.95),
    ("BUNTING", 4.95),
    ("WALL CLOCK", 8.50),
    ("HOT WATER BOTTLE", 4.25),
    ("KEY RING", 0.85),
    ("BAKING SET", 4.95),
    ("CAKE CASES", 0.55),
    ("PARTY BAG", 1.25),
    ("STORAGE TIN", 3.75),
    ("JAM MAKING SET", 4.25),
    ("DOOR MAT", 7.95),
    ("COAT RACK", 9.95),
    ("PLANT POT", 1.95),
    ("BIRD FEEDER", 3.25),
    ("WATER BOTTLE", 2.55),
    ("SHOPPER BAG", 1.95),
    ("HAND WARMER", 2.10),
    ("PURSE", 2.55),
    ("NAPKINS", 0.85),
    ("PLATE", 1.65),
    ("BOWL", 1.45),
    ("STICKER SHEET", 0.85),
    ("WOODEN FRAME", 2.95),
    ("GLASS JAR", 1.25),
    ("DRAWER KNOB", 1.65),
    ("CHALKBOARD", 4.95),
    ("FAIRY LIGHTS", 5.95),
    ("PICNIC BASKET", 8.95),
    ("SEWING KIT", 5.95),
    ("PENCILS", 0.29),
)

# code, description, probability per customer order by postage region, per guest order
NON_PRODUCT_CODES: tuple[tuple[str, str, dict[str, float], float], ...] = (
    ("POST", "POSTAGE", {"UK": 0.004, "EU": 0.50, "ROW": 0.60}, 0.0),
    ("DOT", "DOTCOM POSTAGE", {"UK": 0.0, "EU": 0.0, "ROW": 0.0}, 0.25),
    ("M", "Manual", {"UK": 0.004, "EU": 0.006, "ROW": 0.006}, 0.004),
    ("D", "Discount", {"UK": 0.003, "EU": 0.003, "ROW": 0.003}, 0.0),
    ("C2", "CARRIAGE", {"UK": 0.0015, "EU": 0.03, "ROW": 0.0}, 0.0),
    ("BANK CHARGES", "Bank Charges", {"UK": 0.001, "EU": 0.01, "ROW": 0.02}, 0.0),
    ("AMAZONFEE", "AMAZON FEE", {"UK": 0.0, "EU": 0.0, "ROW": 0.0}, 0.01),
    ("S", "SAMPLES", {"UK": 0.001, "EU": 0.002, "ROW": 0.002}, 0.0),
    ("PADS", "PADS TO MATCH ALL CUSHIONS", {"UK": 0.001, "EU": 0.001, "ROW": 0.0}, 0.002),
)
BAD_DEBT_CODE, BAD_DEBT_DESCRIPTION = "B", "Adjust bad debt"
STOCK_NOTES = (  # lower-case notes of the zero-price stock adjustments the warehouse keyed in
    "damaged",
    "missing",
    "?",
    "check",
    "lost",
    "wet damaged",
    "found",
    "sold as set on dotcom",
    "mouldy, unsaleable.",
    "Given away",
    "smashed",
    "crushed",
    "counted",
)


@dataclass(frozen=True)
class Catalogue:
    """Items 0..n_products-1 are products, then the non-product codes, then 'B' (bad debt).

    ``descriptions`` continues after the items with the stock-adjustment notes."""

    codes: list[str]
    descriptions: list[str]
    price_pence: np.ndarray  # products only
    popularity_cdf: np.ndarray  # products only

    @property
    def n_products(self) -> int:
        """Number of real products."""
        return len(self.price_pence)

    def special(self, code: str) -> int:
        """Item index of a non-product code (or 'B')."""
        return self.codes.index(code, self.n_products)

    @property
    def note_offset(self) -> int:
        """Description index of the first stock-adjustment note."""
        return len(self.codes)


def _stock_codes(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` distinct codes like '22423', '85123A': mostly 2xxxx, a sixth with a letter suffix."""
    m = 3 * n
    base = np.where(rng.random(m) < 0.7, rng.integers(20_600, 23_999, m), rng.integers(10_000, 90_999, m))
    suffix = np.where(rng.random(m) < 0.17, rng.integers(0, 6, m), -1)
    out: dict[str, None] = {}
    for b, s in zip(base.tolist(), suffix.tolist(), strict=True):
        out.setdefault(f"{b}{'ABCDEF'[s] if s >= 0 else ''}", None)
        if len(out) == n:
            break
    return list(out)


def build_catalogue(rng: np.random.Generator, n_products: int = N_PRODUCTS) -> Catalogue:
    """Products with unique codes and descriptions, log-normal prices and Zipf-like popularity."""
    m = 3 * n_products
    pre = rng.integers(0, len(_PREFIXES), m)
    pat = rng.integers(0, len(_PATTERNS), m)
    obj = rng.integers(0, len(_OBJECTS), m)
    layout = rng.integers(0, 3, m)
    seen: dict[str, int] = {}
    for i in range(m):
        p, c, (o, _) = _PREFIXES[pre[i]], _PATTERNS[pat[i]], _OBJECTS[obj[i]]
        if p and p.split()[0] in o.split():
            continue  # no 'GLASS ... GLASS JAR'
        words = (c, p, o) if layout[i] == 0 else (p, c, o) if layout[i] == 1 else (o, c)
        seen.setdefault(" ".join(w for w in words if w), i)
        if len(seen) == n_products:
            break
    descriptions = list(seen)
    rows = np.fromiter(seen.values(), dtype=np.int64)
    typical = np.asarray([_OBJECTS[j][1] for j in obj[rows]])
    pounds = typical * rng.lognormal(-0.1, 0.55, n_products)
    pounds *= np.where(np.isin(pre[rows], (3, 4, 5)), 1.6, 1.0)  # sets and packs cost more
    price_pence = np.clip(np.rint(pounds * 20) * 5, 29, 3995).astype(np.int64)
    rank = rng.permutation(n_products)
    popularity = 1.0 / (rank + 40.0)
    cdf = np.cumsum(popularity)
    codes = _stock_codes(rng, n_products) + [c for c, *_ in NON_PRODUCT_CODES] + [BAD_DEBT_CODE]
    descriptions += [d for _, d, *_ in NON_PRODUCT_CODES] + [BAD_DEBT_DESCRIPTION] + list(STOCK_NOTES)
    return Catalogue(codes, descriptions, price_pence, cdf / cdf[-1])
