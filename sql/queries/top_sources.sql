-- Which sources published most, and about what? Articles, words and events per source, the
-- share of conflict among its events, and its most mentioned entities.
-- @param since all   first day: a date, or "all"
-- @param until all   last day: a date, or "all"
--
-- newsduck sql --file sql/queries/top_sources.sql --param since=2023-01-01
with articles_in_range as (
    select *
    from v_article_meta
    where day >= coalesce(try_cast($since as date), date '0001-01-01')
        and day <= coalesce(try_cast($until as date), date '9999-12-31')
),
per_source as (
    select
        source,
        count(*) as articles,
        sum(word_count)::bigint as words,
        min(day) as first_day,
        max(day) as last_day
    from articles_in_range
    group by source
),
event_counts as (
    select
        a.source,
        count(*) filter (where not e.negated) as events,
        count(*) filter (where not e.negated and e.quad_class >= 3) as conflict_events
    from events as e
    join articles_in_range as a using (article_id)
    group by a.source
),
entity_counts as (
    select
        a.source,
        entities.name,
        sum(ae.mention_count) as mentions
    from article_entities as ae
    join articles_in_range as a using (article_id)
    join entities using (entity_id)
    group by all
),
ranked_entities as (
    select *
    from entity_counts
    qualify row_number() over (partition by source order by mentions desc, name) <= 3
),
top_entities as (
    select
        source,
        string_agg(name, ', ' order by mentions desc, name) as top_entities
    from ranked_entities
    group by source
),
final as (
    select
        per_source.source,
        per_source.articles,
        per_source.words,
        coalesce(event_counts.events, 0) as events,
        round(100.0 * event_counts.conflict_events / nullif(event_counts.events, 0), 1) as conflict_pct,
        top_entities.top_entities,
        per_source.first_day,
        per_source.last_day
    from per_source
    left join event_counts using (source)
    left join top_entities using (source)
    order by per_source.articles desc, per_source.source
)
select * from final;
