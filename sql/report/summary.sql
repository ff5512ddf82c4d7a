-- Report header: the period covered and what it holds.
-- @param since all   first day: a date, or "all" (the first article day or event date)
-- @param until all   last day: a date, or "all" (the last article day or event date)
with bounds as (
    select
        coalesce(
            try_cast($since as date),
            least((select min(day) from v_article_meta), (select min(event_date) from events))
        ) as first_day,
        coalesce(
            try_cast($until as date),
            greatest((select max(day) from v_article_meta), (select max(event_date) from events))
        ) as last_day
),
period_articles as (
    select meta.*
    from v_article_meta as meta, bounds
    where meta.day between bounds.first_day and bounds.last_day
),
final as (
    select
        bounds.first_day,
        bounds.last_day,
        (select count(*) from period_articles) as articles,
        (select count(distinct source) from period_articles) as sources,
        (
            select count(distinct entity_id)
            from article_entities
            where article_id in (select article_id from period_articles)
        ) as entities,
        (
            select count(*)
            from events, bounds
            where not negated
                and event_date between bounds.first_day and bounds.last_day
        ) as events
    from bounds
)
select * from final;
