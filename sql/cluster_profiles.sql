-- cluster_profiles: size and mean behaviour of each named customer cluster in $month.
-- parameters: $month
with members as (
    select * from customer_clusters where snapshot_month = $month::date
),

final as (
    select
        $month::date as snapshot_month,
        cluster_id,
        cluster_name,
        count(*) as customers,
        count(*) / sum(count(*)) over () as customer_share,
        avg(recency_days) as mean_recency_days,
        avg(frequency) as mean_frequency,
        (sum(monetary::decimal(38, 6)) / count(*))::double as mean_monetary,
        sum(monetary::decimal(38, 6))::double as revenue,
        (sum(monetary::decimal(38, 6)) / sum(sum(monetary::decimal(38, 6))) over ())::double as revenue_share
    from members
    group by cluster_id, cluster_name
)

select * from final
