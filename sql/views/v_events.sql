-- v_events: one row per extracted event, ready to read: names resolved, the sentence it came
-- from, the article's day, source and title, and the GDELT QuadClass spelled out.
--
--   article_id, day, source, title     the article (day and source as in v_article_meta)
--   event_date, date_precision         when it happened: day | month | year (a month-precision
--                                      date is the 1st of that month)
--   date_source                        expression (a date in the text) | publish_date | none
--   event_type                         PLOVER type: AGREE ... ASSAULT
--   cameo_root, quad_class             CAMEO root code '01'..'20'; GDELT QuadClass 1..4
--   quad_class_name                    Verbal Cooperation | Material Cooperation |
--                                      Verbal Conflict | Material Conflict
--   trigger                            the verb (or light-verb phrase) that typed it
--   actor, target, location            canonical entity name when resolved, else the text
--   actor_id, target_id, location_id   entities.entity_id, or null when not resolved
--   actor_text, target_text, location_text   the words in the sentence
--   negated                            true for "did not take", "failed to take"
--   sentence_idx, sentence             the sentence (from the article body, or its captions)
--
-- Example: what happened in Libya's stories, in order
--   select event_date, actor, event_type, target, location from v_events
--   where article_id in (select article_id from article_entities where name = 'Libya')
--   order by event_date;
create or replace view v_events as
with named as (
    select
        events.*,
        coalesce(actors.name, nullif(trim(events.actor_text), '')) as actor,
        coalesce(targets.name, nullif(trim(events.target_text), '')) as target,
        coalesce(places.name, nullif(trim(events.location_text), '')) as location
    from events
    left join entities as actors on actors.entity_id = events.actor_id
    left join entities as targets on targets.entity_id = events.target_id
    left join entities as places on places.entity_id = events.location_id
),
final as (
    select
        named.article_id,
        meta.day,
        meta.source,
        meta.title,
        named.event_date,
        named.date_precision,
        named.date_source,
        named.event_type,
        named.cameo_root,
        named.quad_class,
        case named.quad_class
            when 1 then 'Verbal Cooperation'
            when 2 then 'Material Cooperation'
            when 3 then 'Verbal Conflict'
            when 4 then 'Material Conflict'
        end as quad_class_name,
        named.trigger,
        named.actor,
        named.target,
        named.location,
        named.actor_id,
        named.target_id,
        named.location_id,
        named.actor_text,
        named.target_text,
        named.location_text,
        named.negated,
        named.sentence_idx,
        substring(
            case when articles.captions is null then articles.body
                 else articles.body || chr(10) || chr(10) || array_to_string(articles.captions, chr(10)) end,
            named.start_char + 1, named.end_char - named.start_char
        ) as sentence,
        named.nlp_version
    from named
    join v_article_meta as meta using (article_id)
    join articles using (article_id)
)
select * from final;
