-- The most active actor -> target dyads of the period, split by QuadClass.
-- @param first_day null   first day (a date)
-- @param last_day null    last day (a date)
-- @param top 15           how many dyads
with in_period as (
    select *
    from v_dyads_daily
    where day between $first_day::date and $last_day::date
),
dyads as (
    select
        actor_id,
        target_id,
        any_value(actor) || ' → ' || any_value(target) as dyad,
        sum(events) as total
    from in_period
    group by actor_id, target_id
    order by total desc, dyad
    limit $top::integer
),
by_class as (
    select
        dyads.dyad,
        dyads.total,
        unnest([
            {'quad_class': 1, 'quad_class_name': 'Verbal Cooperation', 'events': sum(in_period.verbal_cooperation)},
            {'quad_class': 2, 'quad_class_name': 'Material Cooperation', 'events': sum(in_period.material_cooperation)},
            {'quad_class': 3, 'quad_class_name': 'Verbal Conflict', 'events': sum(in_period.verbal_conflict)},
            {'quad_class': 4, 'quad_class_name': 'Material Conflict', 'events': sum(in_period.material_conflict)}
        ], recursive := true)
    from dyads
    join in_period using (actor_id, target_id)
    group by dyads.dyad, dyads.total
),
final as (
    select
        dyad,
        total::bigint as total,
        quad_class,
        quad_class_name,
        events::bigint as events
    from by_class
    where events > 0
    order by total desc, dyad, quad_class
)
select * from final;
