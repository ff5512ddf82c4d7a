-- Which entities rose fastest? Mentions in the last N days against the N days before, ranked by
-- growth (with +1 smoothing, so a newcomer with 6 mentions beats one going from 10 to 12).
-- @param as_of latest      last day of the recent window: a date, or "latest" (the newest article day)
-- @param days 7            length of each window in days
-- @param min_mentions 2    ignore entities with fewer mentions in the recent window
--
-- newsduck sql --file sql/queries/rising_entities.sql --param days=30
with bounds as (
    select
        coalesce(try_cast($as_of as date), (select max(day) from v_article_meta)) as last_day,
        $days::integer as days
),
windows as (
    select
        mentions.entity_id,
        mentions.name,
        mentions.label,
        sum(mentions.mentions) filter (
            where mentions.day > bounds.last_day - bounds.days
        ) as recent,
        sum(mentions.mentions) filter (
            where mentions.day <= bounds.last_day - bounds.days
        ) as before
    from v_entity_mentions_daily as mentions, bounds
    where mentions.day > bounds.last_day - 2 * bounds.days
        and mentions.day <= bounds.last_day
    group by all
),
final as (
    select
        name,
        label,
        coalesce(recent, 0) as recent,
        coalesce(before, 0) as before,
        round((coalesce(recent, 0) + 1) / (coalesce(before, 0) + 1), 2) as growth
    from windows
    where coalesce(recent, 0) >= $min_mentions::integer
    order by growth desc, recent desc, name
    limit 20
)
select * from final;
