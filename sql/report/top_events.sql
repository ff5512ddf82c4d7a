-- The most reported real-world events of the period: by distinct sources, then articles.
-- @param first_day null   first day (a date)
-- @param last_day null    last day (a date)
-- @param top 15           how many events
with final as (
    select
        strftime(g.event_date, '%Y-%m-%d') || ' · ' || g.event_type || ' · '
            || coalesce(nullif(v.Actor1Name, ''), '?') || ' → ' || coalesce(nullif(v.Actor2Name, ''), '?')
            || coalesce(' · ' || v.ActionGeo_FullName, '') as event,
        g.event_type,
        g.num_sources,
        g.num_articles,
        g.num_mentions,
        g.num_stories,
        v.SOURCEURL as source_url
    from event_groups as g
    join v_gdelt_events as v using (group_id)
    where g.event_date between $first_day::date and $last_day::date
        and not g.negated
    order by g.num_sources desc, g.num_articles desc, g.num_mentions desc, event
    limit $top::integer
)
select * from final;
