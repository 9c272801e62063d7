-- mart_cohort_retention_matrix: the cohort x months-since-first-purchase matrix as it was known at
-- the end of each snapshot month (long format: one row per cell, ready for a BI heatmap).
-- A cell (cohort c, age a) is the cohort_retention row of activity month c + a; the matrix of
-- snapshot month S holds every cell with activity month <= S (the triangle up to S).
with cells as (
    select
        snapshot_month as activity_month,
        cohort_month,
        months_since_first,
        cohort_size,
        active_customers,
        retention_rate,
        revenue
    from cohort_retention
),

as_of as (
    select distinct snapshot_month
    from cohort_retention
),

final as (
    select
        a.snapshot_month,
        c.cohort_month,
        c.months_since_first,
        c.activity_month,
        c.cohort_size,
        c.active_customers,
        c.retention_rate,
        c.revenue,
        c.revenue / c.cohort_size as revenue_per_customer,
        sum(c.revenue) over (
            partition by a.snapshot_month, c.cohort_month
            order by c.months_since_first
        ) / c.cohort_size as cumulative_revenue_per_customer
    from as_of as a
    inner join cells as c
        on c.activity_month <= a.snapshot_month
)

select * from final
