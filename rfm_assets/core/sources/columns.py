"""Which source column fills which staged column, per format; raises SourceError when one is missing."""

from __future__ import annotations

import re

from rfm_assets.core.sources.csv_reader import delimiter_hint
from rfm_assets.core.sources.errors import SourceError
from rfm_assets.core.sources.spec import GENERIC_LOGICAL

# staged column -> accepted header names (compared lower-case, letters and digits only)
ONLINE_RETAIL = {
    "invoice": ("Invoice", "InvoiceNo"),
    "stock_code": ("StockCode",),
    "description": ("Description",),
    "quantity": ("Quantity",),
    "invoice_date": ("InvoiceDate",),
    "unit_price": ("Price", "UnitPrice"),
    "customer_id": ("Customer ID", "CustomerID"),
    "country": ("Country",),
}
ONLINE_RETAIL_OPTIONAL = ("description", "country")


def resolve_columns(fmt: str, mapping: dict[str, str] | None, label: str, columns: list[str]) -> dict[str, str]:
    """``{staged_column: source_column}`` for the columns this file provides (absent ones stay NULL)."""
    if fmt == "online_retail":
        return _online_retail(label, columns)
    return _generic(mapping or {}, label, columns)


def _key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _online_retail(label: str, columns: list[str]) -> dict[str, str]:
    by_key = {}
    for name in columns:
        by_key.setdefault(_key(name), name)
    resolved, missing = {}, []
    for staged, aliases in ONLINE_RETAIL.items():
        found = next((by_key[_key(a)] for a in aliases if _key(a) in by_key), None)
        if found is not None:
            resolved[staged] = found
        elif staged not in ONLINE_RETAIL_OPTIONAL:
            missing.append("/".join(aliases))
    if missing:
        raise SourceError(
            label,
            f"missing columns {', '.join(missing)} of the Online Retail layout; the file's columns are: "
            f"{_listing(columns)}{delimiter_hint(columns)}",
            column=missing[0],
            samples=columns[:20],
        )
    return resolved


def _generic(mapping: dict[str, str], label: str, columns: list[str]) -> dict[str, str]:
    resolved = {}
    for logical, wanted in mapping.items():
        found = wanted if wanted in columns else None
        if found is None:
            loose = [c for c in columns if c.strip().lower() == wanted.strip().lower()]
            found = loose[0] if len(loose) == 1 else None
        if found is None:
            raise SourceError(
                label,
                f"the mapping names column {wanted!r} (for {logical}) but the file has no such column; "
                f"its columns are: {_listing(columns)}{delimiter_hint(columns)}",
                column=wanted,
                samples=columns[:20],
            )
        resolved[GENERIC_LOGICAL[logical]] = found
    return resolved


def _listing(columns: list[str]) -> str:
    shown = ", ".join(repr(c[:60]) for c in columns[:20])
    return shown + (f" (and {len(columns) - 20} more)" if len(columns) > 20 else "")
