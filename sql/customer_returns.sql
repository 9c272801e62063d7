-- customer_returns: what each customer sent back or had cancelled in the month, so returns are a
-- measure of their own rather than lost when cleaning drops the cancellation lines.
-- parameters: $month
with source as (
    select * from raw_orders where snapshot_month = $month::date
),

cancellations as (
    select
        customer_id,
        invoice,
        abs(coalesce(amount, quantity * unit_price)) as returned_value
    from source
    where customer_id is not null
      and (
          upper(invoice) like 'C%'
          -- sources without invoice numbers mark returns by a negative line
          or (invoice is null and coalesce(amount, quantity * unit_price) < 0)
      )
),

final as (
    select
        $month::date as snapshot_month,
        customer_id,
        count(distinct invoice) as return_invoices,
        count(*) as returned_lines,
        sum(returned_value::decimal(38, 6))::double as returned_value
    from cancellations
    group by customer_id
)

select * from final
