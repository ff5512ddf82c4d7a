-- v_articles: one row per article with everything about it: the v_article_meta fields, the body,
-- its entities and its events, as lists you can unnest.
--
--   ...v_article_meta columns..., body, body_source, extractor_version, nlp_version
--   entities   list of {entity_id, name, label, mention_count}, most mentioned first; name is
--              the canonical name across articles (entities.name)
--   events     list of {event_type, quad_class, trigger, actor, target, location, event_date,
--              date_precision, negated}, in text order; actor/target/location are the
--              canonical entity name when resolved, else the text as written
--
-- Example: the people in one story
--   select title, unnest(list_filter(entities, e -> e.label = 'PERSON')).name
--   from v_articles where title ilike '%Haftar%';
create or replace view v_articles as
with entity_lists as (
    select
        article_entities.article_id,
        list(
            struct_pack(
                entity_id := article_entities.entity_id,
                name := coalesce(entities.name, article_entities.name),
                label := article_entities.label,
                mention_count := article_entities.mention_count
            )
            order by article_entities.mention_count desc, coalesce(entities.name, article_entities.name)
        ) as entities
    from article_entities
    left join entities using (entity_id)
    group by article_entities.article_id
),
event_lists as (
    select
        events.article_id,
        list(
            struct_pack(
                event_type := events.event_type,
                quad_class := events.quad_class,
                trigger := events.trigger,
                actor := coalesce(actors.name, nullif(trim(events.actor_text), '')),
                target := coalesce(targets.name, nullif(trim(events.target_text), '')),
                location := coalesce(places.name, nullif(trim(events.location_text), '')),
                event_date := events.event_date,
                date_precision := events.date_precision,
                negated := events.negated
            )
            order by events.start_char, events.trigger
        ) as events
    from events
    left join entities as actors on actors.entity_id = events.actor_id
    left join entities as targets on targets.entity_id = events.target_id
    left join entities as places on places.entity_id = events.location_id
    group by events.article_id
),
final as (
    select
        meta.*,
        articles.body,
        articles.body_source,
        articles.extractor_version,
        articles.nlp_version,
        coalesce(entity_lists.entities, []) as entities,
        coalesce(event_lists.events, []) as events
    from v_article_meta as meta
    join articles using (article_id)
    left join entity_lists using (article_id)
    left join event_lists using (article_id)
)
select * from final;
