-- clv_repeat_days_by_month: repeat purchase days per calendar month of the history up to $as_of_date,
-- the "observed" side of the CLV seasonal index (rfm_assets/core/clv_seasonal.py).
--
-- Same conventions as clv_summary.sql: a purchase is a distinct purchase DAY of a known customer; a
-- repeat purchase day is one after the customer's first purchase day. Every line after $as_of_date is
-- ignored, so the counts of a month are final once the month is over.
-- parameters: $as_of_date
with params as (
    select $as_of_date::date as as_of_date
),

history as (
    select t.customer_id, t.order_date
    from cleaned_transactions as t
    where t.customer_id is not null
      and t.snapshot_month <= date_trunc('month', (select as_of_date from params))::date
      and t.order_date <= (select as_of_date from params)
),

purchase_days as (
    select distinct customer_id, order_date
    from history
),

first_purchase as (
    select customer_id, min(order_date) as first_purchase_date
    from purchase_days
    group by customer_id
),

final as (
    select
        date_trunc('month', d.order_date)::date as month,
        count(*) filter (where d.order_date > f.first_purchase_date)::bigint as repeat_purchase_days,
        count(*) filter (where d.order_date = f.first_purchase_date)::bigint as first_purchase_days
    from purchase_days as d
    join first_purchase as f using (customer_id)
    group by date_trunc('month', d.order_date)
)

select * from final
order by month
