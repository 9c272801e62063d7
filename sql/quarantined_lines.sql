-- quarantined_lines: the source lines held back at staging for the month, each with its reason, so
-- nothing is dropped silently. Reasons and thresholds: rfm_assets/core/sources/quarantine.py.
-- parameters: $month (first day of the month), $rejects_path (the staged rejects parquet), $loaded_at
with rejects as (
    select * from read_parquet($rejects_path)
),

in_month as (
    select *
    from rejects
    where report_month = $month::date
),

final as (
    select
        $month::date as snapshot_month,
        source_file,
        source_row,
        reason,
        offending_values,
        -- include: _source_line_columns
        $loaded_at::timestamp as loaded_at
    from in_month
)

select * from final
