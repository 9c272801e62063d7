"""Point-in-time guards and partition mappings shared by the analytic assets."""

import warnings
from datetime import date

import dagster as dg
import duckdb

from rfm_assets.core.months import month_start, months_between
from rfm_assets.core.rfm import missing_months
from rfm_assets.partitions import MONTHLY

with warnings.catch_warnings():  # allow_nonexistent_upstream_partitions is beta: say it once, here
    warnings.simplefilter("ignore", dg.BetaWarning)
    # "Every month up to this one": a window far longer than any history, clipped to the partitions.
    ALL_HISTORY = dg.TimeWindowPartitionMapping(
        start_offset=-1200, end_offset=0, allow_nonexistent_upstream_partitions=True
    )
    PREVIOUS_AND_THIS = dg.TimeWindowPartitionMapping(
        start_offset=-1, end_offset=0, allow_nonexistent_upstream_partitions=True
    )


def first_month() -> date:
    first = MONTHLY.get_first_partition_key()
    if first is None:  # a time window partitioning always has a first month; say so if not
        raise RuntimeError("the monthly partitions have no first month")
    return month_start(first)


def require_history(con: duckdb.DuckDBPyConnection, table: str, month: date, *, since: date | None = None) -> None:
    """Fail clearly unless ``table`` holds every month from ``since`` (default: the first partition) to ``month``.

    This is what makes results independent of backfill order: a snapshot is never computed from a
    history with holes in it.
    """
    wanted = months_between(max(since or first_month(), first_month()), month)
    missing = missing_months(con, table, wanted)
    if missing:
        shown = ", ".join(f"{m:%Y-%m}" for m in missing[:6]) + (" ..." if len(missing) > 6 else "")
        raise dg.Failure(
            description=f"{table} is missing {len(missing)} month(s) needed for {month:%Y-%m}: {shown}. "
            f"Materialize {table} for those months first (or run `rfm-assets run`).",
            allow_retries=False,
        )
