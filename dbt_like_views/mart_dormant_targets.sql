-- mart_dormant_targets: the month's win-back list (every dormant customer, ranked), with the
-- customer's RFM segment and cluster and the chosen model's out-of-time scores, for the campaign
-- team's BI and e-mail tools. in_campaign = true: picked by the campaign rule; of them campaign_group
-- 'treatment' is contacted and 'control' is the random hold-out (never contacted).
-- customer_id is cast to text where a table may still hold only months written empty (their
-- placeholder column types are replaced when the first non-empty month is written).
with targets as (
    select
        snapshot_month, customer_id::varchar as customer_id, country, frequency, monetary, probability,
        expected_revenue,
        expected_profit, rank as target_rank, persona, suggested_action, selected, campaign_group
    from dormant_targets
),

profiles as (  -- customer_clusters has one row per customer of rfm_snapshots
    select s.snapshot_month, s.customer_id, s.rfm_segment, s.recency_days, c.cluster_name
    from rfm_snapshots as s
    left join customer_clusters as c
        on c.snapshot_month = s.snapshot_month and c.customer_id = s.customer_id
),

chosen_model as (
    select snapshot_month, model, evaluation_anchor, auc, precision_at_k, lift_vs_random, lift_vs_heuristic
    from dormant_model_metrics
    where chosen
),

final as (
    select
        t.snapshot_month,
        t.target_rank,
        t.customer_id,
        t.country,
        t.persona,
        t.suggested_action,
        t.selected as in_campaign,
        t.campaign_group,
        t.probability,
        t.expected_revenue,
        t.expected_profit,
        t.frequency,
        t.monetary,
        p.recency_days,
        p.rfm_segment,
        p.cluster_name,
        m.model,
        m.evaluation_anchor,
        m.auc,
        m.precision_at_k,
        m.lift_vs_random,
        m.lift_vs_heuristic
    from targets as t
    left join profiles as p
        on p.snapshot_month = t.snapshot_month and p.customer_id = t.customer_id
    left join chosen_model as m
        on m.snapshot_month = t.snapshot_month
)

select * from final
