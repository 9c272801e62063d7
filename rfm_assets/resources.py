"""Dagster resources: the warehouse and the order source, configured from :class:`Settings`."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field

from rfm_assets.core import warehouse
from rfm_assets.core.default_source import ensure_default_source
from rfm_assets.core.sources import SourceSpec, StagedSource, parse_column_mapping, stage_source
from rfm_assets.settings import DEFAULT_WAREHOUSE, Settings

_SETTING = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class WarehouseResource(DuckDBResource):
    """The DuckDB file every asset reads and writes (``RFM_WAREHOUSE``): dagster-duckdb's ``DuckDBResource``.

    ``database`` (configured as ``path``) is the file and ``connection_config`` holds DuckDB settings
    applied to every connection (e.g. ``{"memory_limit": "4GB", "threads": 2}``); code written for a
    ``DuckDBResource`` (``get_connection()``) works with it. Unlike dagster-duckdb's, a connection waits
    (with backoff, up to ``lock_timeout_seconds``) only while another process holds the write lock, and
    opens read-only when asked. Writes stay the project's own (``core/warehouse.py``: one transaction
    per partition, with the ledger), never dagster-duckdb's IO manager.
    """

    database: str = Field(default=DEFAULT_WAREHOUSE, alias="path", description="Path of the DuckDB warehouse file")
    lock_timeout_seconds: float = 600.0
    bi_copy_path: str | None = None  # RFM_BI_COPY; None: <warehouse dir>/bi/<stem>_bi.duckdb

    @property
    def path(self) -> str:
        """The warehouse file (``database``)."""
        return self.database

    def bi_copy(self) -> Path:
        """Where the read-only BI copy of the warehouse is published."""
        from rfm_assets.core.publish import default_bi_copy

        return Path(self.bi_copy_path) if self.bi_copy_path else default_bi_copy(self.path)

    @contextmanager
    def get_connection(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """A short-lived connection with ``connection_config`` applied; waits while another process holds
        the write lock."""
        with warehouse.connect(self.database, read_only=read_only, lock_timeout_s=self.lock_timeout_seconds) as con:
            for name, value in self.connection_config.items():
                if not _SETTING.match(name):
                    raise ValueError(f"connection_config: {name!r} is not a DuckDB setting name")
                con.execute(f"set {name} = ?", [value])
            yield con

    def connect(self, read_only: bool = False) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The same as :meth:`get_connection` (the name the assets and checks use)."""
        return self.get_connection(read_only=read_only)


class OrderSourceResource(dg.ConfigurableResource):
    """Where order lines come from (``RFM_SOURCE``, ``RFM_SOURCE_FORMAT``, ``RFM_COLUMNS``).

    With no path, the embedded synthetic dataset is generated (deterministically) on first use.
    """

    path: str | None = None
    format: str = "online_retail"
    columns: str | None = None
    staging_dir: str = "data/staging"
    default_source_dir: str = "data/default_source"
    default_scale: float = 1.0
    accept_empty_months: str = ""  # RFM_ACCEPT_EMPTY_MONTHS: 'all' or 'YYYY-MM,...'

    def accepts_emptied(self, month: date) -> bool:
        """True when the operator accepts that ``month`` lost every line it had (RFM_ACCEPT_EMPTY_MONTHS)."""
        wanted = {part.strip() for part in self.accept_empty_months.split(",")}
        return "all" in wanted or f"{month:%Y-%m}" in wanted

    def spec(self) -> SourceSpec:
        if self.path is None:
            csv = ensure_default_source(Path(self.default_source_dir), scale=self.default_scale)
            return SourceSpec(path=csv, format="online_retail")
        mapping = parse_column_mapping(self.columns) if self.columns else None
        return SourceSpec(path=Path(self.path), format=self.format, columns=mapping)

    def truth(self) -> dict | None:
        """The generating parameters when the source is the embedded synthetic dataset, else None."""
        import json

        path = Path(self.default_source_dir) / "truth.json"
        if self.path is None and path.exists():
            return json.loads(path.read_text())
        return None

    def stage(self) -> StagedSource:
        """The source as one typed parquet file, cached while the source files are unchanged."""
        return stage_source(self.spec(), Path(self.staging_dir))


class AnalysisParamsResource(dg.ConfigurableResource):
    """Knobs of the analytic assets (``RFM_WINDOW_MONTHS``, ``RFM_CLUSTERS_K``, ``RFM_SEGMENT_RULES``)."""

    window_months: int = 12
    cluster_k: int | None = 4  # None: choose k by silhouette
    segment_rules: str | None = None  # None: sql/rfm_segment_rules.csv
    clv_discount_rate: float = 0.10
    clv_holdout_months: int = 6
    campaign_top_n: int | None = None
    campaign_share: float = 0.10
    contact_cost: float | None = None
    margin: float | None = None
    campaign_budget: float | None = None
    export_dir: str = "data/exports"  # monthly campaign CSVs for email tools


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Resources for :class:`~dagster.Definitions`, from the environment-derived settings."""
    return {
        "warehouse": WarehouseResource(path=str(settings.warehouse),
                                       bi_copy_path=str(settings.bi_copy) if settings.bi_copy else None),
        "order_source": OrderSourceResource(
            path=str(settings.source) if settings.source else None,
            format=settings.source_format,
            columns=settings.columns,
            staging_dir=str(settings.staging_dir),
            default_source_dir=str(settings.default_source_dir),
            default_scale=settings.default_scale,
            accept_empty_months=settings.accept_empty_months,
        ),
        "params": AnalysisParamsResource(
            window_months=settings.window_months,
            cluster_k=settings.cluster_k,
            segment_rules=str(settings.segment_rules) if settings.segment_rules else None,
            clv_discount_rate=settings.clv_discount_rate,
            clv_holdout_months=settings.clv_holdout_months,
            campaign_top_n=settings.campaign_top_n,
            campaign_share=settings.campaign_share,
            contact_cost=settings.contact_cost,
            margin=settings.margin,
            campaign_budget=settings.campaign_budget,
            export_dir=str(settings.export_dir),
        ),
    }


def stage_configured_source(settings: Settings) -> StagedSource | None:
    """Stage ``RFM_SOURCE`` now (a no-op when its files are unchanged since the last staging), which also
    records its month range: what ``rfm-assets run`` calls before loading the definitions, so that
    the partitions cover every month its files hold. None for the embedded default dataset, whose
    months are known without it."""
    if settings.source is None:
        return None
    return build_resources(settings)["order_source"].stage()
