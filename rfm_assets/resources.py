"""Dagster resources: the warehouse, the order source and the analysis knobs, derived from :class:`Settings`.

A resource field takes the :class:`Settings` attribute of the same name (:data:`RENAMED` lists the few
older field names), both its default and, in :func:`build_resources`, its configured value: defaults
are written once, in ``settings.py``. Fields with no such attribute (``connection_config``,
``lock_timeout_seconds``) are the resource's own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource
from pydantic import Field, PrivateAttr

from rfm_assets.core import warehouse
from rfm_assets.core.default_source import ensure_default_source
from rfm_assets.core.sources import SourceSpec, StagedSource, parse_column_mapping, stage_source
from rfm_assets.settings import Settings

_SETTING = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DEFAULTS = Settings()
# Resource fields named before the settings object existed: resource field -> Settings attribute.
RENAMED = {"database": "warehouse", "bi_copy_path": "bi_copy", "path": "source", "format": "source_format"}
R = TypeVar("R", bound=dg.ConfigurableResource)


def _config(value: Any) -> Any:
    """A setting as resource config: paths as text."""
    return str(value) if isinstance(value, Path) else value


def _default(name: str) -> Any:
    """The default of the :class:`Settings` attribute ``name``, as resource config."""
    return _config(getattr(_DEFAULTS, name))


# Run tag: the run's steps share one warehouse connection (WarehouseResource.yield_for_execution); the
# monthly job carries it, as its steps run in one process one after another.
RUN_CONNECTION_TAG = {"rfm/connection": "run"}


class WarehouseResource(DuckDBResource):
    """The DuckDB file every asset reads and writes (``RFM_WAREHOUSE``): dagster-duckdb's ``DuckDBResource``.

    ``database`` (configured as ``path``) is the file and ``connection_config`` holds DuckDB settings
    applied to every connection (e.g. ``{"memory_limit": "4GB", "threads": 2}``); code written for a
    ``DuckDBResource`` (``get_connection()``) works with it. Unlike dagster-duckdb's, a connection waits
    (with backoff, up to ``lock_timeout_seconds``) only while another process holds the write lock, and
    opens read-only when asked. Writes stay the project's own (``core/warehouse.py``: one transaction
    per partition, with the ledger), never dagster-duckdb's IO manager.
    """

    database: str = Field(default=_default("warehouse"), alias="path", description="Path of the DuckDB warehouse file")
    lock_timeout_seconds: float = 600.0
    _session: duckdb.DuckDBPyConnection | None = PrivateAttr(default=None)  # see session()
    _session_stack: ExitStack | None = PrivateAttr(default=None)  # closes the session's connection
    bi_copy_path: str | None = _default("bi_copy")  # RFM_BI_COPY; None: <warehouse dir>/bi/<stem>_bi.duckdb
    lake_data_path: str | None = _default("lake_data_path")  # RFM_LAKE_DATA_PATH: Parquet files of a lake warehouse

    @property
    def is_lake(self) -> bool:
        """True when the warehouse is a DuckLake (``ducklake:postgres:<dsn>``), not a DuckDB file."""
        return warehouse.lake.is_lake(self.database)

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
        with warehouse.connect(
            self.database, read_only=read_only, lock_timeout_s=self.lock_timeout_seconds, data_path=self.lake_data_path
        ) as con:
            for name, value in self.connection_config.items():
                if not _SETTING.match(name):
                    raise ValueError(f"connection_config: {name!r} is not a DuckDB setting name")
                con.execute(f"set {name} = ?", [value])
            yield con

    def connect(self, read_only: bool = False) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The same as :meth:`get_connection` (the name the assets and checks use); inside
        :meth:`session`, the session's connection."""
        if self._session is not None:
            return nullcontext(self._session)
        return self.get_connection(read_only=read_only)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[WarehouseResource]:
        """For a run tagged :data:`RUN_CONNECTION_TAG`, one :meth:`session` for the whole run (its steps
        run in this process, one after another); else a session per step (``assets/decorators.py``)."""
        run = context.run
        tagged = run is not None and all(run.tags.get(k) == v for k, v in RUN_CONNECTION_TAG.items())
        with self.session() if tagged else nullcontext():
            yield self

    @contextmanager
    def session(self) -> Iterator[None]:
        """Within it, every :meth:`connect` returns one read-write connection to the file warehouse.

        A step (an asset's body, its metadata and its checks) opens the file once instead of 4 or 5
        times: opening and closing a DuckDB file costs tens of milliseconds (a checkpoint at each close),
        about 60 times a month. The write lock is held for the step, as a step's writes already hold it.
        A lake warehouse keeps a connection per use (DuckLake writes retry per transaction).
        """
        if self._session is not None or self.is_lake:
            yield
            return
        self._open_session()
        try:
            yield
        finally:
            self._close_session()

    @contextmanager
    def released(self) -> Iterator[None]:
        """Inside a :meth:`session`, its connection closed for the block and reopened after: for a step
        that opens the file itself with other settings, as publishing the BI copy does (DuckDB refuses a
        second connection to a file with a different configuration). Outside a session, nothing."""
        if self._session is None:
            yield
            return
        self._close_session()
        try:
            yield
        finally:
            self._open_session()

    def _open_session(self) -> None:
        stack = ExitStack()
        self._session = stack.enter_context(self.get_connection())
        self._session_stack = stack

    def _close_session(self) -> None:
        stack, self._session_stack, self._session = self._session_stack, None, None
        if stack is not None:
            stack.close()


