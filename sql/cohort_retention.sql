-- cohort_retention: for $month, every acquisition cohort (month of the customer's first purchase
-- in the data) with its size, how many of its customers bought in $month, and their revenue.
-- Backfilled over all months this is the classic triangle: cohort x months since first purchase.
-- Only data up to the end of $month is read, so adding later months never changes a row.
-- parameters: $month
with history as (
    select customer_id, snapshot_month, line_revenue
    from cleaned_transactions
    where customer_id is not null
      and snapshot_month <= $month::date
),

first_purchase as (
    select customer_id, min(snapshot_month) as cohort_month
    from history
    group by customer_id
),

cohorts as (
    select cohort_month, count(*) as cohort_size
    from first_purchase
    group by cohort_month
),

active_this_month as (
    select customer_id, sum(line_revenue::decimal(38, 6)) as revenue
    from history
    where snapshot_month = $month::date
    group by customer_id
),

activity as (
    select
        f.cohort_month,
        count(a.customer_id) as active_customers,
        coalesce(sum(a.revenue), 0)::double as revenue
    from first_purchase as f
    left join active_this_month as a using (customer_id)
    group by f.cohort_month
),

final as (
    select
        $month::date as snapshot_month,
        c.cohort_month,
        datediff('month', c.cohort_month, $month::date)::integer as months_since_first,
        c.cohort_size,
        a.active_customers,
        a.active_customers / c.cohort_size as retention_rate,
        a.revenue
    from cohorts as c
    join activity as a using (cohort_month)
)

select * from final
