-- v_source_top_entities_daily: each source's entities per day, ranked by mentions.
-- Keep the top N with `where rank <= N`.
--
--   day, source        as in v_article_meta
--   rank               1 = the most mentioned entity of that source that day (ties broken by
--                      articles, then name)
--   entity_id, name, label
--   mentions           mentions in that source's articles of the day
--   articles           that source's articles of the day naming it
--
-- Example: each source's top three entities per day
--   select day, source, rank, name, mentions from v_source_top_entities_daily
--   where rank <= 3 order by day, source, rank;
create or replace view v_source_top_entities_daily as
with per_source as (
    select
        meta.day,
        meta.source,
        article_entities.entity_id,
        sum(article_entities.mention_count)::bigint as mentions,
        count(distinct article_entities.article_id) as articles
    from article_entities
    join v_article_meta as meta using (article_id)
    group by all
),
final as (
    select
        per_source.day,
        per_source.source,
        row_number() over (
            partition by per_source.day, per_source.source
            order by per_source.mentions desc, per_source.articles desc, entities.name
        ) as rank,
        per_source.entity_id,
        entities.name,
        entities.label,
        per_source.mentions,
        per_source.articles
    from per_source
    join entities using (entity_id)
)
select * from final;
