-- raw_orders: the month's source lines as they came (typed by the staging step), nothing removed.
-- The staged file already leaves out the lines quarantined at staging (see quarantined_lines.sql).
-- parameters: $month (first day of the month), $staged_path (normalised parquet), $loaded_at
with source as (
    select * from read_parquet($staged_path)
),

in_month as (
    select *
    from source
    where invoice_date >= $month::timestamp
      and invoice_date < ($month::date + interval 1 month)
),

final as (
    select
        $month::date as snapshot_month,
        -- include: _source_line_columns
        source_file,
        source_row,
        $loaded_at::timestamp as loaded_at
    from in_month
)

select * from final
