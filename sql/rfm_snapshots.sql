-- rfm_snapshots: recency, frequency and monetary value of every customer with an order in the
-- trailing window, as of the last day of $month, with 1-5 scores and a named segment.
--
-- Window: the $window_months calendar months ending with $month (fewer while the data is younger).
-- Scores: score = least(5, 1 + floor(5 * share of the month's customers with a strictly worse
-- value)). Equal values always share a score (no arbitrary splitting of the many customers with
-- frequency 1), the worst value always scores 1, and a score k means that between 20(k-1)% and
-- 20k% of customers do strictly worse. Recency is reversed: fewer days since purchase is better.
-- fm_score = round((f_score + m_score) / 2), half up; the segment comes from segment_map
-- (r_score, f_score, m_score) -> rfm_segment, registered by the caller from the rules table (the
-- sidecar's inputs: segment_map).
-- parameters: $month, $window_months
with params as (
    select
        $month::date as snapshot_month,
        ($month::date + interval 1 month - interval 1 day)::date as as_of_date,
        ($month::date - to_months($window_months::int - 1))::date as window_start
),

history as (
    select
        t.customer_id,
        t.order_id,
        t.order_date,
        t.line_revenue,
        t.snapshot_month >= (select window_start from params) as in_window
    from cleaned_transactions as t
    where t.customer_id is not null
      and t.snapshot_month <= (select snapshot_month from params)
),

-- one pass over the history: first purchase ever, and the window's R, F, M (filtered aggregates)
rfm as (
    select
        customer_id,
        min(order_date) as first_purchase_date,
        max(order_date) filter (where in_window) as last_purchase_date,
        count(distinct order_id) filter (where in_window) as frequency,
        sum(line_revenue::decimal(38, 6)) filter (where in_window)::double as monetary
    from history
    group by customer_id
    having bool_or(in_window)
),

returns_in_window as (
    select customer_id, sum(returned_value::decimal(38, 6))::double as returned_value
    from customer_returns
    where snapshot_month between (select window_start from params) and (select snapshot_month from params)
    group by customer_id
),

measured as (
    select
        p.snapshot_month,
        r.customer_id,
        datediff('day', r.last_purchase_date, p.as_of_date) as recency_days,
        r.frequency,
        r.monetary,
        datediff('day', r.first_purchase_date, p.as_of_date) as tenure_days,
        r.monetary / r.frequency as avg_order_value,
        coalesce(ret.returned_value, 0) as returned_value,
        r.first_purchase_date,
        r.last_purchase_date,
        p.window_start as window_start_month
    from rfm as r
    cross join params as p
    left join returns_in_window as ret using (customer_id)
),

scored as (
    select
        *,
        least(5, 1 + floor(5 * (rank() over (order by recency_days desc) - 1) / count(*) over ()))::tinyint
            as r_score,
        least(5, 1 + floor(5 * (rank() over (order by frequency asc) - 1) / count(*) over ()))::tinyint
            as f_score,
        least(5, 1 + floor(5 * (rank() over (order by monetary asc) - 1) / count(*) over ()))::tinyint
            as m_score
    from measured
),

final as (
    select
        s.snapshot_month,
        s.customer_id,
        s.recency_days,
        s.frequency,
        s.monetary,
        s.tenure_days,
        s.avg_order_value,
        s.returned_value,
        s.r_score,
        s.f_score,
        s.m_score,
        floor((s.f_score + s.m_score) / 2 + 0.5)::tinyint as fm_score,
        s.r_score::varchar || s.f_score::varchar || s.m_score::varchar as rfm_cell,
        m.rfm_segment,
        s.first_purchase_date,
        s.last_purchase_date,
        s.window_start_month
    from scored as s
    left join segment_map as m
        on m.r_score = s.r_score and m.f_score = s.f_score and m.m_score = s.m_score
)

select * from final
