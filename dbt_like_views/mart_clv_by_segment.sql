-- mart_clv_by_segment: lifetime value per RFM segment. Every customer with a CLV score counts:
-- customers with no order in the RFM window (so no segment) form the row '(no order in window)',
-- so the segments' total_clv_12m adds up to the whole customer base's.
-- In months where the CLV model was not fitted (too little history) the CLV columns are null.
-- customer_id is cast to text where a table may still hold only months written empty (their
-- placeholder column types are replaced when the first non-empty month is written).
with snapshots as (
    select snapshot_month, customer_id, rfm_segment, monetary
    from rfm_snapshots
),

joined as (
    select
        coalesce(s.snapshot_month, v.snapshot_month) as snapshot_month,
        coalesce(s.rfm_segment, '(no order in window)') as rfm_segment,
        s.monetary,
        v.p_alive,
        v.expected_purchases_12m,
        v.clv_12m
    from snapshots as s
    full outer join customer_lifetime_value as v
        on v.snapshot_month = s.snapshot_month and v.customer_id::varchar = s.customer_id
),

by_segment as (
    select
        snapshot_month,
        rfm_segment,
        count(*) as customers,
        count(clv_12m) as customers_scored,
        coalesce(sum(monetary), 0) as window_revenue,
        avg(p_alive) as mean_p_alive,
        avg(expected_purchases_12m) as mean_expected_purchases_12m,
        avg(clv_12m) as mean_clv_12m,
        median(clv_12m) as median_clv_12m,
        sum(clv_12m) as total_clv_12m
    from joined
    group by snapshot_month, rfm_segment
),

final as (
    select
        *,
        total_clv_12m / nullif(sum(total_clv_12m) over (partition by snapshot_month), 0) as clv_share
    from by_segment
)

select * from final
