-- The entities, mentions and events of the articles listed in the temp table derived_articles,
-- read from stage_entities, stage_mentions and stage_events. Included by merge_batch.sql (new
-- articles) and replace_derived.sql (reprocessed ones), inside their transactions.
--
-- Cross-article linking, so that one referent gets one id whichever article arrives first. A
-- newcomer (an entity id not stored yet) joins another entity of the same label:
--   forward: its normalised name is an alias of exactly one entity, stored or of the batch
--     ("Haftar" -> Khalifa Haftar). Within the batch only towards a longer name (ties by id), so
--     two variants never swap; chains (A -> B -> C) are followed to their end. Several candidates
--     that all end at one entity count as one.
--   reverse: a newcomer with no forward candidate, together with the newcomers that joined it,
--     has among its aliases the normalised name of exactly one stored entity, and that name is no
--     other entity's alias (the forward rule, seen from the stored entity): Khalifa Haftar -> the
--     stored "Haftar".
-- Stored ids never change and two stored entities never merge, so old articles' rows keep their
-- ids; a stored entity that newcomers joined takes the fullest name (most words). Two entities
-- one article keeps apart are never joined. Ambiguity links nothing.

-- How full a name is: its words ("Khalifa Haftar" is fuller than "Haftar").
create or replace temp macro name_words(name) as len(string_split(name, ' '));

create or replace temp table batch_entities as
select *
from stage_entities
where article_id in (select article_id from derived_articles);

-- One row per id and label of the entities not stored yet.
create or replace temp table newcomers as
select
    entity_id,
    label,
    any_value(name_norm) as name_norm,
    arg_max(name, mention_count) as name,
    list_distinct(flatten(list(alias_norms))) as alias_norms
from batch_entities
anti join entities using (entity_id)
group by
    entity_id,
    label;

-- Pairs of entities that an article of the batch keeps apart.
create or replace temp table entities_apart as
select distinct
    a.entity_id,
    b.entity_id as other_id
from batch_entities as a
join batch_entities as b
    on b.article_id = a.article_id
    and b.entity_id <> a.entity_id
where a.entity_id in (select entity_id from newcomers);

-- Forward: every candidate of every newcomer.
create or replace temp table entity_candidates as
with known as (
    select
        aliases.alias,
        aliases.entity_id,
        aliases.label,
        true as is_stored,
        entities.name
    from entity_aliases as aliases
    join entities using (entity_id)
    where aliases.alias in (select name_norm from newcomers)
    union
    select
        unnest(alias_norms) as alias,
        entity_id,
        label,
        entity_id in (select entity_id from entities) as is_stored,
        name
    from batch_entities
),
candidates as (
    select distinct
        newcomers.entity_id as old_id,
        known.entity_id as new_id
    from newcomers
    join known
        on known.alias = newcomers.name_norm
        and known.label = newcomers.label
        and known.entity_id <> newcomers.entity_id
        and (
            known.is_stored
            or (length(known.name), known.entity_id) > (length(newcomers.name), newcomers.entity_id)
        )
)
select
    candidates.*,
    entities_apart.entity_id is not null as apart,
    count(*) over (partition by candidates.old_id) as targets
from candidates
left join entities_apart
    on entities_apart.entity_id = candidates.old_id
    and entities_apart.other_id = candidates.new_id;

-- Each newcomer's cluster root: the end of its chain of sole forward candidates (a stored entity
-- or a newcomer). Links go to stored entities or to a greater (length, id), so chains end; the
-- depth bound is a guard.
create or replace temp table entity_roots as
with recursive walk as (
    select distinct
        entity_id as member_id,
        entity_id as root_id,
        0 as depth
    from newcomers
    union all
    select
        walk.member_id,
        link.new_id as root_id,
        walk.depth + 1 as depth
    from walk
    join entity_candidates as link
        on link.old_id = walk.root_id
        and link.targets = 1
        and not link.apart
    where walk.depth < 64
)
select
    member_id,
    arg_max(root_id, depth) as root_id
from walk
group by member_id;

-- Reverse: a newcomer root without any forward candidate -> the one stored entity whose name is
-- among the aliases of its cluster.
create or replace temp table entity_reverse as
with roots as (
    select
        entity_id as root_id,
        label
    from newcomers
    anti join entity_candidates
        on entity_candidates.old_id = newcomers.entity_id
),
cluster_aliases as (
    select distinct
        roots.root_id,
        roots.label,
        members.member_id,
        unnest(newcomers.alias_norms) as alias
    from roots
    join entity_roots as members
        on members.root_id = roots.root_id
    join newcomers
        on newcomers.entity_id = members.member_id
),
-- A stored entity's normalised name (entities.name_norm), when it is one of its aliases.
stored_names as (
    select
        aliases.entity_id,
        aliases.label,
        aliases.alias as name_norm
    from entity_aliases as aliases
    join entities using (entity_id)
    where aliases.alias in (select alias from cluster_aliases)
        and aliases.alias = entities.name_norm
),
-- Every entity but the stored one that goes by that name: stored ones, and the batch's clusters.
owners as (
    select
        aliases.alias,
        aliases.label,
        aliases.entity_id as owner_id
    from entity_aliases as aliases
    where aliases.alias in (select name_norm from stored_names)
    union
    select
        unnest(e.alias_norms) as alias,
        e.label,
        coalesce(entity_roots.root_id, e.entity_id) as owner_id
    from batch_entities as e
    left join entity_roots
        on entity_roots.member_id = e.entity_id
),
claimed as (
    select
        stored_names.entity_id as stored_id,
        min(owners.owner_id) as owner_id,
        count(distinct owners.owner_id) as owners
    from stored_names
    join owners
        on owners.alias = stored_names.name_norm
        and owners.label = stored_names.label
        and owners.owner_id <> stored_names.entity_id
    group by stored_names.entity_id
),
pairs as (
    select
        cluster_aliases.root_id,
        stored_names.entity_id as stored_id,
        bool_or(entities_apart.entity_id is not null) as apart
    from cluster_aliases
    join stored_names
        on stored_names.name_norm = cluster_aliases.alias
        and stored_names.label = cluster_aliases.label
    left join entities_apart
        on entities_apart.entity_id = cluster_aliases.member_id
        and entities_apart.other_id = stored_names.entity_id
    group by
        cluster_aliases.root_id,
        stored_names.entity_id
),
sole as (
    select *
    from pairs
    qualify count(*) over (partition by root_id) = 1
)
select
    sole.root_id,
    sole.stored_id
