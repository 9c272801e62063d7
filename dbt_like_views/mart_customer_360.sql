-- mart_customer_360: every customer of the month's RFM snapshot with segment, cluster, lifetime
-- value (p_alive, expected purchases, 12-month CLV, expected next order), when dormant the reactivation
-- score and campaign group, and for the campaign of M-3 (outcome window M-2..M complete) the customer's
-- group and whether they ordered in the window (last purchase on or after the first day of M-2).
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
    select
        snapshot_month, customer_id::varchar as customer_id, p_alive, expected_purchases_12m, clv_12m,
        expected_next_order_date, p_order_30d, p_order_90d
    from customer_lifetime_value
),

dormant as (
    select
        snapshot_month, customer_id::varchar as customer_id, probability, expected_revenue,
        rank as target_rank,
        persona, suggested_action, selected, campaign_group
    from dormant_targets
),

past_campaign as (
    select
        (snapshot_month + interval 3 month)::date as snapshot_month,
        snapshot_month as campaign_month,
        customer_id::varchar as customer_id,
        campaign_group
    from dormant_targets
    where campaign_group is not null
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
        v.expected_next_order_date,
        v.p_order_30d,
        v.p_order_90d,
        d.customer_id is not null as is_dormant,
        d.probability as dormant_probability,
        d.expected_revenue as dormant_expected_revenue,
        d.target_rank as dormant_rank,
        d.persona as dormant_persona,
        d.suggested_action as dormant_action,
        coalesce(d.selected, false) as in_campaign,
        d.campaign_group,
        p.campaign_month as past_campaign_month,
        p.campaign_group as past_campaign_group,
        case
            when p.customer_id is not null
                then s.last_purchase_date >= (s.snapshot_month - interval 2 month)::date
        end as past_campaign_reactivated
    from snapshots as s
    left join clusters as c
        on c.snapshot_month = s.snapshot_month and c.customer_id = s.customer_id
    left join lifetime_value as v
        on v.snapshot_month = s.snapshot_month and v.customer_id = s.customer_id
    left join dormant as d
        on d.snapshot_month = s.snapshot_month and d.customer_id = s.customer_id
    left join past_campaign as p
        on p.snapshot_month = s.snapshot_month and p.customer_id = s.customer_id
)

select * from final
