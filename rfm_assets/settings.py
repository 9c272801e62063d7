"""The operator contract: every environment variable the project reads, read here and nowhere else.

Asset bodies never touch ``os.environ``; resources are built from a :class:`Settings` in
``rfm_assets/resources.py``. Defaults make ``dagster dev`` and ``rfm-assets run`` work on the
embedded synthetic dataset with no configuration at all.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rfm_assets.core.months import month_start

DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
VALID_FORMATS = ("online_retail", "generic")


@dataclass(frozen=True)
class Settings:
    """Resolved configuration. Paths are as given (relative paths resolve against the working dir)."""

    warehouse: Path
    source: Path | None  # None: the embedded default dataset
    source_format: str
    columns: str | None  # generic mapping text, e.g. "customer_id=cust,order_date=dt,amount=amt"
    start_month: date | None  # None: the source's first month
    end_month: date | None  # None: the source's last month (unless live)
    live: bool  # partitions run up to the last complete calendar month
    default_scale: float  # size knob of the embedded dataset
    window_months: int = 12  # RFM trailing window (RFM_WINDOW_MONTHS)
    cluster_k: int | None = 4  # KMeans k (RFM_CLUSTERS_K; 'auto' = best silhouette over 2..8)
    segment_rules: Path | None = None  # RFM_SEGMENT_RULES: a CSV rules table (default sql/rfm_segment_rules.csv)
    clv_discount_rate: float = 0.10  # RFM_CLV_DISCOUNT_RATE: annual rate discounting clv_12m
    clv_holdout_months: int = 6  # RFM_CLV_HOLDOUT_MONTHS: h of clv_holdout_metrics
    campaign_top_n: int | None = None  # RFM_CAMPAIGN_TOP_N: contact the N best-ranked dormant customers
    campaign_share: float = 0.10  # RFM_CAMPAIGN_SHARE: else this share of them (and k of model comparison)
    contact_cost: float | None = None  # RFM_CONTACT_COST: with RFM_MARGIN, select by expected profit > 0
    margin: float | None = None  # RFM_MARGIN: gross margin on reactivated revenue (0..1]
    campaign_budget: float | None = None  # RFM_CAMPAIGN_BUDGET: caps contacts at budget // contact cost
    bi_copy: Path | None = None  # RFM_BI_COPY: read-only copy for BI tools (default data/bi/warehouse_bi.duckdb)
    accept_empty_months: str = ""  # RFM_ACCEPT_EMPTY_MONTHS: 'all' or 'YYYY-MM,...' that may lose all their lines

    @property
    def data_dir(self) -> Path:
        """Folder beside the warehouse holding the staged source cache and the default dataset."""
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
        """Read the ``RFM_*`` variables (see README, "Operator contract")."""
        env = os.environ if env is None else env
        fmt = env.get("RFM_SOURCE_FORMAT", "online_retail").strip() or "online_retail"
        if fmt not in VALID_FORMATS:
            raise ValueError(f"RFM_SOURCE_FORMAT={fmt!r} is not one of {', '.join(VALID_FORMATS)}")
        columns = env.get("RFM_COLUMNS") or None
        if fmt == "generic" and not columns:
            raise ValueError("RFM_SOURCE_FORMAT=generic needs RFM_COLUMNS, e.g. customer_id=cust,order_date=dt,amount=amt")
        end_text = (env.get("RFM_END_MONTH") or "").strip()
        live = end_text.lower() == "live"
        return cls(
            warehouse=Path(env.get("RFM_WAREHOUSE") or DEFAULT_WAREHOUSE),
            source=Path(env["RFM_SOURCE"]) if env.get("RFM_SOURCE") else None,
            source_format=fmt,
            columns=columns,
            start_month=month_start(env["RFM_START_MONTH"]) if env.get("RFM_START_MONTH") else None,
            end_month=month_start(end_text) if end_text and not live else None,
            live=live,
            default_scale=float(env.get("RFM_DEFAULT_SCALE") or 1.0),
            window_months=int(env.get("RFM_WINDOW_MONTHS") or 12),
            cluster_k=_cluster_k(env.get("RFM_CLUSTERS_K") or "4"),
            segment_rules=Path(env["RFM_SEGMENT_RULES"]) if env.get("RFM_SEGMENT_RULES") else None,
            clv_discount_rate=float(env.get("RFM_CLV_DISCOUNT_RATE") or 0.10),
            clv_holdout_months=int(env.get("RFM_CLV_HOLDOUT_MONTHS") or 6),
            campaign_top_n=_optional(env, "RFM_CAMPAIGN_TOP_N", int),
            campaign_share=float(env.get("RFM_CAMPAIGN_SHARE") or 0.10),
            contact_cost=_optional(env, "RFM_CONTACT_COST", float),
            margin=_optional(env, "RFM_MARGIN", float),
            campaign_budget=_optional(env, "RFM_CAMPAIGN_BUDGET", float),
            bi_copy=Path(env["RFM_BI_COPY"]) if env.get("RFM_BI_COPY") else None,
            accept_empty_months=_month_list(env.get("RFM_ACCEPT_EMPTY_MONTHS") or ""),
        )


def _optional(env: Mapping[str, str], name: str, kind: type) -> int | float | None:
    text = (env.get(name) or "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a {kind.__name__}") from None


def _month_list(text: str) -> str:
    """'all', or the months of a comma-separated YYYY-MM list normalised ('' when none)."""
    if text.strip().lower() == "all":
        return "all"
    try:
        months = sorted({month_start(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise ValueError(f"RFM_ACCEPT_EMPTY_MONTHS={text!r}: use 'all' or months like 2011-03,2011-04") from None
    return ",".join(f"{m:%Y-%m}" for m in months)


def _cluster_k(text: str) -> int | None:
    if text.strip().lower() == "auto":
        return None
    k = int(text)
    if not 2 <= k <= 12:
        raise ValueError(f"RFM_CLUSTERS_K={text!r}: use a number from 2 to 12, or 'auto'")
    return k
