"""What a source is (:class:`SourceSpec`), what staging it gives (:class:`StagedSource`), and the
generic column mapping (``customer_id=cust,order_date=dt,amount=amt``)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from rfm_assets.core.sources.errors import SourceError

FORMATS = ("online_retail", "generic")
FILE_TYPES = (".csv", ".xlsx", ".parquet")

# generic mapping: logical name -> column of the staged table it fills
GENERIC_LOGICAL = {
    "customer_id": "customer_id",
    "order_date": "invoice_date",
    "order_id": "invoice",
    "quantity": "quantity",
    "unit_price": "unit_price",
    "amount": "amount",
    "product": "stock_code",
    "description": "description",
    "country": "country",
}
_EXAMPLE = "customer_id=cust,order_date=dt,amount=amt"


@dataclass(frozen=True)
class SourceSpec:
    """Where the order lines are and how to read them.

    ``path`` is one file or a folder (its ``*.csv``, ``*.xlsx`` and ``*.parquet``, non-recursive);
    ``format`` is ``online_retail`` (UCI Online Retail / Online Retail II exports) or ``generic``,
    which needs ``columns``: ``{logical_name: source_column}`` (see :func:`parse_column_mapping`).
    """

    path: Path
    format: str = "online_retail"
    columns: dict[str, str] | None = None


@dataclass(frozen=True)
class StagedSource:
    """The source as one typed Parquet file (see ``staging.STAGED_COLUMNS`` for its schema)."""

    parquet_path: Path
    fingerprint: str  # sha256 hex of format + mapping + each file's name, size and mtime_ns
    loaded_at: datetime  # naive UTC; when this fingerprint was first staged
    files: tuple[str, ...]
    row_count: int
    first_month: date  # first day of the month of the earliest invoice_date (stray quarantined lines aside)
    last_month: date
    rejects_path: Path  # the quarantined lines (quarantine.REJECT_COLUMNS), possibly none
    quarantined: int = 0  # how many lines were quarantined


def parse_column_mapping(text: str) -> dict[str, str]:
    """Parse ``customer_id=cust,order_date=dt,amount=amt`` into ``{logical_name: source_column}``.

    Whitespace around names is ignored; source column names may contain spaces (``customer_id=Customer ID``).
    Raises ValueError for malformed pairs, unknown or repeated logical names, and missing required ones.
    """
    mapping: dict[str, str] = {}
    pairs = [part for part in (text or "").split(",") if part.strip()]
    if not pairs:
        raise ValueError(f"empty column mapping; expected e.g. {_EXAMPLE!r}")
    for pair in pairs:
        logical, sep, column = (piece.strip() for piece in pair.partition("="))
        if not sep or not logical or not column:
            raise ValueError(
                f"malformed column mapping entry {pair.strip()!r}: expected logical_name=source_column, "
                f"e.g. {_EXAMPLE!r}"
            )
        if logical in mapping:
            raise ValueError(f"column mapping names {logical!r} twice")
        mapping[logical] = column
    check_mapping(mapping)
    return mapping


def check_mapping(mapping: dict[str, str]) -> None:
    """Raise ValueError unless ``mapping`` names known logical columns and the required ones."""
    unknown = [name for name in mapping if name not in GENERIC_LOGICAL]
    if unknown:
        hints = [_did_you_mean(name, GENERIC_LOGICAL) for name in unknown]
        raise ValueError(
            f"unknown logical column(s) {', '.join(map(repr, unknown))}{''.join(hints)}; "
            f"valid names: {', '.join(GENERIC_LOGICAL)}"
        )
    missing = [name for name in ("customer_id", "order_date") if name not in mapping]
    if missing:
        raise ValueError(f"column mapping lacks required {' and '.join(missing)} (e.g. {_EXAMPLE!r})")
    has_qty, has_price = "quantity" in mapping, "unit_price" in mapping
    if has_qty != has_price:
        raise ValueError("column mapping names only one of quantity and unit_price: give both, or amount")
    if not has_qty and "amount" not in mapping:
        raise ValueError("column mapping needs either quantity and unit_price, or amount")


def validate_spec(spec: SourceSpec) -> None:
    """Raise SourceError when the path is missing, the format unknown or the mapping unusable."""
    path = Path(spec.path)
    if spec.format not in FORMATS:
        raise SourceError(
            path,
            f"unknown source format {spec.format!r}{_did_you_mean(spec.format, FORMATS)}; "
            f"valid formats: {', '.join(FORMATS)}",
        )
    if not path.exists():
        raise SourceError(path, "the source path does not exist")
    if spec.format == "generic":
        if not spec.columns:
            raise SourceError(path, f"format 'generic' needs a column mapping, e.g. {_EXAMPLE!r}")
        try:
            check_mapping(dict(spec.columns))
        except ValueError as exc:
            raise SourceError(path, str(exc)) from None
    elif spec.columns:
        raise SourceError(
            path,
            "a column mapping is only used with format 'generic'; "
            "online_retail files are recognised by their own column names",
        )


def _did_you_mean(name: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