class OrderSourceResource(dg.ConfigurableResource):
    """Where order lines come from (``RFM_SOURCE``, ``RFM_SOURCE_FORMAT``, ``RFM_COLUMNS``).

    With no path, the embedded synthetic dataset is generated (deterministically) on first use.
    """

    path: str | None = _default("source")  # None: the embedded dataset
    format: str = _default("source_format")
    columns: str | None = _default("columns")
    staging_dir: str = _default("staging_dir")
    default_source_dir: str = _default("default_source_dir")
    default_scale: float = _default("default_scale")
    accept_empty_months: str = _default("accept_empty_months")  # RFM_ACCEPT_EMPTY_MONTHS: 'all' or 'YYYY-MM,...'

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
    """Knobs of the analytic assets and checks (``RFM_WINDOW_MONTHS``, ``RFM_CLUSTERS_K``, ... : see Settings)."""

    window_months: int = _default("window_months")
    cluster_k: int | None = _default("cluster_k")  # None: choose k by silhouette
    segment_rules: str | None = _default("segment_rules")  # None: sql/rfm_segment_rules.csv
    clv_discount_rate: float = _default("clv_discount_rate")
    clv_holdout_months: int = _default("clv_holdout_months")
    campaign_top_n: int | None = _default("campaign_top_n")
    campaign_share: float = _default("campaign_share")
    contact_cost: float | None = _default("contact_cost")
    margin: float | None = _default("margin")
    campaign_budget: float | None = _default("campaign_budget")
    control_share: float = _default("control_share")  # held-out control group of the selected
    export_dir: str = _default("export_dir")  # monthly campaign CSVs for email tools
    contacts_dir: str | None = _default("contacts_dir")  # the email tool's contacts_YYYY-MM.csv files


RESOURCES: dict[str, type[dg.ConfigurableResource]] = {
    "warehouse": WarehouseResource,
    "order_source": OrderSourceResource,
    "params": AnalysisParamsResource,
}


def settings_fields(resource: type[dg.ConfigurableResource]) -> dict[str, str]:
    """``{config key: Settings attribute}`` for each field of ``resource`` that a setting configures."""
    names = {f.name for f in fields(Settings)} | {
        n for n in dir(Settings) if isinstance(getattr(Settings, n), property)
    }
    out = {}
    for name, field in resource.model_fields.items():
        attribute = RENAMED.get(name, name)
        if attribute in names:
            out[field.alias or name] = attribute
    return out


def from_settings(resource: type[R], settings: Settings) -> R:
    """``resource`` configured from ``settings`` (its own fields keep their defaults)."""
    return resource(
        **{key: _config(getattr(settings, attribute)) for key, attribute in settings_fields(resource).items()}
    )


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Resources for :class:`~dagster.Definitions`, from the environment-derived settings."""
    return {key: from_settings(resource, settings) for key, resource in RESOURCES.items()}


def stage_configured_source(settings: Settings) -> StagedSource | None:
    """Stage ``RFM_SOURCE`` now (a no-op when its files are unchanged since the last staging), which also
    records its month range: what ``rfm-assets run`` calls before loading the definitions, so that
    the partitions cover every month its files hold. None for the embedded default dataset, whose
    months are known without it."""
    if settings.source is None:
        return None
    return from_settings(OrderSourceResource, settings).stage()
