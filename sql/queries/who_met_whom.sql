-- Who met whom in the last week? Meetings, talks, visits and mediation (PLOVER CONSULT) with
-- both sides named, newest first.
-- @param as_of latest   last day of the window: a date, or "latest" (the newest event date)
-- @param days 7         length of the window in days
--
-- newsduck sql --file sql/queries/who_met_whom.sql --param as_of=2019-04-05 --param days=60
with bounds as (
    select
        coalesce(try_cast($as_of as date), (select max(event_date) from events)) as last_day,
        $days::integer as days
),
meetings as (
    select *
    from v_events
    where event_type = 'CONSULT'
        and not negated
        and actor is not null
        and target is not null
),
final as (
    select
        meetings.event_date,
        meetings.actor,
        meetings.trigger,
        meetings.target,
        meetings.location,
        meetings.source,
        meetings.title
    from meetings, bounds
    where meetings.event_date > bounds.last_day - bounds.days
        and meetings.event_date <= bounds.last_day
    order by meetings.event_date desc, meetings.actor, meetings.target
)
select * from final;
