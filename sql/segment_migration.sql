-- segment_migration: how many customers moved from each segment in the previous month's snapshot
-- to each segment in $month's, including customers entering the window ('(new customer)': first
-- purchase this month; '(returning)': bought before, but not within the previous window) and
-- customers leaving it ('(left window)': no order in the window ending with $month).
-- parameters: $month, $previous_month
with current_snapshot as (
    select customer_id, rfm_segment, first_purchase_date
    from rfm_snapshots
    where snapshot_month = $month::date
),

previous_snapshot as (
    select customer_id, rfm_segment
    from rfm_snapshots
    where snapshot_month = $previous_month::date
),

moves as (
    select
        case
            when p.customer_id is not null then p.rfm_segment
            when c.first_purchase_date >= $month::date then '(new customer)'
            else '(returning)'
        end as from_segment,
        coalesce(c.rfm_segment, '(left window)') as to_segment
    from current_snapshot as c
    full outer join previous_snapshot as p using (customer_id)
),

counted as (
    select from_segment, to_segment, count(*) as customers
    from moves
    group by from_segment, to_segment
),

final as (
    select
        $month::date as snapshot_month,
        from_segment,
        to_segment,
        customers,
        customers / sum(customers) over (partition by from_segment) as share_of_from
    from counted
)

select * from final
