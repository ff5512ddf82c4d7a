-- What did Khalifa Haftar do, and what was done to him? Every event with the entity as actor or
-- target, in date order, with the sentence it came from.
-- @param entity "Khalifa Haftar"   canonical name or any alias ("Haftar"), case-insensitive
--
-- newsduck sql --file sql/queries/entity_timeline.sql --param entity=Guterres
with wanted as (
    select entity_id
    from entities
    where lower(name) = lower($entity)
    union
    select entity_id
    from entity_aliases
    where alias = lower($entity)
),
involved as (
    select
        *,
        case
            when actor_id in (select entity_id from wanted) then 'actor'
            else 'target'
        end as role
    from v_events
    where actor_id in (select entity_id from wanted)
        or target_id in (select entity_id from wanted)
),
final as (
    select
        event_date,
        role,
        actor,
        case when negated then 'not ' else '' end || trigger as did,
        target,
        event_type,
        location,
        case
            when length(sentence) > 160 then left(sentence, 157) || '...'
            else sentence
        end as sentence
    from involved
    order by event_date, sentence_idx
)
select * from final;
