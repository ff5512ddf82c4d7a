-- v_dyads_daily: actor -> target dyads per day with event counts by GDELT QuadClass, like
-- GDELT's dyadic event counts. Only events whose actor and target both resolved to an entity
-- (precision first: "the troops" -> "it" makes no dyad); negated events are left out.
-- The pair is directed: (A, B) is A acting on B.
--
--   day                          events.event_date
--   actor_id, actor, actor_label the acting entity (canonical name, type)
--   target_id, target, target_label
--   events                       events from actor to target that day
--   verbal_cooperation           QuadClass 1 (e.g. CONSULT, AGREE, SUPPORT)
--   material_cooperation         QuadClass 2 (e.g. AID, RETREAT, COOPERATE)
--   verbal_conflict              QuadClass 3 (e.g. ACCUSE, REJECT, THREATEN)
--   material_conflict            QuadClass 4 (e.g. ASSAULT, COERCE, MOBILIZE)
--   event_types                  the PLOVER types seen, sorted
--   articles                     distinct articles reporting them
--
-- Example: the most active dyads overall
--   select actor, target, sum(events) as events, sum(material_conflict) as material_conflict
--   from v_dyads_daily group by all order by events desc limit 10;
create or replace view v_dyads_daily as
with resolved as (
    select *
    from events
    where actor_id is not null
        and target_id is not null
        and actor_id <> target_id
        and event_date is not null
        and not negated
),
final as (
    select
        resolved.event_date as day,
        resolved.actor_id,
        actors.name as actor,
        actors.label as actor_label,
        resolved.target_id,
        targets.name as target,
        targets.label as target_label,
        count(*) as events,
        count(*) filter (where resolved.quad_class = 1) as verbal_cooperation,
        count(*) filter (where resolved.quad_class = 2) as material_cooperation,
        count(*) filter (where resolved.quad_class = 3) as verbal_conflict,
        count(*) filter (where resolved.quad_class = 4) as material_conflict,
        list_sort(list(distinct resolved.event_type)) as event_types,
        count(distinct resolved.article_id) as articles
    from resolved
    join entities as actors on actors.entity_id = resolved.actor_id
    join entities as targets on targets.entity_id = resolved.target_id
    group by all
)
select * from final;
