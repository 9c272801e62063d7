"""The floor: what bare DuckDB needs for the same work, written by hand as one statement each.

- ``bare_read``: the month's lines read from the staged Parquet file into an in-memory table
  (no typing checks, no transaction, no ledger): what any monthly ingestion must at least pay.
- ``rfm_query``: the month's whole ``rfm_snapshots`` table (same columns, same rules, same
  decimal sums) in ONE query with a single pass of conditional aggregates over the customers'
  cleaned lines, written to a plain table. The report checks it equals the project's table.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from benchmarks.project import settle
from benchmarks.timing import Laps
from rfm_assets.core.rows import scalar

FLOOR_TABLE = "bench_floor_rfm"

RFM_FLOOR_SQL = f"""
create or replace table {FLOOR_TABLE} as
with per_customer as (
    select
        customer_id,
        min(order_date) as first_purchase_date,
        max(order_date) filter (where snapshot_month >= $window_start) as last_purchase_date,
        count(distinct order_id) filter (where snapshot_month >= $window_start) as frequency,
        sum(line_revenue::decimal(38, 6)) filter (where snapshot_month >= $window_start)::double as monetary
    from cleaned_transactions
    where customer_id is not null and snapshot_month <= $month
    group by customer_id
    having count(*) filter (where snapshot_month >= $window_start) > 0
),
returns as (
    select customer_id, sum(returned_value::decimal(38, 6))::double as returned_value
    from customer_returns
    where snapshot_month between $window_start and $month
    group by customer_id
),
measured as (
    select
        c.*,
        datediff('day', c.last_purchase_date, $as_of) as recency_days,
        datediff('day', c.first_purchase_date, $as_of) as tenure_days,
        coalesce(r.returned_value, 0) as returned_value
    from per_customer as c
    left join returns as r using (customer_id)
),
scored as (
    select
        *,
        least(5, 1 + floor(5 * (rank() over (order by recency_days desc) - 1) / count(*) over ()))::tinyint as r_score,
        least(5, 1 + floor(5 * (rank() over (order by frequency) - 1) / count(*) over ()))::tinyint as f_score,
        least(5, 1 + floor(5 * (rank() over (order by monetary) - 1) / count(*) over ()))::tinyint as m_score
    from measured
)
select
    $month as snapshot_month, s.customer_id, s.recency_days, s.frequency, s.monetary, s.tenure_days,
    s.monetary / s.frequency as avg_order_value, s.returned_value, s.r_score, s.f_score, s.m_score,
    floor((s.f_score + s.m_score) / 2 + 0.5)::tinyint as fm_score,
    s.r_score::varchar || s.f_score::varchar || s.m_score::varchar as rfm_cell,
    m.rfm_segment, s.first_purchase_date, s.last_purchase_date, $window_start as window_start_month
from scored as s
left join segment_map as m using (r_score, f_score, m_score)
"""


def bare_read(args: dict[str, Any]) -> dict[str, Any]:
    """The month's lines from the staged Parquet into an in-memory DuckDB table."""
    import duckdb

    from rfm_assets.core.months import add_months
    from rfm_assets.core.sources import SourceSpec, stage_source

    staged = stage_source(SourceSpec(path=Path(args["csv"]), format="online_retail"), Path(args["staging_dir"]))
    month = date.fromisoformat(args["month"])
    laps, con = Laps(), duckdb.connect()
    with laps("read"):
        con.execute(
            "create table month_lines as select * from read_parquet(?) "
            "where invoice_date >= ?::timestamp and invoice_date < ?::timestamp",
            [str(staged.parquet_path), month, add_months(month, 1)],
        )
    rows = scalar(con, "select count(*) from month_lines")
    return laps.result(rows=int(rows))


def rfm_query(args: dict[str, Any]) -> dict[str, Any]:
    """The hand-written one-query RFM table, written to ``bench_floor_rfm`` in the warehouse."""
    import duckdb

    from rfm_assets.core import rfm
    from rfm_assets.core.months import add_months, month_end

    month = date.fromisoformat(args["month"])
    window = args.get("window_months", 12)
    params = {"month": month, "as_of": month_end(month), "window_start": add_months(month, -(window - 1))}
    segments = rfm.segment_map(rfm.load_segment_rules()).to_arrow()
    laps = Laps()
    with laps("open"):  # timed like the project's pieces: opening, and the checkpoint on close
        con = duckdb.connect(args["warehouse"])
    con.register("segment_map", segments)
    with laps("rfm_query"):
        con.execute(RFM_FLOOR_SQL, params)
    rows = scalar(con, f"select count(*) from {FLOOR_TABLE}")
    with laps("close"):
        con.close()
    with laps("deferred_checkpoint"):  # as the project's pieces pay it (benchmarks.project.settle)
        settle(args["warehouse"])
    return laps.result(rows=int(rows))
