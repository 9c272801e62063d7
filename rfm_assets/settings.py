"""The operator contract: every environment variable the project reads, read here and nowhere else.

Each setting's default is written once, as a :class:`Settings` field default; :data:`VARIABLES` says
which variable sets which field and how its text is parsed. Asset bodies never touch ``os.environ``:
the resources (``rfm_assets/resources.py``) are derived from one :class:`Settings`, read once in
``rfm_assets/partitions.py``. Defaults make ``dagster dev`` and ``rfm-assets run`` work on the
embedded synthetic dataset with no configuration at all.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from rfm_assets.core.months import month_start
from rfm_assets.core.sources.spec import FORMATS, parse_column_mapping


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Paths are as given (relative paths resolve against the working dir)."""

    warehouse: Path | str = Path("data/warehouse.duckdb")  # the DuckDB file (data folder = its folder), or a lake
    source: Path | None = None  # None: the embedded default dataset
    source_format: str = "online_retail"
    columns: str | None = None  # generic mapping text, e.g. "customer_id=cust,order_date=dt,amount=amt"
    start_month: date | None = None  # None: the source's first month
    end_month: date | None = None  # None: the source's last month (unless live)
    live: bool = False  # RFM_END_MONTH=live: partitions run up to the last complete calendar month
    default_scale: float = 1.0  # size knob of the embedded dataset
    window_months: int = 12  # RFM trailing window
    cluster_k: int | None = 4  # KMeans k; None ('auto'): best silhouette over 2..8
    segment_rules: Path | None = None  # a CSV rules table; None: sql/rfm_segment_rules.csv
    clv_discount_rate: float = 0.10  # annual rate discounting clv_12m
    clv_holdout_months: int = 6  # h of clv_holdout_metrics
    campaign_top_n: int | None = None  # contact the N best-ranked dormant customers
    campaign_share: float = 0.10  # else this share of them (and k of model comparison)
    contact_cost: float | None = None  # with margin: select by expected profit > 0
    margin: float | None = None  # gross margin on reactivated revenue (0..1]
    campaign_budget: float | None = None  # caps contacts at budget // contact cost
    control_share: float = 0.10  # of the selected, held out as a random control group (per persona)
    contacts_dir: Path | None = None  # contacts_YYYY-MM.csv exported by the email tool; None: assumed contacted
    bi_copy: Path | None = None  # read-only copy for BI tools; None: <data dir>/bi/<name>_bi.duckdb
    lake_data_path: str | None = None  # Parquet files of a lake warehouse (a folder, or object storage)
    accept_empty_months: str = ""  # 'all' or 'YYYY-MM,...' that may lose all their lines

    @property
    def data_dir(self) -> Path:
        """Folder beside the warehouse holding the staged source cache and the default dataset (with a
        lake: beside a local RFM_LAKE_DATA_PATH, else ``data``)."""
        if isinstance(self.warehouse, str):
            local = self.lake_data_path if self.lake_data_path and "://" not in self.lake_data_path else None
            return Path(local).parent if local else Path("data")
        return self.warehouse.parent

    @property
    def staging_dir(self) -> Path:
        return self.data_dir / "staging"

    @property
    def default_source_dir(self) -> Path:
        return self.data_dir / "default_source"

    @property
    def export_dir(self) -> Path:
        """Where the monthly campaign lists (CSV for email tools) are written."""
        return self.data_dir / "exports"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the ``RFM_*`` variables of :data:`VARIABLES` (README, "Operator contract").

        An unset or blank variable keeps the field's default; a value that does not parse raises
        ValueError naming the variable, its value and what is accepted.
        """
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for var in VARIABLES:
            text = (env.get(var.name) or "").strip()
            if text:
                values[var.field] = var.read(text)
        settings = cls(**values)
        _check_together(settings)
        return settings


Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Variable:
    """One environment variable: the :class:`Settings` field it sets and the parser of its text."""

    name: str
    field: str
    parse: Parser

    def read(self, text: str) -> Any:
        try:
            return self.parse(text)
        except ValueError as exc:
            raise ValueError(f"{self.name}={text!r}: {exc}") from None


def _choice(*options: str) -> Parser:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"use one of {', '.join(options)}")
        return text

    return parse


def _int(low: int, high: int | None = None) -> Parser:
    rule = f"a whole number from {low} to {high}" if high is not None else f"a whole number >= {low}"

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"use {rule}") from None
        if value < low or (high is not None and value > high):
            raise ValueError(f"use {rule}")
        return value

    return parse


def _float(rule: str, ok: Callable[[float], bool]) -> Parser:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"use {rule}") from None
        if not (math.isfinite(value) and ok(value)):
            raise ValueError(f"use {rule}")
        return value

    return parse


def _columns(text: str) -> str:
    try:
        parse_column_mapping(text)
    except ValueError as exc:
        raise ValueError(f"use a valid column mapping: {exc}") from None
    return text


def _month(text: str) -> date:
    try:
        return month_start(text)
    except ValueError:
        raise ValueError("use a month like 2011-03 (YYYY-MM)") from None


def _end_month(text: str) -> date | None:
    try:
        return None if text.lower() == "live" else month_start(text)
    except ValueError:
        raise ValueError("use a month like 2011-03 (YYYY-MM), or live") from None


def _is_live(text: str) -> bool:
    return text.lower() == "live"


def _cluster_k(text: str) -> int | None:
    if text.lower() == "auto":
        return None
    try:
        return _int(2, 12)(text)
    except ValueError:
        raise ValueError("use a whole number from 2 to 12, or 'auto'") from None


def _warehouse(text: str) -> Path | str:
    """A DuckDB file path, or a lake as text: ``ducklake:postgres:<libpq dsn>``."""
    if not text.startswith("ducklake:"):
        return Path(text)
    if not text.startswith("ducklake:postgres:") or not text.removeprefix("ducklake:postgres:").strip():
        raise ValueError("use a DuckDB file path, or ducklake:postgres:<libpq dsn> (e.g. ducklake:postgres:dbname=rfm)")
    return text


def _month_list(text: str) -> str:
    """'all', or the months of a comma-separated YYYY-MM list, sorted and without repeats."""
    if text.lower() == "all":
        return "all"
    try:
        months = sorted({month_start(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError("use 'all' or months like 2011-03,2011-04") from None
    return ",".join(f"{m:%Y-%m}" for m in months)


VARIABLES: tuple[Variable, ...] = (
    Variable("RFM_WAREHOUSE", "warehouse", _warehouse),
    Variable("RFM_LAKE_DATA_PATH", "lake_data_path", str),
    Variable("RFM_SOURCE", "source", Path),
    Variable("RFM_SOURCE_FORMAT", "source_format", _choice(*FORMATS)),
    Variable("RFM_COLUMNS", "columns", _columns),
    Variable("RFM_START_MONTH", "start_month", _month),
    Variable("RFM_END_MONTH", "end_month", _end_month),
    Variable("RFM_END_MONTH", "live", _is_live),
    Variable("RFM_DEFAULT_SCALE", "default_scale", _float("a number > 0", lambda x: x > 0)),
    Variable("RFM_WINDOW_MONTHS", "window_months", _int(1)),
    Variable("RFM_CLUSTERS_K", "cluster_k", _cluster_k),
    Variable("RFM_SEGMENT_RULES", "segment_rules", Path),
    Variable("RFM_CLV_DISCOUNT_RATE", "clv_discount_rate", _float("an annual rate >= 0, e.g. 0.10", lambda x: x >= 0)),
    Variable("RFM_CLV_HOLDOUT_MONTHS", "clv_holdout_months", _int(1)),
    Variable("RFM_CAMPAIGN_TOP_N", "campaign_top_n", _int(1)),
    Variable("RFM_CAMPAIGN_SHARE", "campaign_share", _float("a share in (0, 1], e.g. 0.10", lambda x: 0 < x <= 1)),
    Variable("RFM_CONTACT_COST", "contact_cost", _float("a cost >= 0", lambda x: x >= 0)),
    Variable("RFM_MARGIN", "margin", _float("a margin in (0, 1], e.g. 0.3", lambda x: 0 < x <= 1)),
    Variable("RFM_CAMPAIGN_BUDGET", "campaign_budget", _float("a budget >= 0", lambda x: x >= 0)),
    Variable("RFM_CONTROL_SHARE", "control_share", _float("a share in [0, 1), e.g. 0.10", lambda x: 0 <= x < 1)),
    Variable("RFM_CONTACTS_DIR", "contacts_dir", Path),
    Variable("RFM_BI_COPY", "bi_copy", Path),
    Variable("RFM_ACCEPT_EMPTY_MONTHS", "accept_empty_months", _month_list),
)


def _check_together(s: Settings) -> None:
    """Rules that involve more than one variable."""
    if isinstance(s.warehouse, str) and not s.lake_data_path:
        raise ValueError("RFM_WAREHOUSE=ducklake:... needs RFM_LAKE_DATA_PATH (the folder of the lake's Parquet files)")
    if s.source_format == "generic" and not s.columns:
        raise ValueError("RFM_SOURCE_FORMAT=generic needs RFM_COLUMNS, e.g. customer_id=cust,order_date=dt,amount=amt")
    if s.start_month and s.end_month and s.start_month > s.end_month:
        raise ValueError(f"RFM_START_MONTH={s.start_month:%Y-%m} is after RFM_END_MONTH={s.end_month:%Y-%m}")
    if (s.contact_cost is None) != (s.margin is None):
        raise ValueError("the profit rule needs both RFM_CONTACT_COST and RFM_MARGIN (or neither)")
    if s.campaign_budget is not None and s.contact_cost is None:
        raise ValueError("RFM_CAMPAIGN_BUDGET needs the profit rule: set RFM_CONTACT_COST and RFM_MARGIN too")
