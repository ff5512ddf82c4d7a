-- The entities, mentions and events of the articles listed in the temp table derived_articles,
-- read from stage_entities, stage_mentions and stage_events. Included by merge_batch.sql (new
-- articles) and replace_derived.sql (reprocessed ones), inside their transactions.
-- An entity not yet in the warehouse whose name is a known alias of exactly one other entity of
-- the same label joins it ("Haftar" -> "Khalifa Haftar"). Only towards a longer name (ties by
-- id), so two variants can never swap.

create or replace temp table batch_entities as
select *
from stage_entities
where article_id in (select article_id from derived_articles);

create or replace temp table entity_remap as
with known as (
    select
        aliases.alias,
        aliases.entity_id,
        aliases.label,
        entities.name
    from entity_aliases as aliases
    join entities using (entity_id)
    union
    select
        unnest(alias_norms) as alias,
        entity_id,
        label,
        name
    from batch_entities
),
own as (
    select distinct
        entity_id,
        label,
        name_norm,
        name
    from batch_entities
    where entity_id not in (select entity_id from entities)
),
candidates as (
    select
        own.entity_id as old_id,
        known.entity_id as new_id
    from own
    join known
        on known.alias = own.name_norm
        and known.label = own.label
        and known.entity_id <> own.entity_id
        and (length(known.name), known.entity_id) > (length(own.name), own.entity_id)
)
select
    old_id,
    min(new_id) as new_id
from candidates
group by old_id
having count(distinct new_id) = 1;

-- Follow chains (A -> B -> C) to their end.
update entity_remap as r
set new_id = next.new_id
from entity_remap as next
where r.new_id = next.old_id;

update entity_remap as r
set new_id = next.new_id
from entity_remap as next
where r.new_id = next.old_id;

create or replace temp table batch_entities_final as
select
    e.article_id,
    coalesce(r.new_id, e.entity_id) as entity_id,
    arg_max(e.name, e.mention_count) as name,
    any_value(e.label) as label,
    list_distinct(flatten(list(e.aliases))) as aliases,
    list_distinct(flatten(list(e.alias_norms))) as alias_norms,
    sum(e.mention_count)::integer as mention_count,
    any_value(e.nlp_version) as nlp_version
from batch_entities as e
left join entity_remap as r on r.old_id = e.entity_id
group by all;

insert into entities
with named as (
    select
        entity_id,
        arg_max(name, mention_count) as name,
        any_value(label) as label,
        $now as first_seen_at
    from batch_entities_final
    group by entity_id
)
select *
from named
anti join entities using (entity_id);

insert into entity_aliases
with forms as (
    select distinct
        unnest(alias_norms) as alias,
        entity_id,
        label
    from batch_entities_final
)
select distinct on (alias, entity_id) *
from forms
anti join entity_aliases using (alias, entity_id);

insert into article_entities by name
select
    article_id,
    entity_id,
    name,
    label,
    list_filter(aliases, a -> a <> name) as aliases,
    mention_count,
    nlp_version
from batch_entities_final;

insert into mentions by name
select
    m.article_id,
    m.start_char,
    m.end_char,
    m.text,
    m.label,
    m.sentence_idx,
    coalesce(r.new_id, m.entity_id) as entity_id,
    m.nlp_version
from stage_mentions as m
left join entity_remap as r on r.old_id = m.entity_id
where m.article_id in (select article_id from derived_articles);

insert into events by name
select
    e.* exclude (actor_id, target_id, location_id),
    coalesce(actor.new_id, e.actor_id) as actor_id,
    coalesce(target.new_id, e.target_id) as target_id,
    coalesce(place.new_id, e.location_id) as location_id
from stage_events as e
left join entity_remap as actor on actor.old_id = e.actor_id
left join entity_remap as target on target.old_id = e.target_id
left join entity_remap as place on place.old_id = e.location_id
where e.article_id in (select article_id from derived_articles);
