-- Is the news getting more conflictual? Events per week split by GDELT QuadClass, with the share
-- of conflict (QuadClass 3 and 4) among them.
-- @param since all   first day: a date, or "all"
--
-- newsduck sql --file sql/queries/conflict_balance_weekly.sql --param since=2023-01-01
with weekly as (
    select
        date_trunc('week', day)::date as week,
        sum(events) filter (where quad_class = 1) as verbal_cooperation,
        sum(events) filter (where quad_class = 2) as material_cooperation,
        sum(events) filter (where quad_class = 3) as verbal_conflict,
        sum(events) filter (where quad_class = 4) as material_conflict,
        sum(events) as events
    from v_events_daily
    where day >= coalesce(try_cast($since as date), date '0001-01-01')
    group by week
),
final as (
    select
        week,
        coalesce(verbal_cooperation, 0)::bigint as verbal_cooperation,
        coalesce(material_cooperation, 0)::bigint as material_cooperation,
        coalesce(verbal_conflict, 0)::bigint as verbal_conflict,
        coalesce(material_conflict, 0)::bigint as material_conflict,
        events::bigint as events,
        round(
            100.0 * (coalesce(verbal_conflict, 0) + coalesce(material_conflict, 0)) / nullif(events, 0),
            1
        ) as conflict_pct
    from weekly
    order by week
)
select * from final;
