"""The project's compute per asset for one month: the pure core calls each asset makes, no Dagster.

Each piece re-materializes the month on a warehouse where the earlier months (and the month's
upstream tables) are built, exactly as the asset body does minus its metadata and plots. Writes
go through ``warehouse.replace_partition[_frame]`` like the assets' do, so they are timed too.
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


def raw_orders(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.core import ingest
    from rfm_assets.core.sources import SourceSpec, stage_source

    staged = stage_source(SourceSpec(path=Path(args["csv"]), format="online_retail"), Path(args["staging_dir"]))
    laps = Laps()
    with _connect(args, laps) as con, laps("raw_orders"):
        rows = ingest.build_raw_orders(con, _month(args), staged.parquet_path, staged.loaded_at)
    return laps.result(rows=rows)


def cleaning(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.core import ingest

    laps = Laps()
    with _connect(args, laps) as con:
        with laps("cleaned_transactions"):
            result = ingest.build_cleaned_transactions(con, _month(args))
        with laps("customer_returns"):
            ingest.build_customer_returns(con, _month(args))
    return laps.result(rows=result.kept)


def cohort(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.core import cohorts

    laps = Laps()
    with _connect(args, laps) as con, laps("cohort_retention"):
        rows = cohorts.build_cohort_retention(con, _month(args))
        cohorts.refresh_triangle_view(con)
    return laps.result(rows=rows)


def rfm_snapshot(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.core import rfm

    segments = rfm.segment_map(rfm.load_segment_rules())
    laps = Laps()
    with _connect(args, laps) as con, laps("rfm_snapshots"):
        rows = rfm.build_rfm_snapshot(con, _month(args), args.get("window_months", 12), segments)
    return laps.result(rows=rows)


def segment_migration(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.core import rfm
    from rfm_assets.core.months import add_months

    laps = Laps()
    with _connect(args, laps) as con, laps("segment_migration"):
        rows = rfm.build_segment_migration(con, _month(args), add_months(_month(args), -1))
    return laps.result(rows=rows)


def clusters(args: dict[str, Any]) -> dict[str, Any]:
    import polars as pl

    from rfm_assets.core.clusters import fit_clusters
    from rfm_assets.core.sqlfiles import load_sql
    from rfm_assets.core.warehouse import replace_partition, replace_partition_frame

    month, laps = _month(args), Laps()
    with _connect(args, laps) as con:
        with laps("read"):
            frame = con.execute("select customer_id, recency_days, frequency, monetary from rfm_snapshots "
                                "where snapshot_month = ?", [month]).pl()
        with laps("kmeans"):
            result = fit_clusters(frame, k=4)
        with laps("write"):
            out = result.assignments.with_columns(pl.lit(month).alias("snapshot_month")).select(
                "snapshot_month", "customer_id", "cluster_id", "cluster_name", "recency_days", "frequency", "monetary")
            rows = replace_partition_frame(con, "customer_clusters", month, out)
            replace_partition(con, "cluster_profiles", month, load_sql("cluster_profiles"), {"month": month})
    return laps.result(rows=rows)


def clv_models(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.core import clv
    from rfm_assets.core.months import month_end
    from rfm_assets.core.warehouse import replace_partition_frame

    month, laps, config = _month(args), Laps(), clv.ClvConfig()
    with _connect(args, laps) as con:
        with laps("summary"):
            summary = clv.clv_summary(con, month_end(month))
        with laps("fit"):
            fit = clv.fit_clv(summary, config)
        if fit.status != "fitted":
            raise RuntimeError(f"CLV not fitted for {month}: {fit.message}")
        with laps("score"):
            scores = clv.score_customers(fit, summary, config)
        with laps("write"):
            scores.insert(0, "snapshot_month", month)
            replace_partition_frame(con, "customer_lifetime_value", month, scores)
            replace_partition_frame(con, "clv_model_params", month, clv.params_long(fit, month))
    return laps.result(rows=len(scores), customers=len(summary), patterns=int(summary.groupby(clv.PATTERN).ngroups),
                       bg_params=fit.bg_params, gg_params=fit.gg_params)


def clv_holdout(args: dict[str, Any]) -> dict[str, Any]:
    from rfm_assets.core import clv
    from rfm_assets.core.clv_holdout import holdout_metrics
    from rfm_assets.core.warehouse import replace_partition_frame

    month, laps = _month(args), Laps()
    with _connect(args, laps) as con, laps("clv_holdout_metrics"):
        result = holdout_metrics(con, month, 6, clv.ClvConfig())
        replace_partition_frame(con, "clv_holdout_metrics", month, result.metrics,
                                allow_empty=result.status != "fitted")
    return laps.result(status=result.status)


def forecasts(args: dict[str, Any]) -> dict[str, Any]:
    """forecast_revenue_history (SQL) + forecast_all (statsforecast), as the forecasting asset does."""
    from rfm_assets.core import forecasting
    from rfm_assets.core.months import month_end
    from rfm_assets.core.sqlfiles import load_sql
    from rfm_assets.core.warehouse import replace_partition

    month, laps = _month(args), Laps()
    with _connect(args, laps) as con:
        with laps("history"):
            replace_partition(con, "forecast_revenue_history", month, load_sql("forecast_revenue_history"),
                              {"month": month})
            daily = con.execute("select series, ds, revenue as y from forecast_revenue_history "
                                "where snapshot_month = ? and series <> 'company_customers' order by series, ds",
                                [month]).df()
        with laps("forecast_all"):
            result = forecasting.forecast_all(daily, month_end(month))
    return laps.result(series=len(result.skill))


def dormant(args: dict[str, Any]) -> dict[str, Any]:
    """dormant_features (SQL) + run_dormant (model selection out of time, refit, scoring)."""
    from rfm_assets.core import dormant as core
    from rfm_assets.core.sqlfiles import load_sql
    from rfm_assets.core.warehouse import replace_partition

    month, laps = _month(args), Laps()
    first = date.fromisoformat(args["first_month"])
    with _connect(args, laps) as con:
        with laps("features"):
            replace_partition(con, "dormant_features", month, load_sql("dormant_features"), {"anchor_month": month},
                              allow_empty=True)
        with laps("run_dormant"):
            result = core.run_dormant(con, month, first_month=first)
    return laps.result(status=result.status, targets=len(result.targets))


def prefix_core(args: dict[str, Any]) -> dict[str, Any]:
    """Months first..last built quickly, without Dagster or checks: only the tables a later month
    reads (ingestion every month, CLV every month as its asset writes it, RFM of the last month).

    For the smoke test, where ``rfm-assets run``'s fixed per-month cost (checks, plots, Dagster)
    would dominate; the benchmark proper builds the prefix with ``rfm-assets run``.
    """
    import pandas as pd

    from rfm_assets.core import clv, ingest, rfm
    from rfm_assets.core.months import month_end, months_between
    from rfm_assets.core.sources import SourceSpec, stage_source
    from rfm_assets.core.warehouse import replace_partition_frame

    staged = stage_source(SourceSpec(path=Path(args["csv"]), format="online_retail"), Path(args["staging_dir"]))
    months = months_between(date.fromisoformat(args["first_month"]), date.fromisoformat(args["last"]))
    segments, laps = rfm.segment_map(rfm.load_segment_rules()), Laps()
    with _connect(args, laps) as con, laps("prefix"):
        for month in months:
            ingest.build_raw_orders(con, month, staged.parquet_path, staged.loaded_at)
            ingest.build_cleaned_transactions(con, month)
            ingest.build_customer_returns(con, month)
            summary = clv.clv_summary(con, month_end(month))
            fit = clv.fit_clv(summary)
            if fit.status == "failed":
                raise RuntimeError(f"CLV fit failed for {month}: {fit.message}")
            scores = clv.score_customers(fit, summary) if fit.status == "fitted" else pd.DataFrame(
                {c: pd.Series(dtype=summary[c].dtype) for c in ["customer_id", *clv.PATTERN, "monetary_value"]})
            scores.insert(0, "snapshot_month", pd.Series([month] * len(scores), dtype="datetime64[s]"))
            replace_partition_frame(con, "customer_lifetime_value", month, scores, allow_empty=fit.status != "fitted")
        rfm.build_rfm_snapshot(con, months[-1], args.get("window_months", 12), segments)
    return laps.result(months=len(months))


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
