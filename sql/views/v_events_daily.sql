-- v_events_daily: events per day by PLOVER type and GDELT QuadClass, the shape GDELT's daily
-- event counts have.
--
--   day                the event's date (events.event_date; month/year-precision events sit on
--                      the 1st of their month or year: see `approximate`)
--   event_type         PLOVER type
--   cameo_root         CAMEO root code of that type
--   quad_class, quad_class_name
--   events             events that happened (negated ones excluded)
--   negated            events reported as not happening ("failed to take"), counted apart
--   approximate        of `events`, those dated only to the month or year
--   articles           distinct articles reporting them
--
-- Example: conflict vs cooperation per day
--   select day, sum(events) filter (where quad_class >= 3) as conflict,
--          sum(events) filter (where quad_class <= 2) as cooperation
--   from v_events_daily group by day order by day;
create or replace view v_events_daily as
with dated as (
    select *
    from v_events
    where event_date is not null
),
final as (
    select
        event_date as day,
        event_type,
        cameo_root,
        quad_class,
        quad_class_name,
        count(*) filter (where not negated) as events,
        count(*) filter (where negated) as negated,
        count(*) filter (where not negated and date_precision <> 'day') as approximate,
        count(distinct article_id) as articles
    from dated
    group by all
)
select * from final;
