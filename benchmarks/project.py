"""The project's compute per asset for one month: the very build functions the assets call, no Dagster.

Each piece re-materializes the month on a warehouse where the earlier months (and the month's
upstream tables) are built, by calling the asset's ``rfm_assets.core.builds`` entry with the
configuration the assets derive from the default settings (``rfm_assets.assets.configs``): reads,
compute and writes are timed; only the assets' metadata and plots are left out.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.timing import Laps


def _month(args: dict[str, Any]) -> date:
    return date.fromisoformat(args["month"])


@contextmanager
def _connect(args: dict[str, Any], laps: Laps) -> Iterator[Any]:
    """The warehouse connection, its opening and closing timed as laps: DuckDB writes the month's
    pages to the file (checkpoint) when the connection closes, so that is part of every write."""
    from rfm_assets.core.warehouse import connect

    manager = connect(args["warehouse"])
    with laps("open"):
        con = manager.__enter__()
    try:
        yield con
    except BaseException:
        with laps("close"):
            if not manager.__exit__(*sys.exc_info()):
                raise
    else:
        with laps("close"):
            manager.__exit__(None, None, None)
        with laps("deferred_checkpoint"):
            settle(args["warehouse"])


def settle(warehouse: str) -> None:
    """Pay the checkpoint work DuckDB defers to the next writer, so the piece that caused it is charged.

    After a month's rows are deleted and replaced, part of the checkpoint (freeing the old row
    groups) happens at the *next* writing checkpoint, whoever makes it: 0.4-0.5 s at 10M lines after
    ``raw_orders``, which was being charged to the piece measured next. One tiny write and close
    here moves it back to the piece that caused it (a no-op checkpoint would not trigger it).
    """
    import duckdb

    con = duckdb.connect(warehouse)
    try:
        con.execute("create or replace table _bench_settle as select 1 as x")
        con.execute("drop table _bench_settle")
    finally:
        con.close()


def stage(args: dict[str, Any]) -> dict[str, Any]:
    """Stage the whole source (CSV -> typed Parquet) into an empty folder: once per source change."""
    import shutil

    from rfm_assets.core.sources import SourceSpec, stage_source

    folder = Path(args["out_dir"]) / "stage_probe"
    shutil.rmtree(folder, ignore_errors=True)
    laps = Laps()
    with laps("stage"):
        staged = stage_source(SourceSpec(path=Path(args["csv"]), format="online_retail"), folder)
    shutil.rmtree(folder, ignore_errors=True)
    return laps.result(rows=staged.row_count)


def _params() -> Any:
    """The ``params`` resource of the default settings (the environment's RFM_* variables ignored)."""
    from rfm_assets.resources import build_resources
    from rfm_assets.settings import Settings

    return build_resources(Settings.from_env({}))["params"]


def _staged(args: dict[str, Any]) -> Any:
    from rfm_assets.core.builds.ingestion import StagedConfig
    from rfm_assets.core.sources import SourceSpec, stage_source

    staged = stage_source(SourceSpec(path=Path(args["csv"]), format="online_retail"), Path(args["staging_dir"]))
    return StagedConfig(
        staged.parquet_path,
        staged.loaded_at,
        staged.rejects_path,
        span=(staged.first_month, staged.last_month),
    )


def _timed(args: dict[str, Any], lap: str, build: Callable[..., Any], cfg: Any = None) -> tuple[Laps, Any]:
    """``build(con, month, cfg)`` on the month's warehouse, timed as one lap (plus open and close)."""
    laps = Laps()
    with _connect(args, laps) as con, laps(lap):
        built = build(con, _month(args), cfg)
    return laps, built


def raw_orders(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.core.builds.ingestion import build_raw_orders

    laps, built = _timed(args, "raw_orders", build_raw_orders, _staged(args))
    return laps.result(rows=built.rows)


def cleaning(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.core.builds.ingestion import build_cleaned_transactions, build_customer_returns

    laps = Laps()
    with _connect(args, laps) as con:
        with laps("cleaned_transactions"):
            built = build_cleaned_transactions(con, _month(args))
        with laps("customer_returns"):
            build_customer_returns(con, _month(args))
    return laps.result(rows=built.cleaning.kept)


def cohort(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.core.builds.behaviour import build_cohort_retention

    laps, built = _timed(args, "cohort_retention", build_cohort_retention)
    return laps.result(rows=built.rows)


def rfm_snapshot(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.assets.configs import rfm_config
    from rfm_assets.core.builds.behaviour import build_rfm_snapshots

    laps, built = _timed(args, "rfm_snapshots", build_rfm_snapshots, rfm_config(_params()))
    return laps.result(rows=built.rows)


def segment_migration(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.core.builds.behaviour import build_segment_migration

    laps, built = _timed(args, "segment_migration", build_segment_migration)
    return laps.result(rows=built.rows)


def clusters(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.assets.configs import cluster_config
    from rfm_assets.core.builds.segments import build_cluster_profiles, build_customer_clusters

    month, laps, cfg = _month(args), Laps(), cluster_config(_params())
    with _connect(args, laps) as con:
        with laps("customer_clusters"):
            rows = build_customer_clusters(con, month, cfg).rows
        with laps("cluster_profiles"):
            build_cluster_profiles(con, month)
    return laps.result(rows=rows)


def clv_models(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.assets.configs import clv_config
    from rfm_assets.core import clv
    from rfm_assets.core.builds.lifetime_value import build_clv_models

    laps, built = _timed(args, "clv_models", build_clv_models, clv_config(_params()))
    if not built.fitted:
        raise RuntimeError(f"CLV not fitted for {args['month']}: {built.fit.message}")
    summary, fit = built.summary, built.fit
    return laps.result(
        rows=len(built.scores),
        customers=len(summary),
        patterns=int(summary.groupby(clv.PATTERN).ngroups),
        bg_params=fit.bg_params,
        gg_params=fit.gg_params,
        bg_penalizer=fit.bg_penalizer,
        gg_penalizer=fit.gg_penalizer,
    )


def clv_holdout(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.assets.configs import holdout_config
    from rfm_assets.core.builds.lifetime_value import build_clv_holdout_metrics

    laps, result = _timed(args, "clv_holdout_metrics", build_clv_holdout_metrics, holdout_config(_params()))
    return laps.result(status=result.status)


def forecasts(args: dict[str, Any]) -> dict[str, Any]:
    """The three forecasting tables: revenue history (SQL), forecast_all (statsforecast), the writes."""
    from rfm_assets.core.builds.forecasts import build_revenue_forecasts
    from rfm_assets.core.forecasting import ForecastConfig

    laps, built = _timed(args, "revenue_forecasts", build_revenue_forecasts, ForecastConfig())
    return laps.result(series=len(built.result.skill), forecast_all_seconds=built.seconds)


def dormant(args: dict[str, Any]) -> dict[str, Any]:
    """dormant_features (SQL) + run_dormant (model selection out of time, refit, scoring) + the writes."""
    from rfm_assets.assets.configs import campaign_config
    from rfm_assets.core.builds.reactivation import DormantConfig, build_dormant_reactivation

    cfg = DormantConfig(campaign_config(_params()), first_month=date.fromisoformat(args["first_month"]))
    _first_time(args["warehouse"], _month(args))
    laps, result = _timed(args, "dormant_reactivation", build_dormant_reactivation, cfg)
    return laps.result(status=result.status, targets=len(result.targets))


def _first_time(warehouse: str, month: date) -> None:
    """Forget what the whole month's run of ``month`` stored for itself (its fits, the anchor M-3 it
    first needed), so the piece pays what the month's first run pays instead of reusing its own work."""
    import duckdb

    from rfm_assets.core.dormant_anchors import PANEL_TABLE
    from rfm_assets.core.dormant_fits import TABLE
    from rfm_assets.core.months import add_months
    from rfm_assets.core.warehouse import table_exists

    con = duckdb.connect(warehouse)
    try:
        if table_exists(con, TABLE):
            con.execute(f"delete from {TABLE} where fitted_for = ?", [month])
        if table_exists(con, PANEL_TABLE):
            con.execute(f"delete from {PANEL_TABLE} where anchor = ?", [add_months(month, -3)])
    finally:
        con.close()
    settle(warehouse)


# asset-compute pieces in the job's order; names are the rows of the report
PIECES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "stage_source": stage,
    "raw_orders": raw_orders,
    "cleaning": cleaning,
    "cohort_retention": cohort,
    "rfm_snapshots": rfm_snapshot,
    "segment_migration": segment_migration,
    "clusters": clusters,
    "clv_models": clv_models,
    "clv_holdout": clv_holdout,
    "forecasts": forecasts,
    "dormant": dormant,
}
