-- Articles, words and events per source in the period.
-- @param first_day null   first day (a date)
-- @param last_day null    last day (a date)
-- @param top 20           how many sources
with in_period as (
    select *
    from v_article_meta
    where day between $first_day::date and $last_day::date
),
event_counts as (
    select
        article_id,
        count(*) filter (where not negated) as events
    from events
    group by article_id
),
final as (
    select
        coalesce(in_period.source, '(unknown)') as source,
        count(*) as articles,
        coalesce(sum(in_period.word_count), 0)::bigint as words,
        coalesce(sum(event_counts.events), 0)::bigint as events
    from in_period
    left join event_counts using (article_id)
    group by all
    order by articles desc, source
    limit $top::integer
)
select * from final;
