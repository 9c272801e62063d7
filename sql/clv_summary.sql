-- clv_summary: the BG/NBD + Gamma-Gamma inputs of every customer as of $as_of_date, from the
-- customer's FULL purchase history up to that day (no trailing window: the models need tenure).
--
-- Conventions (lifetimes' summary_data_from_transaction_data with freq='D', then / $time_unit_days):
--   a purchase is a distinct purchase DAY (order_date); its value is the sum of that day's line_revenue;
--   frequency      = purchase days after the first one (repeat purchases);
--   recency        = (last purchase day - first purchase day) / $time_unit_days   (0 when frequency = 0);
--   T              = ($as_of_date - first purchase day) / $time_unit_days;
--   monetary_value = mean value of the repeat purchase days, the first day excluded (0 when frequency = 0).
-- recency and T are floats in units of $time_unit_days days (7 = weeks). Guest sales (null customer_id)
-- and every line after $as_of_date are ignored.
-- parameters: $as_of_date, $time_unit_days
with params as (
    select
        $as_of_date::date as as_of_date,
        $time_unit_days::double as time_unit_days
),

history as (
    select t.customer_id, t.order_date, t.line_revenue
    from cleaned_transactions as t
    where t.customer_id is not null
      and t.snapshot_month <= date_trunc('month', (select as_of_date from params))::date
      and t.order_date <= (select as_of_date from params)
),

purchase_days as (
    select customer_id, order_date, sum(line_revenue::decimal(38, 6)) as day_value
    from history
    group by customer_id, order_date
),

first_purchase as (
    select customer_id, min(order_date) as first_purchase_date
    from purchase_days
    group by customer_id
),

per_customer as (
    select
        d.customer_id,
        f.first_purchase_date,
        max(d.order_date) as last_purchase_date,
        count(*) - 1 as frequency,
        avg(d.day_value) filter (where d.order_date > f.first_purchase_date) as repeat_day_value
    from purchase_days as d
    join first_purchase as f using (customer_id)
    group by d.customer_id, f.first_purchase_date
),

final as (
    select
        c.customer_id,
        c.frequency::bigint as frequency,
        datediff('day', c.first_purchase_date, c.last_purchase_date) / p.time_unit_days as recency,
        -- lifetimes names this column T, upper case: the quotes keep it
        datediff('day', c.first_purchase_date, p.as_of_date) / p.time_unit_days as "T",  -- noqa: RF06
        coalesce(c.repeat_day_value, 0)::double as monetary_value,
        c.first_purchase_date,
        c.last_purchase_date
    from per_customer as c
    cross join params as p
)

select * from final
order by customer_id
