-- Mentions per period of the most mentioned entities of the report's period.
-- @param first_day null   first day (a date)
-- @param last_day null    last day (a date)
-- @param grain day        period length: day | week | month
-- @param top 8            how many entities
with in_period as (
    select *
    from v_entity_mentions_daily
    where day between $first_day::date and $last_day::date
),
top_entities as (
    select
        entity_id,
        sum(mentions) as total
    from in_period
    group by entity_id
    order by total desc, entity_id
    limit $top::integer
),
final as (
    select
        strftime(date_trunc($grain, in_period.day), '%Y-%m-%d') as period,
        in_period.name || ' (' || in_period.label || ')' as entity,
        sum(in_period.mentions)::bigint as mentions,
        sum(in_period.articles)::bigint as articles
    from in_period
    join top_entities using (entity_id)
    group by all
    order by period, entity
)
select * from final;
