"""Configuration, result type and the true generating parameters of the synthetic dataset.

Everything numeric that shapes the data lives here, so the truth written next to the CSV is
exactly what the simulation used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

CSV_NAME = "online_retail_ii.csv"
TRUTH_NAME = "truth.json"
CUSTOMERS_NAME = "customers_truth.parquet"
CSV_HEADER = ("Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country")
TIME_UNIT_DAYS = 7


@dataclass(frozen=True)
class GeneratorConfig:
    """What to generate. The default gives ~0.77 million lines from 9,500 customers over two years."""

    start: date = date(2010, 1, 1)  # first day of the first month
    n_months: int = 24
    n_customers: int = 9_500  # before ``scale``
    scale: float = 1.0  # multiplies customers and guest orders: 13 gives ~10 million lines
    seed: int = 42

    def validate(self) -> None:
        """Raise ValueError on settings the generator cannot honour."""
        if self.start.day != 1:
            raise ValueError(f"start must be the first day of a month, got {self.start}")
        if self.n_months < 1:
            raise ValueError(f"n_months must be >= 1, got {self.n_months}")
        if self.n_customers < 1 or self.scale <= 0 or round(self.n_customers * self.scale) < 1:
            raise ValueError(f"need at least one customer (n_customers={self.n_customers}, scale={self.scale})")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")

    @property
    def total_customers(self) -> int:
        """Number of identified customers actually simulated (``n_customers * scale``, rounded)."""
        return int(round(self.n_customers * self.scale))


@dataclass(frozen=True)
class GeneratedDataset:
    """Where the generated files are and what they hold."""

    csv_path: Path
    truth_path: Path
    customers_path: Path
    n_lines: int  # CSV data rows (header excluded)
    n_customers: int
    first_month: date  # first day of the first month
    last_month: date  # first day of the last month


@dataclass(frozen=True)
class BgNbdParams:
    """BG/NBD in lifetimes' parameterisation, time unit = 7 days.

    Purchase rate lambda ~ Gamma(shape r, rate alpha) per week; after every repeat purchase the
    customer drops out with probability p ~ Beta(a, b). As in lifetimes' BetaGeoFitter (and its
    ``beta_geometric_nbd_model`` simulator) there is no dropout right after the first purchase
    unless DROPOUT_AT_FIRST_PURCHASE is set, which makes it the MBG/NBD (ModifiedBetaGeoFitter).
    """

    r: float = 0.75
    alpha: float = 5.0
    a: float = 0.8
    b: float = 4.0


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma spend in lifetimes' parameterisation: order value z ~ Gamma(shape p, rate nu),
    nu ~ Gamma(shape q, rate v) per customer, so E[z] = p * v / (q - 1) over the population."""

    p: float = 6.0
    q: float = 4.0
    v: float = 150.0


BG_NBD = BgNbdParams()
DROPOUT_AT_FIRST_PURCHASE = False
GAMMA_GAMMA = GammaGammaParams()

# Calendar multipliers of every purchase intensity. Months Jan..Dec (Q4 peak, Nov highest), mean
# exactly 1 over the 12 months; weekdays Mon..Sun with no Saturday trading, mean exactly 1.
MONTH_MULTIPLIERS = (0.80, 0.78, 0.92, 0.85, 0.90, 0.88, 0.88, 0.90, 1.12, 1.22, 1.55, 1.20)
WEEKDAY_MULTIPLIERS = (1.15, 1.20, 1.20, 1.35, 1.00, 0.00, 1.10)
SHOP_OPEN_MINUTE, SHOP_CLOSE_MINUTE = 7 * 60, 20 * 60

# Acquisition of new customers: intensity grows exponentially by ACQUISITION_GROWTH from the
# first to the last day, times a Q4 bump and the weekday multipliers (a first purchase is a purchase).
ACQUISITION_GROWTH = 2.0
ACQUISITION_MONTH_BUMP = {9: 1.10, 10: 1.25, 11: 1.45, 12: 1.15}

# Baskets: k = 1 + Poisson(mean * clip(sqrt(z / E[z]), 0.3, 3)) distinct products, Dirichlet weights.
CUSTOMER_LINES_MEAN = 13.0
GUEST_LINES_MEAN = 38.0
DIRICHLET_ALPHA = 1.5
N_PRODUCTS = 3_000
# Guests: a separate order stream (same growth and seasonality) sized to this share of product lines.
GUEST_LINE_SHARE = 0.22
GUEST_Z_SHAPE, GUEST_Z_MEAN = 2.0, 220.0
GUEST_UK_SHARE = 0.97

# Dirt, as per-order (or per-line) probabilities; truth.json records the realised line fractions.
CANCEL_PROB = 0.125  # a purchase later (partly) cancelled by a 'C' invoice of the same customer
CANCEL_EXTRA_LINES_MEAN = 1.5  # cancelled lines = 1 + Poisson(this), at most the order's lines
CANCEL_PARTIAL_PROB = 0.3  # a cancelled line returns only part of the quantity
CANCEL_DELAY_DAYS = 2.0  # mean delay, in seasonal operational days
FREE_LINE_PROB = {"customer": 0.025, "guest": 0.05}  # an extra product line at price 0
STOCK_ADJUSTMENT_RATE = 0.0012  # guest invoices of one zero-price line ('damaged', ...) per line
BAD_DEBT_PER_YEAR = 2.0  # 'A' invoices per year at scale 1 (at least 3 in any dataset)
DUPLICATE_PROB = 0.0103  # a clean product line written twice
INVOICE_FIRST = 489_434

COUNTRIES: tuple[tuple[str, float, str], ...] = (  # name, customer share, postage region
    ("United Kingdom", 0.900, "UK"),
    ("Germany", 0.021, "EU"),
    ("France", 0.018, "EU"),
    ("EIRE", 0.005, "EU"),
    ("Spain", 0.006, "EU"),
    ("Belgium", 0.005, "EU"),
    ("Netherlands", 0.004, "EU"),
    ("Switzerland", 0.004, "EU"),
    ("Portugal", 0.004, "EU"),
    ("Italy", 0.003, "EU"),
    ("Australia", 0.002, "ROW"),
    ("Sweden", 0.002, "EU"),
    ("Norway", 0.002, "EU"),
    ("Channel Islands", 0.002, "UK"),
    ("Finland", 0.002, "EU"),
    ("Austria", 0.002, "EU"),
    ("Denmark", 0.002, "EU"),
    ("Cyprus", 0.002, "EU"),
    ("Poland", 0.002, "EU"),
    ("Japan", 0.002, "ROW"),
    ("USA", 0.002, "ROW"),
    ("Canada", 0.001, "ROW"),
    ("Israel", 0.001, "ROW"),
    ("Greece", 0.001, "EU"),
    ("Iceland", 0.001, "EU"),
    ("Singapore", 0.001, "ROW"),
    ("Lithuania", 0.001, "EU"),
    ("Malta", 0.001, "EU"),
)
