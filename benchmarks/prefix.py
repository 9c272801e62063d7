"""Months 1..M-1 of a benchmark dataset built quickly with the core functions (``--prefix core``).

Only the tables month M reads, by the assets' own build functions, in one process; the dormant
model's state is left as a backfill leaves it. The benchmark proper builds the prefix with
``rfm-assets run`` (``--prefix run``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from benchmarks.project import _connect, _params, _staged
from benchmarks.timing import Laps


def prefix_core(args: dict[str, Any]) -> dict[str, Any]:
    """Months first..last built quickly, without Dagster or checks: only the tables a later month
    reads (ingestion, CLV, RFM, clusters and forecasts every month: each month's cluster series and
    calibrated intervals read every earlier month's clusters and forecasts), by the assets' own build
    functions.

    The dormant model's state is left as a backfill leaves it (``_dormant_state``: the anchors known
    by the last month, the fits of three months before the measured one), so the measured month
    computes only its new anchor and fits, as the monthly run after a backfill does.

    For the smoke test, where ``rfm-assets run``'s fixed per-month cost (checks, plots, Dagster)
    would dominate; the benchmark proper builds the prefix with ``rfm-assets run``.
    """
    from rfm_assets.assets.configs import cluster_config, clv_config, rfm_config
    from rfm_assets.core.builds import behaviour, ingestion
    from rfm_assets.core.builds.forecasts import build_revenue_forecasts
    from rfm_assets.core.builds.lifetime_value import build_clv_models
    from rfm_assets.core.builds.segments import build_customer_clusters
    from rfm_assets.core.forecasting import ForecastConfig
    from rfm_assets.core.months import months_between

    staged, params = _staged(args), _params()
    months = months_between(date.fromisoformat(args["first_month"]), date.fromisoformat(args["last"]))
    laps = Laps()
    with _connect(args, laps) as con, laps("prefix"):
        for month in months:
            ingestion.build_raw_orders(con, month, staged)
            ingestion.build_cleaned_transactions(con, month)
            ingestion.build_customer_returns(con, month)
            build_clv_models(con, month, clv_config(params))
            behaviour.build_rfm_snapshots(con, month, rfm_config(params))
            build_customer_clusters(con, month, cluster_config(params))
            build_revenue_forecasts(con, month, ForecastConfig())
        _dormant_state(con, months[0], months[-1])
    return laps.result(months=len(months))


def _dormant_state(con: Any, first: date, last: date) -> int:
    """What the monthly runs of a backfill through ``last`` leave for the dormant model of the month
    after: every anchor whose outcome is known by ``last`` (dormant_anchor_panel), and the fits of the
    month that month's selection reuses, ``last - 2`` (_dormant_fits). Returns the anchors stored."""
    from rfm_assets.core.dormant import run_dormant
    from rfm_assets.core.dormant_anchors import anchor_panel
    from rfm_assets.core.dormant_plan import known_outcome_anchors
    from rfm_assets.core.months import add_months

    anchors = known_outcome_anchors(first, last)
    anchor_panel(con, anchors, with_clv=False)
    if add_months(last, -2) >= first:
        run_dormant(con, add_months(last, -2), first_month=first)
    return len(anchors)


def prefix_dormant(args: dict[str, Any]) -> dict[str, Any]:
    """The dormant state (anchors, fits) of a core prefix built before prefix_core stored it."""
    laps = Laps()
    with _connect(args, laps) as con, laps("dormant_state"):
        n = _dormant_state(con, date.fromisoformat(args["first_month"]), date.fromisoformat(args["last"]))
    return laps.result(anchors=n)
