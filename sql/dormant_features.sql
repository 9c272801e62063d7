-- dormant_features: the dormant target group of anchor month $anchor_month (A) with features as of
-- the last day of A, for the repurchase model (rfm_assets/core/dormant.py).
--
-- Target group: customers with an order in the base window (the 3 months A-5..A-3) and none in the
-- dormant window (A-2..A). Earlier history is allowed and feeds the features.
-- No leakage, by construction: the only rows read are cleaned_transactions lines with
-- order_date <= last day of A (and snapshot_month <= A). The labels (A+1..A+3) live in the separate
-- query sql/dormant_labels.sql and are never joined here.
-- Trend: revenue of the customer's last 3 active months (months with an order) as a share of all
-- revenue, and the least-squares slope of revenue per active month over the month index.
-- Country: the country of most of the customer's orders (ties: alphabetically first).
-- parameters: $anchor_month (a first-of-month DATE)
with params as (
    select
        $anchor_month::date as anchor_month,
        ($anchor_month::date + interval 1 month - interval 1 day)::date as as_of_date,
        ($anchor_month::date - interval 5 month)::date as base_start,
        ($anchor_month::date - interval 2 month)::date as dormant_start
),

-- include: _dormant_target_group

lines as (
    select h.*
    from history as h
    join target_group using (customer_id)
),

orders as (
    select
        customer_id,
        order_id,
        min(order_date) as order_date,
        sum(line_revenue::decimal(38, 6)) as revenue,  -- exact sums: bit-identical reruns
        count(*) as n_lines,
        sum(quantity) as units
    from lines
    group by customer_id, order_id
),

monthly as (
    select
        customer_id,
        date_trunc('month', order_date)::date as month,
        sum(revenue) as revenue,
        datediff('month', (select base_start from params), date_trunc('month', order_date)::date) as x,
        row_number() over (partition by customer_id order by date_trunc('month', order_date) desc)
            as month_rank
    from orders
    group by customer_id, date_trunc('month', order_date)
),

trend as (
    select
        customer_id,
        count(*) as active_months,
        (sum(revenue) filter (where month_rank <= 3))::double as revenue_last3_active,
        -- regr_slope written out over exact sums (regr_slope's float state depends on thread order)
        (count(*) * sum(x * revenue) - sum(x) * sum(revenue))::double
            / nullif(count(*) * sum(x * x) - sum(x) * sum(x), 0) as revenue_slope
    from monthly
    group by customer_id
),

country_orders as (
    select
        customer_id,
        country,
        row_number() over (partition by customer_id order by count(distinct order_id) desc, country) as pick
    from lines
    where country is not null
    group by customer_id, country
),

per_customer as (
    select
        o.customer_id,
        count(*) as frequency,
        sum(o.revenue)::double as monetary,
        sum(o.n_lines) as n_lines,
        sum(o.units) as units,
        min(o.order_date) as first_purchase_date,
        max(o.order_date) as last_purchase_date,
        count(*) filter (where o.order_date >= (select base_start from params)) as base_orders,
        coalesce(sum(o.revenue) filter (where o.order_date >= (select base_start from params)), 0)::double
            as base_revenue
    from orders as o
    group by o.customer_id
),

products as (
    select customer_id, count(distinct stock_code) as distinct_products
    from lines
    group by customer_id
),

final as (
    select
        p.anchor_month as snapshot_month,
        c.customer_id,
        coalesce(co.country, 'Unknown') as country,
        datediff('day', c.last_purchase_date, p.as_of_date) as recency_days,
        c.frequency,
        c.monetary,
        datediff('day', c.first_purchase_date, p.as_of_date) as tenure_days,
        c.monetary / c.frequency as avg_order_value,
        c.n_lines / c.frequency as lines_per_order,
        c.units / c.frequency as units_per_order,
        pr.distinct_products,
        c.base_orders,
        c.base_revenue,
        t.active_months,
        t.revenue_last3_active,
        case when c.monetary > 0 then t.revenue_last3_active / c.monetary else 1.0 end
            as recent_revenue_share,
        case when t.active_months > 1 then t.revenue_slope else 0.0 end as revenue_slope,
        c.first_purchase_date,
        c.last_purchase_date
    from per_customer as c
    cross join params as p
    join trend as t using (customer_id)
    join products as pr using (customer_id)
    left join country_orders as co on co.customer_id = c.customer_id and co.pick = 1
)

select * from final
order by customer_id
