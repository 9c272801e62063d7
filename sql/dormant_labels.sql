-- dormant_labels: the outcome of anchor month $anchor_month (A) for its dormant target group: did
-- the customer order again in the 3 months A+1..A+3, and how much did they spend there.
--
-- The target group is sql/_dormant_target_group.sql, shared with sql/dormant_features.sql (last
-- order in the base window A-5..A-3, read from lines with order_date <= last day of A). Outcome lines
-- are those with order_date in A+1..A+3; nothing later is read. The labels are only complete once
-- A+3 has been loaded: the caller (known_outcome_anchors) asks for them only then.
-- parameters: $anchor_month (a first-of-month DATE)
with params as (
    select
        $anchor_month::date as anchor_month,
        ($anchor_month::date + interval 1 month - interval 1 day)::date as as_of_date,
        ($anchor_month::date - interval 5 month)::date as base_start,
        ($anchor_month::date - interval 2 month)::date as dormant_start,
        ($anchor_month::date + interval 1 month)::date as outcome_start,
        ($anchor_month::date + interval 4 month - interval 1 day)::date as outcome_end
),

-- include: _dormant_target_group

outcome_lines as (
    select t.customer_id, t.order_id, t.line_revenue
    from cleaned_transactions as t
    where t.customer_id is not null
      and t.snapshot_month between (select outcome_start from params)
                               and date_trunc('month', (select outcome_end from params))::date
      and t.order_date between (select outcome_start from params) and (select outcome_end from params)
),

outcome as (
    select
        customer_id,
        count(distinct order_id) as future_orders,
        sum(line_revenue::decimal(38, 6))::double as future_revenue
    from outcome_lines
    group by customer_id
),

final as (
    select
        p.anchor_month as snapshot_month,
        g.customer_id,
        coalesce(o.future_orders, 0) > 0 as bought_again,
        coalesce(o.future_revenue, 0.0) as future_revenue,
        coalesce(o.future_orders, 0) as future_orders
    from target_group as g
    cross join params as p
    left join outcome as o using (customer_id)
)

select * from final
order by customer_id
