-- v_entity_mentions_daily: how often each entity was mentioned, per day.
--
--   day            the article's day (v_article_meta.day)
--   entity_id      entities.entity_id (stable across articles)
--   name, label    the entity's canonical name and type (PERSON, ORG, GPE, ...)
--   mentions       mentions in that day's articles
--   articles       articles mentioning it that day
--   sources        distinct sources among those articles
--
-- Example: Haftar's daily mentions
--   select day, mentions, articles from v_entity_mentions_daily
--   where name = 'Khalifa Haftar' order by day;
create or replace view v_entity_mentions_daily as
with per_article as (
    select
        meta.day,
        meta.source,
        article_entities.article_id,
        article_entities.entity_id,
        article_entities.mention_count
    from article_entities
    join v_article_meta as meta using (article_id)
),
final as (
    select
        per_article.day,
        per_article.entity_id,
        entities.name,
        entities.label,
        sum(per_article.mention_count)::bigint as mentions,
        count(distinct per_article.article_id) as articles,
        count(distinct per_article.source) as sources
    from per_article
    join entities using (entity_id)
    group by all
)
select * from final;
