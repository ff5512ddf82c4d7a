-- What happened in Libya, by type and day? "In a place" means: located there (the event's
-- location is the place), or reported in a story that names the place at least twice (there is
-- no place hierarchy yet that would put Tripoli inside Libya).
-- @param place Libya          the place, by canonical name (case-insensitive)
-- @param min_mentions 2       how often a story must name the place to count as about it
--
-- newsduck sql --file sql/queries/events_in_place_by_type.sql --param place=Sudan
with place as (
    select entity_id
    from entities
    where lower(name) = lower($place)
),
stories as (
    select article_id
    from article_entities
    where entity_id in (select entity_id from place)
        and mention_count >= $min_mentions::integer
),
located as (
    select *
    from v_events
    where event_date is not null
        and (
            location_id in (select entity_id from place)
            or lower(location) = lower($place)
            or article_id in (select article_id from stories)
        )
),
final as (
    select
        event_date as day,
        event_type,
        quad_class_name,
        count(*) filter (where not negated) as events,
        count(*) filter (where negated) as negated,
        string_agg(
            distinct concat_ws(' ', actor, trigger, target),
            '; '
            order by concat_ws(' ', actor, trigger, target)
        ) as what
    from located
    group by all
    order by day, events desc, event_type
)
select * from final;
