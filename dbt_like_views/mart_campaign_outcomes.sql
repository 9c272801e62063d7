-- mart_campaign_outcomes: the measured campaigns for BI, one row per campaign and segment, with the
-- uplifts in points and a readable verdict. Reads campaign_outcomes only; months without a campaign
-- have no rows. snapshot_month is the month the outcome window ends (campaign_month + 3).
with outcomes as (
    select *
    from campaign_outcomes
),

final as (
    select
        snapshot_month,
        campaign_month,
        segment,
        n_treatment,
        n_control,
        n_contacted,
        rate_treatment,
        rate_control,
        100 * uplift as uplift_points,
        100 * uplift_ci_low as uplift_points_ci_low,
        100 * uplift_ci_high as uplift_points_ci_high,
        revenue_treatment,
        revenue_control,
        revenue_uplift,
        revenue_uplift_ci_low,
        revenue_uplift_ci_high,
        incremental_revenue,
        predicted_rate_control,
        rate_control - predicted_rate_control as control_rate_vs_model,
        case
            when not measurable then status
            when uplift_ci_low > 0 then 'uplift: the campaign brought customers back'
            when uplift_ci_high < 0 then 'negative: the treatment group bought less'
            else 'no uplift distinguishable from zero at this group size'
        end as verdict
    from outcomes
)

select * from final
