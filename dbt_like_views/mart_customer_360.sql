-- mart_customer_360: every customer of the month's RFM snapshot with segment, cluster, lifetime
-- value (p_alive, expected purchases, 12-month CLV) and, when dormant, the reactivation score.
-- One row per customer and snapshot_month; the view mart_customer_360 keeps the newest complete
-- month, mart_customer_360_history every month.
-- Joins use ON (not USING): the dependencies are read with duckdb.get_table_names, which binds USING.
-- customer_id is cast to text where a table may still hold only months written empty (their
-- placeholder column types are replaced when the first non-empty month is written).
with snapshots as (
    select
        snapshot_month, customer_id, rfm_segment, rfm_cell, r_score, f_score, m_score,
        recency_days, frequency, monetary, avg_order_value, returned_value, tenure_days,
        first_purchase_date, last_purchase_date
    from rfm_snapshots
),

clusters as (
    select snapshot_month, customer_id, cluster_id, cluster_name
    from customer_clusters
),

lifetime_value as (
    select snapshot_month, customer_id::varchar as customer_id, p_alive, expected_purchases_12m, clv_12m
    from customer_lifetime_value
),

dormant as (
    select
        snapshot_month, customer_id::varchar as customer_id, probability, expected_revenue,
        rank as target_rank,
        persona, suggested_action, selected
    from dormant_targets
),

final as (
    select
        s.snapshot_month,
        s.customer_id,
        s.rfm_segment,
        s.rfm_cell,
        s.r_score,
        s.f_score,
        s.m_score,
        s.recency_days,
        s.frequency,
        s.monetary,
        s.avg_order_value,
        s.returned_value,
        s.tenure_days,
        s.first_purchase_date,
        s.last_purchase_date,
        c.cluster_id,
        c.cluster_name,
        v.p_alive,
        v.expected_purchases_12m,
        v.clv_12m,
        d.customer_id is not null as is_dormant,
        d.probability as dormant_probability,
        d.expected_revenue as dormant_expected_revenue,
        d.target_rank as dormant_rank,
        d.persona as dormant_persona,
        d.suggested_action as dormant_action,
        coalesce(d.selected, false) as in_campaign
    from snapshots as s
    left join clusters as c
        on c.snapshot_month = s.snapshot_month and c.customer_id = s.customer_id
    left join lifetime_value as v
        on v.snapshot_month = s.snapshot_month and v.customer_id = s.customer_id
    left join dormant as d
        on d.snapshot_month = s.snapshot_month and d.customer_id = s.customer_id
)

select * from final
