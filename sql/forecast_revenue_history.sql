-- Daily revenue per forecast series as of $month (point in time: lines up to the month's end only).
-- Cluster series: each customer's revenue under the cluster they are in as of $month (customer_clusters),
-- over all months up to $month. 'company': every line, guest sales included. 'company_customers': the
-- lines with a customer id (the customer part of company revenue; not forecast, kept to reconcile).
-- Sums are taken as decimal so reruns are bit-identical whatever DuckDB's thread order.
with lines as (
    select customer_id, order_date as ds, line_revenue::decimal(38, 6) as revenue
    from cleaned_transactions
    where snapshot_month <= $month::date
),

clusters as (
    select customer_id, cluster_name
    from customer_clusters
    where snapshot_month = $month::date
),

by_cluster as (
    select c.cluster_name as series, l.ds, sum(l.revenue) as revenue
    from lines as l
    inner join clusters as c using (customer_id)
    group by c.cluster_name, l.ds
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
