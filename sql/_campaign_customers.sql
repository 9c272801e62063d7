-- _campaign_customers: the selected customers of the campaign of $campaign_month (C), their group,
-- persona and model probability (dormant_targets of C), and what they did in the outcome window
-- C+1..C+3 (the window of sql/dormant_labels.sql): reactivated = at least one order, revenue = its
-- line revenue. Nothing after the last day of C+3 is read. parameters: $campaign_month
with params as (
    select
        $campaign_month::date as campaign_month,
        ($campaign_month::date + interval 1 month)::date as outcome_start,
        ($campaign_month::date + interval 4 month - interval 1 day)::date as outcome_end
),

targets as (
    select d.customer_id::varchar as customer_id, d.persona, d.probability, d.campaign_group
    from dormant_targets as d
    where d.snapshot_month = (select campaign_month from params)
      and d.campaign_group is not null
),

outcome as (
    select t.customer_id, sum(t.line_revenue::decimal(38, 6))::double as revenue
    from cleaned_transactions as t
    where t.customer_id is not null
      and t.snapshot_month between (select outcome_start from params)
                               and date_trunc('month', (select outcome_end from params))::date
      and t.order_date between (select outcome_start from params) and (select outcome_end from params)
    group by t.customer_id
),

final as (
    select
        g.customer_id,
        g.persona,
        g.probability,
        g.campaign_group,
        o.customer_id is not null as reactivated,
        coalesce(o.revenue, 0)::double as revenue
    from targets as g
    left join outcome as o on o.customer_id = g.customer_id
)

select * from final
order by customer_id
