"""A known campaign effect, injected into a generated CSV: the truth ``campaign_outcomes`` is tested against.

``inject_treatment(csv_path, contacts, effect)`` appends, for a random share of the contacted customers,
one extra invoice inside the outcome window, so that the contacted customers' repurchase rate in the
window rises by exactly ``effect.uplift`` in expectation (points: 0.05 = +5 points):

- q = share of the contacted customers who already buy in [window_start, window_end] (the CSV as generated);
- each contacted customer WITHOUT such a purchase is converted with probability uplift / (1 - q), so the
  expected rate becomes q + (1 - q) * uplift / (1 - q) = q + uplift. The control group, never contacted,
  keeps its base rate; random assignment makes the two base rates equal in expectation.
- a converted customer's extra invoice falls on a uniform non-Saturday day in
  [max(contacted_at, window_start), window_end], 10:00-16:00, in their own country, with 1-6 product lines
  copied (code, description, price) from the CSV's positive-price lines.

Lines are appended after the generated ones, so everything before them is byte-identical: the snapshot
months before the window (where the campaign was chosen) are unchanged. Without an injection the
generator's output is untouched. ``truth`` (also written next to the CSV as ``treatment_truth.json``)
records q, the conversions and the revenue added.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

TRUTH_FILE = "treatment_truth.json"


@dataclass(frozen=True)
class TreatmentEffect:
    """``uplift`` in probability points over the outcome window [window_start, window_end] (days)."""

    uplift: float
    window_start: date
    window_end: date
    seed: int = 17

    def validate(self) -> None:
        if not 0 <= self.uplift < 1:
            raise ValueError(f"uplift must be in [0, 1), got {self.uplift}")
        if self.window_end < self.window_start:
            raise ValueError(f"window_end {self.window_end} is before window_start {self.window_start}")


def _customer_key(values: pl.Series) -> pl.Series:
    """'12346.0', '12346' or 12346 -> '12346'."""
    return values.cast(pl.String).str.strip_chars().str.replace(r"\.0+$", "")


def _days(window_start: date, window_end: date) -> list[date]:
    days = [window_start + timedelta(d) for d in range((window_end - window_start).days + 1)]
    return [d for d in days if d.weekday() != 5]  # the shop never trades on Saturdays


def inject_treatment(csv_path: Path, contacts: pl.DataFrame | Path, effect: TreatmentEffect) -> dict:
    """Append the converted contacted customers' invoices to ``csv_path``; return (and write) the truth.

    ``contacts``: customer_id, contacted_at (date or datetime), as the contacts files hold them: a frame,
    or the path of such a file (``contacts_YYYY-MM.csv``).
    """
    effect.validate()
    if not isinstance(contacts, pl.DataFrame):
        contacts = pl.read_csv(contacts, infer_schema=False)
    at = pl.col("contacted_at")
    at = at.str.slice(0, 10).str.to_date() if contacts["contacted_at"].dtype == pl.String else at.cast(pl.Date)
    csv_path = Path(csv_path)
    lines = pl.read_csv(csv_path, infer_schema=False)
    lines = lines.with_columns(cust=_customer_key(lines["Customer ID"]), day=pl.col("InvoiceDate").str.slice(0, 10))
    contacted = contacts.select(cust=_customer_key(contacts["customer_id"]), at=at)
    contacted = contacted.group_by("cust").agg(pl.col("at").min()).sort("cust")
    start, end = effect.window_start.isoformat(), effect.window_end.isoformat()
    buying = lines.filter(
        pl.col("cust").is_not_null()
        & ~pl.col("Invoice").str.starts_with("C")
        & pl.col("day").is_between(pl.lit(start), pl.lit(end))
    )["cust"].unique()
    base = contacted["cust"].is_in(buying.implode())
    q = float(base.cast(pl.Float64).sum()) / len(contacted) if len(contacted) else 0.0
    if effect.uplift and effect.uplift > 1 - q:
        raise ValueError(f"uplift {effect.uplift} exceeds 1 - base rate {q:.3f}: not reachable")
    rng = np.random.default_rng(effect.seed)
    prob = effect.uplift / (1 - q) if q < 1 else 0.0
    draw = rng.random(len(contacted))
    converted = contacted.filter(~base & pl.Series(draw < prob))
    truth = {
        "uplift": effect.uplift,
        "window_start": start,
        "window_end": end,
        "contacted": len(contacted),
        "base_rate_contacted": q,
        "conversion_probability": prob,
        "converted": converted.height,
        "added_revenue": 0.0,
    }
    if converted.height:
        extra = _extra_lines(rng, lines, converted, effect)
        truth["added_revenue"] = round(
            float((extra["Quantity"].cast(pl.Int64) * extra["Price"].cast(pl.Float64)).sum()), 2
        )
        with open(csv_path, "ab") as fh:
            extra.write_csv(fh, include_header=False)
    (csv_path.parent / TRUTH_FILE).write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


def _extra_lines(rng: np.random.Generator, lines: pl.DataFrame, converted: pl.DataFrame, effect: TreatmentEffect):  # noqa: ANN202
    header = [c for c in lines.columns if c not in ("cust", "day")]
    products = lines.filter(
        pl.col("cust").is_not_null()
        & ~pl.col("Invoice").str.starts_with("C")
        & (pl.col("Price").cast(pl.Float64, strict=False) > 0)
        & (pl.col("Quantity").cast(pl.Int64, strict=False) > 0)
        & pl.col("StockCode").str.contains(r"^\d")
    ).select("StockCode", "Description", "Quantity", "Price")
    country = lines.filter(pl.col("cust").is_not_null()).group_by("cust").agg(pl.col("Country").mode().first())
    country_of = dict(zip(country["cust"], country["Country"], strict=True))
    numbers = lines.filter(pl.col("Invoice").str.contains(r"^\d+$"))["Invoice"].cast(pl.Int64)
    next_invoice = (int(numbers.to_numpy().max()) if len(numbers) else 0) + 1
    rows = []
    for i, (cust, at) in enumerate(converted.iter_rows()):
        days = _days(max(at, effect.window_start), effect.window_end)
        if not days:
            continue
        day = days[int(rng.integers(len(days)))]
        minute = int(rng.integers(10 * 60, 16 * 60))
        stamp = f"{day.isoformat()} {minute // 60:02d}:{minute % 60:02d}:00"
        for pos in rng.choice(products.height, size=int(rng.integers(1, 7)), replace=False):
            code, desc, qty, price = products.row(int(pos))
            rows.append((str(next_invoice + i), code, desc, qty, stamp, price, f"{cust}.0", country_of.get(cust)))
    return pl.DataFrame(rows, schema=header, orient="row")
