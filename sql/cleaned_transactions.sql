-- cleaned_transactions: every raw line of the month, classified; the asset keeps the rows whose
-- removal_reason is null and reports the count per reason. Rules apply in this order, a line
-- takes the first that matches:
--   1. cancellation          invoice starts with 'C' (Online Retail's cancelled/returned lines)
--   2. adjustment            invoice starts with 'A' (bad-debt adjustments)
--   3. non_product_code      stock code is a postage, fee, manual or discount code (list below)
--   4. non_positive_price    unit price <= 0 (or, for amount-only sources, line amount <= 0)
--   5. non_positive_quantity quantity <= 0
--   6. duplicate_line        exact copy of an earlier line (every source column equal)
-- parameters: $month
with source as (
    select * from raw_orders where snapshot_month = $month::date
),

non_product_codes as (
    select upper(code) as code
    from (values
        ('POST'), ('DOT'), ('M'), ('D'), ('C2'), ('C3'), ('S'), ('B'), ('PADS'), ('CRUK'),
        ('BANK CHARGES'), ('AMAZONFEE'), ('ADJUST'), ('ADJUST2'), ('TEST001'), ('TEST002')
    -- a VALUES list needs a named column; sqlfluff reads the alias as unused
    ) as codes(code)  -- noqa: AL05, LT01
),

numbered as (
    select
        source.*,
        row_number() over (
            partition by invoice, stock_code, description, quantity, unit_price, amount,
                         invoice_date, customer_id, country
            order by source_file, source_row
        ) as copy_number
    from source
),

classified as (
    select
        numbered.*,
        case
            when upper(invoice) like 'C%' then 'cancellation'
            when upper(invoice) like 'A%' then 'adjustment'
            when upper(trim(stock_code)) in (select code from non_product_codes)
                 or lower(stock_code) like 'gift\_0001\_%' escape '\' then 'non_product_code'
            when unit_price <= 0 or (unit_price is null and amount <= 0) then 'non_positive_price'
            when quantity <= 0 then 'non_positive_quantity'
            when copy_number > 1 then 'duplicate_line'
        end as removal_reason
    from numbered
),

final as (
    select
        snapshot_month,
        coalesce(
            invoice,
            customer_id || '/' || strftime(invoice_date, '%Y-%m-%d'),
            'guest/' || source_file || '/' || source_row
        ) as order_id,
        invoice,
        stock_code,
        description,
        quantity,
        unit_price,
        coalesce(amount, quantity * unit_price) as line_revenue,
        invoice_date,
        cast(invoice_date as date) as order_date,
        customer_id,
        country,
        source_file,
        source_row,
        removal_reason
    from classified
)

select * from final
