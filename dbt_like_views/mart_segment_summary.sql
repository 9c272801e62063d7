-- mart_segment_summary: size, value and movement of every RFM segment in the month.
-- Movement comes from segment_migration: customers in the segment this month either stayed in it,
-- moved in from another segment, are new (first purchase this month) or returned after a gap.
with snapshots as (
    select snapshot_month, rfm_segment, recency_days, frequency, monetary
    from rfm_snapshots
),

sizes as (
    select
        snapshot_month,
        rfm_segment,
        count(*) as customers,
        sum(monetary) as revenue,
        avg(recency_days) as mean_recency_days,
        avg(frequency) as mean_frequency,
        avg(monetary) as mean_monetary
    from snapshots
    group by snapshot_month, rfm_segment
),

moves_in as (
    select
        snapshot_month,
        to_segment as rfm_segment,
        coalesce(sum(customers) filter (where from_segment = to_segment), 0) as stayed,
        coalesce(sum(customers) filter (
            where from_segment <> to_segment and from_segment not in ('(new customer)', '(returning)')
        ), 0) as moved_in,
        coalesce(sum(customers) filter (where from_segment = '(new customer)'), 0) as new_customers,
        coalesce(sum(customers) filter (where from_segment = '(returning)'), 0) as returning_customers
    from segment_migration
    group by snapshot_month, to_segment
),

moves_out as (
    select
        snapshot_month,
        from_segment as rfm_segment,
        coalesce(sum(customers) filter (
            where to_segment <> from_segment and to_segment <> '(left window)'
        ), 0) as moved_out,
        coalesce(sum(customers) filter (where to_segment = '(left window)'), 0) as left_window
    from segment_migration
    group by snapshot_month, from_segment
),

final as (
    select
        s.snapshot_month,
        s.rfm_segment,
        s.customers,
        s.customers / sum(s.customers) over (partition by s.snapshot_month) as customer_share,
        s.revenue,
        s.revenue / sum(s.revenue) over (partition by s.snapshot_month) as revenue_share,
        s.mean_recency_days,
        s.mean_frequency,
        s.mean_monetary,
        coalesce(i.stayed, 0)::bigint as stayed,
        coalesce(i.moved_in, 0)::bigint as moved_in,
        coalesce(i.new_customers, 0)::bigint as new_customers,
        coalesce(i.returning_customers, 0)::bigint as returning_customers,
        coalesce(o.moved_out, 0)::bigint as moved_out,
        coalesce(o.left_window, 0)::bigint as left_window
    from sizes as s
    left join moves_in as i
        on i.snapshot_month = s.snapshot_month and i.rfm_segment = s.rfm_segment
    left join moves_out as o
        on o.snapshot_month = s.snapshot_month and o.rfm_segment = s.rfm_segment
)

select * from final
