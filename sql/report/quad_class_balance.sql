-- Events per period by GDELT QuadClass: the balance of cooperation and conflict over time.
-- @param first_day null   first day (a date)
-- @param last_day null    last day (a date)
-- @param grain day        period length: day | week | month
with final as (
    select
        strftime(date_trunc($grain, day), '%Y-%m-%d') as period,
        quad_class,
        quad_class_name,
        sum(events)::bigint as events
    from v_events_daily
    where day between $first_day::date and $last_day::date
        and events > 0
    group by all
    order by period, quad_class
)
select * from final;
