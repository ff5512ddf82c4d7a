-- v_entity_pairs_daily: entity co-occurrence per day: two entities named in the same article
-- (and how often in the same sentence). Each unordered pair appears once, entity_a_id < entity_b_id.
--
--   day                            the article's day
--   entity_a_id, entity_a, label_a the pair, by canonical name
--   entity_b_id, entity_b, label_b
--   articles                       articles naming both that day
--   sentences                      sentences naming both (a stronger tie than the same article)
--
-- Example: who appears alongside Haftar
--   select case when entity_a = 'Khalifa Haftar' then entity_b else entity_a end as other,
--          sum(articles) as articles, sum(sentences) as sentences
--   from v_entity_pairs_daily where 'Khalifa Haftar' in (entity_a, entity_b)
--   group by other order by sentences desc, articles desc;
create or replace view v_entity_pairs_daily as
with article_pairs as (
    select
        a.article_id,
        a.entity_id as entity_a_id,
        b.entity_id as entity_b_id
    from article_entities as a
    join article_entities as b
        on b.article_id = a.article_id
        and a.entity_id < b.entity_id
),
sentence_entities as (
    select distinct
        article_id,
        sentence_idx,
        entity_id
    from mentions
),
sentence_pairs as (
    select
        a.article_id,
        a.entity_id as entity_a_id,
        b.entity_id as entity_b_id,
        count(*) as sentences
    from sentence_entities as a
    join sentence_entities as b
        on b.article_id = a.article_id
        and b.sentence_idx = a.sentence_idx
        and a.entity_id < b.entity_id
    group by all
),
per_day as (
    select
        meta.day,
        article_pairs.entity_a_id,
        article_pairs.entity_b_id,
        count(*) as articles,
        coalesce(sum(sentence_pairs.sentences), 0)::bigint as sentences
    from article_pairs
    join v_article_meta as meta using (article_id)
    left join sentence_pairs using (article_id, entity_a_id, entity_b_id)
    group by all
),
final as (
    select
        per_day.day,
        per_day.entity_a_id,
        a.name as entity_a,
        a.label as label_a,
        per_day.entity_b_id,
        b.name as entity_b,
        b.label as label_b,
        per_day.articles,
        per_day.sentences
    from per_day
    join entities as a on a.entity_id = per_day.entity_a_id
    join entities as b on b.entity_id = per_day.entity_b_id
)
select * from final;
