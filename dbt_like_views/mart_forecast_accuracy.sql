-- mart_forecast_accuracy: how the revenue forecasts did, as measured at the snapshot month: per
-- series and horizon (one month ahead .. twelve, and the pooled bands 1-3 and 1-12), the realized
-- MAPE next to the naive and seasonal naive made at the same origins, the realized coverage of the
-- 80% / 95% intervals next to the nominal, and how many origins and months each figure rests on.
-- For a BI chart: filter series and min_history_months, plot mape and mape_naive against h_to.
with accuracy as (
    select * from forecast_accuracy
),

final as (
    select
        snapshot_month,
        series,
        case
            when h_from = h_to then h_from::varchar
            else h_from::varchar || '-' || h_to::varchar
        end as horizons,
        h_from,
        h_to,
        min_history_months,
        n_origins,
        n_months,
        first_origin,
        last_origin,
        mape,
        mape_naive,
        mape_seasonal_naive,
        mape_vs_naive,
        mae,
        mae_naive,
        coverage_80,
        coverage_95,
        coverage_80 - 0.80 as coverage_80_vs_nominal,
        coverage_95 - 0.95 as coverage_95_vs_nominal
    from accuracy
)

select * from final