from sole
join claimed
    on claimed.stored_id = sole.stored_id
    and claimed.owners = 1
    and claimed.owner_id = sole.root_id
where not sole.apart;

-- Every newcomer -> the entity it joins. A newcomer with several forward candidates joins them
-- when they all end at one entity (none kept apart from it).
create or replace temp table entity_remap as
with first_pass as (
    select
        entity_roots.member_id,
        entity_roots.root_id,
        coalesce(entity_reverse.stored_id, entity_roots.root_id) as dest_id
    from entity_roots
    left join entity_reverse using (root_id)
),
settled as (
    select
        c.old_id,
        min(coalesce(d.dest_id, c.new_id)) as dest_id
    from entity_candidates as c
    left join first_pass as d
        on d.member_id = c.new_id
    where c.targets > 1
    group by c.old_id
    having count(distinct coalesce(d.dest_id, c.new_id)) = 1
        and not bool_or(c.apart)
),
final as (
    select
        first_pass.member_id as old_id,
        coalesce(settled.dest_id, first_pass.dest_id) as new_id
    from first_pass
    left join settled
        on settled.old_id = first_pass.root_id
)
select *
from final
where new_id <> old_id;

-- A stored entity that newcomers joined takes the fullest of their names and its own (most
-- words; a tie keeps the stored name): "Haftar" becomes "Khalifa Haftar".
update entities
set
    name = fuller.fullest.name,
    name_norm = fuller.fullest.name_norm
from (
    select
        entity_remap.new_id as entity_id,
        arg_max(
            {'name': newcomers.name, 'name_norm': newcomers.name_norm},
            [name_words(newcomers.name), length(newcomers.name)]
        ) as fullest
    from entity_remap
    join newcomers
        on newcomers.entity_id = entity_remap.old_id
    group by entity_remap.new_id
) as fuller
where entities.entity_id = fuller.entity_id
    and name_words(fuller.fullest.name) > name_words(entities.name);

create or replace temp table batch_entities_final as
select
    e.article_id,
    coalesce(r.new_id, e.entity_id) as entity_id,
    arg_max(e.name, e.mention_count) as name,
    any_value(e.label) as label,
    list_distinct(flatten(list(e.aliases))) as aliases,
    list_distinct(flatten(list(e.alias_norms))) as alias_norms,
    sum(e.mention_count)::integer as mention_count,
    any_value(e.nlp_version) as nlp_version,
    -- the codes of the best-mentioned form: one referent, one country and role
    arg_max(e.country, e.mention_count) as country,
    arg_max(e.role, e.mention_count) as role,
    arg_max(e.actor_code, e.mention_count) as actor_code,
    arg_max(e.geonameid, e.mention_count) as geonameid,
    arg_max(e.geo_name, e.mention_count) as geo_name,
    arg_max(e.lat, e.mention_count) as lat,
    arg_max(e.lon, e.mention_count) as lon,
    arg_max(e.geo_country, e.mention_count) as geo_country,
    arg_max(e.admin1, e.mention_count) as admin1,
    arg_max(e.feature_class, e.mention_count) as feature_class
from batch_entities as e
left join entity_remap as r on r.old_id = e.entity_id
group by all;

-- A new entity is named, like a joined stored one, by the fullest name of its cluster.
insert into entities by name
with named as (
    select
        coalesce(r.new_id, e.entity_id) as entity_id,
        arg_max(
            {'name': e.name, 'name_norm': e.name_norm},
            [name_words(e.name), length(e.name), e.mention_count]
        ) as fullest,
        any_value(e.label) as label,
        $now as first_seen_at
    from batch_entities as e
    left join entity_remap as r on r.old_id = e.entity_id
    group by coalesce(r.new_id, e.entity_id)
)
select
    entity_id,
    fullest.name as name,
    fullest.name_norm as name_norm,
    label,
    first_seen_at
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
    nlp_version,
    country,
    role,
    actor_code,
    geonameid,
    geo_name,
    lat,
    lon,
    geo_country,
    admin1,
    feature_class
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

create or replace temp table batch_events as
select
    e.* exclude (actor_id, target_id, location_id),
    coalesce(actor.new_id, e.actor_id) as actor_id,
    coalesce(target.new_id, e.target_id) as target_id,
    coalesce(place.new_id, e.location_id) as location_id,
    row_number() over (order by e.article_id, e.sentence_idx, e.start_char, e.trigger) as event_row
from stage_events as e
left join entity_remap as actor on actor.old_id = e.actor_id
left join entity_remap as target on target.old_id = e.target_id
left join entity_remap as place on place.old_id = e.location_id
where e.article_id in (select article_id from derived_articles);

-- include: event_groups.sql
