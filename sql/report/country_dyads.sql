-- Conflict and cooperation between countries over time: real-world events per period for the
-- most active country dyads (actor's country -> target's country, both coded), with their mean
-- Goldstein value.
-- @param first_day null   first day (a date)
-- @param last_day null    last day (a date)
-- @param grain day        period length: day | week | month
-- @param top 8            how many dyads
with coded as (
    select *
    from event_groups
    where event_date between $first_day::date and $last_day::date
        and actor_country is not null
        and target_country is not null
        and actor_country <> target_country
        and not negated
),
dyads as (
    select
        actor_country,
        target_country,
        count(*) as total
    from coded
    group by all
    order by total desc, actor_country, target_country
    limit $top::integer
),
final as (
    select
        strftime(date_trunc($grain, coded.event_date), '%Y-%m-%d') as period,
        coded.actor_country || ' → ' || coded.target_country as dyad,
        count(*)::bigint as events,
        sum(coded.num_articles)::bigint as articles,
        round(avg(coded.goldstein), 2) as goldstein
    from coded
    join dyads using (actor_country, target_country)
    group by all
    order by period, dyad
)
select * from final;
