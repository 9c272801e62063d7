-- _dormant_target_group: the dormant target group of anchor month A, defined once for
-- sql/dormant_features.sql and sql/dormant_labels.sql (each includes it by name
-- in its CTE list, after a `params` CTE with anchor_month, as_of_date = last day of A,
-- base_start = A-5 and dormant_start = A-2).
-- history: the purchase lines of customers up to the last day of A (nothing later is read);
-- target_group: customers whose last order falls in the base window A-5..A-3.
history as (
    select
        t.customer_id, t.order_id, t.order_date, t.stock_code, t.quantity, t.line_revenue, t.country
    from cleaned_transactions as t
    where t.customer_id is not null
      and t.snapshot_month <= (select anchor_month from params)
      and t.order_date <= (select as_of_date from params)
),

target_group as (
    -- last order in the base window <=> an order in A-5..A-3 and none in A-2..A (history ends with A)
    select customer_id
    from history
    group by customer_id
    having max(order_date) >= (select base_start from params)
       and max(order_date) < (select dormant_start from params)
),
