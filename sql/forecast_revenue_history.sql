-- Daily revenue per forecast series as of $month (point in time: lines up to the month's end only).
-- Cluster series, without hindsight: a line of month m counts for the cluster its customer was in at
-- the end of month m-1 (customer_clusters of m-1: decided before the month began). Customers with no
-- cluster then (a first purchase, or back after more than the RFM window) form 'New or returning'.
-- So the cluster series add up to the customer revenue on every day, and no month of any series
-- depends on a clustering made after it. 'company': every line, guest sales included.
-- 'company_customers': the lines with a customer id (not forecast, kept to reconcile).
-- Sums are taken as decimal so reruns are bit-identical whatever DuckDB's thread order.
with lines as (
    select
        customer_id,
        order_date as ds,
        date_trunc('month', order_date)::date as line_month,
        line_revenue::decimal(38, 6) as revenue
    from cleaned_transactions
    where snapshot_month <= $month::date
),

entering as (
    select customer_id, (snapshot_month + interval 1 month)::date as line_month, cluster_name
    from customer_clusters
    where snapshot_month < $month::date
),

by_cluster as (
    select coalesce(e.cluster_name, 'New or returning') as series, l.ds, sum(l.revenue) as revenue
    from lines as l
    left join entering as e
        on l.customer_id = e.customer_id and l.line_month = e.line_month
    where l.customer_id is not null
    group by coalesce(e.cluster_name, 'New or returning'), l.ds
),

company as (
    select 'company' as series, ds, sum(revenue) as revenue
    from lines
    group by ds
),

company_customers as (
    select 'company_customers' as series, ds, sum(revenue) as revenue
    from lines
    where customer_id is not null
    group by ds
),

final as (
    select series, ds, revenue::double as revenue from by_cluster
    union all
    select series, ds, revenue::double from company
    union all
    select series, ds, revenue::double from company_customers
)

select $month::date as snapshot_month, series, ds, revenue
from final
order by series, ds
