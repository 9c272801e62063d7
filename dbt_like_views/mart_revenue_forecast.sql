-- mart_revenue_forecast: monthly revenue per forecast series (each customer cluster, and the
-- company) as seen at the snapshot month: the actual months the forecast was fitted on, then the
-- 24 forecast months with their 80% / 95% intervals, the chosen model and its backtest skill.
-- One table for a BI line chart: filter series, plot revenue and forecast against month.
with history as (
    select snapshot_month, series, date_trunc('month', ds)::date as month, sum(revenue) as revenue
    from forecast_revenue_history
    group by snapshot_month, series, date_trunc('month', ds)::date
),

forecasts as (
    select snapshot_month, series, ds as month, model, grain, forecast, lo_80, hi_80, lo_95, hi_95
    from cluster_revenue_forecasts
),

chosen as (
    select snapshot_month, series, mase, smape, skill_vs_baseline, n_windows
    from forecast_backtest_metrics
    where chosen
),

forecast_series as (
    select distinct snapshot_month, series
    from forecasts
),

actual_rows as (
    select
        h.snapshot_month, h.series, h.month, 'actual' as kind, h.revenue,
        null::varchar as model, null::varchar as grain, null::double as forecast,
        null::double as lo_80, null::double as hi_80, null::double as lo_95, null::double as hi_95
    from history as h
    inner join forecast_series as s
        on s.snapshot_month = h.snapshot_month and s.series = h.series
),

forecast_rows as (
    select
        snapshot_month, series, month, 'forecast' as kind, null::double as revenue,
        model, grain, forecast, lo_80, hi_80, lo_95, hi_95
    from forecasts
),

unioned as (
    select * from actual_rows
    union all
    select * from forecast_rows
),

final as (
    select
        u.snapshot_month,
        u.series,
        u.month,
        u.kind,
        datediff('month', u.snapshot_month, u.month) as months_ahead,
        u.revenue,
        u.forecast,
        u.lo_80,
        u.hi_80,
        u.lo_95,
        u.hi_95,
        u.model,
        u.grain,
        c.mase,
        c.smape,
        c.skill_vs_baseline,
        c.n_windows
    from unioned as u
    left join chosen as c
        on c.snapshot_month = u.snapshot_month and c.series = u.series
)

select * from final
