"""Point-in-time guards and partition mappings shared by the analytic assets."""

import warnings
from datetime import date

import dagster as dg
import duckdb

from rfm_assets.core.months import month_start, months_between
from rfm_assets.core.rfm import missing_months
from rfm_assets.partitions import MONTHLY


def all_history_offset(partitions: dg.TimeWindowPartitionsDefinition, live_margin_months: int = 120) -> int:
    """The start offset of "every month up to this one": as many months as the partitions hold, plus
    ``live_margin_months`` when they have no fixed end (a live shop's code location may stay loaded
    while months are added).

    Dagster walks a time-window mapping's offset one window at a time, for every input of every step
    (data versions, run planning): the 1,200 months used before cost about 2 s of CPU a month on the
    default data for nothing.
    """
    margin = live_margin_months if partitions.end is None else 0
    return -(len(partitions.get_partition_keys()) + margin)


with warnings.catch_warnings():  # allow_nonexistent_upstream_partitions is beta: say it once, here
    warnings.simplefilter("ignore", dg.BetaWarning)
    # "Every month up to this one": a window longer than any month of the partitions can reach back.
    ALL_HISTORY = dg.TimeWindowPartitionMapping(
        start_offset=all_history_offset(MONTHLY), end_offset=0, allow_nonexistent_upstream_partitions=True
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
