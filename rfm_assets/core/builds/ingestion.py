"""Builds of the ingestion layer: the month's source lines, its quarantine, valid purchases, returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from rfm_assets.core import ingest


@dataclass(frozen=True)
class StagedConfig:
    """Where the staged source is and how to treat the month (from the order_source resource)."""

    parquet_path: Path
    loaded_at: object
    rejects_path: Path | None = None
    span: tuple[date, date] | None = None  # the source's first and last month
    accept_emptied: bool = False  # RFM_ACCEPT_EMPTY_MONTHS covers this month


@dataclass(frozen=True)
class RowsBuild:
    """A table written for the month: its row count."""

    rows: int


@dataclass(frozen=True)
class QuarantineBuild:
    counts: dict[str, int]  # reason -> lines held back this month


@dataclass(frozen=True)
class CleaningBuild:
    cleaning: ingest.CleaningResult
    quarantined: dict[str, int] | None  # None: quarantined_lines not built for this month


def build_raw_orders(con: duckdb.DuckDBPyConnection, month: date, cfg: StagedConfig) -> RowsBuild:
    """raw_orders for ``month`` from the staged source (see :func:`ingest.build_raw_orders`)."""
    return RowsBuild(
        ingest.build_raw_orders(
            con,
            month,
            cfg.parquet_path,
            cfg.loaded_at,
            cfg.rejects_path,
            span=cfg.span,
            accept_emptied=cfg.accept_emptied,
        )
    )


def build_quarantined_lines(con: duckdb.DuckDBPyConnection, month: date, cfg: StagedConfig) -> QuarantineBuild:
    """quarantined_lines for ``month`` from the staging rejects."""
    if cfg.rejects_path is None:
        raise ValueError("quarantined_lines needs the staged source's rejects file (StagedConfig.rejects_path)")
    return QuarantineBuild(ingest.build_quarantined_lines(con, month, cfg.rejects_path, cfg.loaded_at))


def build_cleaned_transactions(con: duckdb.DuckDBPyConnection, month: date, cfg: None = None) -> CleaningBuild:
    """cleaned_transactions for ``month``, with the lines removed per rule and the month's quarantine."""
    cleaning = ingest.build_cleaned_transactions(con, month)
    return CleaningBuild(cleaning, ingest.quarantined_counts(con, month))


def build_customer_returns(con: duckdb.DuckDBPyConnection, month: date, cfg: None = None) -> RowsBuild:
    """customer_returns for ``month``."""
    return RowsBuild(ingest.build_customer_returns(con, month))
