-- Where the period's events happened: one row per real-world event with an action place.
-- @param first_day null   first day (a date)
-- @param last_day null    last day (a date)
with final as (
    select
        event_type,
        QuadClass as quad_class,
        case QuadClass
            when 1 then 'Verbal Cooperation'
            when 2 then 'Material Cooperation'
            when 3 then 'Verbal Conflict'
            else 'Material Conflict'
        end as quad_class_name,
        ActionGeo_Lat as lat,
        ActionGeo_Long as lon,
        ActionGeo_FullName as place,
        ActionGeo_CountryCode as country,
        NumArticles as articles,
        NumSources as sources,
        strptime(SQLDATE::varchar, '%Y%m%d')::date::varchar as day,
        coalesce(Actor1Name, '?') || ' → ' || coalesce(Actor2Name, '?') as dyad
    from v_gdelt_events
    where SQLDATE between strftime($first_day::date, '%Y%m%d')::integer
                      and strftime($last_day::date, '%Y%m%d')::integer
        and ActionGeo_Lat is not null
        and not negated
    order by articles desc, day
)
select * from final;
