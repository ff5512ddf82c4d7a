-- v_gdelt_events: one row per real-world event (event_groups), with the columns of GDELT 2.0's
-- event table, so that queries and notebooks written for GDELT run on a newsduck warehouse.
-- Differences: GLOBALEVENTID is newsduck's group_id (text); country codes are ISO 3166-1
-- alpha-3 everywhere (GDELT uses FIPS 10-4 for the *Geo_CountryCode columns); ethnic and
-- religion codes and the actors' own places are not coded (null); an international body's code
-- is split as GDELT does (IGOUNO: no country, KnownGroupCode UNO, Type1Code IGO).
--
--   GLOBALEVENTID, SQLDATE (YYYYMMDD), MonthYear, Year, FractionDate
--   Actor1Code, Actor1Name, Actor1CountryCode, Actor1KnownGroupCode, Actor1Type1Code ..
--     Actor1Type3Code (the CAMEO role blocks), and the same for Actor2 (the target)
--   IsRootEvent          1 when a mention is in its article's first three sentences
--   EventCode, EventBaseCode, EventRootCode, QuadClass, GoldsteinScale
--   NumMentions, NumSources, NumArticles, AvgTone
--   ActionGeo_Type       1 country, 2 US state, 3 US city, 4 other city, 5 other first-level region
--   ActionGeo_FullName, ActionGeo_CountryCode, ActionGeo_ADM1Code, ActionGeo_Lat,
--   ActionGeo_Long, ActionGeo_FeatureID (geonameid)
--   DATEADDED (YYYYMMDDHHMMSS, when first seen), SOURCEURL (the first article that reported it)
--   and newsduck's own: event_type (PLOVER), negated, num_stories, group_id
--
-- Example: conflict and cooperation between countries per day, as with GDELT
--   select SQLDATE, Actor1CountryCode, Actor2CountryCode, QuadClass, sum(NumArticles) as articles,
--          avg(GoldsteinScale) as goldstein
--   from v_gdelt_events where Actor1CountryCode is not null and Actor2CountryCode is not null
--   group by all order by SQLDATE;
create or replace view v_gdelt_events as
with mentions as (
    select
        events.group_id,
        min(events.sentence_idx) as first_sentence,
        arg_min(articles.canonical_url, articles.fetched_at) as source_url
    from events
    join articles using (article_id)
    where events.group_id is not null
    group by events.group_id
),
places as (
    select
        geonameid,
        any_value(geo_name) as geo_name,
        any_value(admin1) as admin1,
        any_value(feature_class) as feature_class
    from article_entities
    where geonameid is not null
    group by geonameid
),
sides as (
    select
        g.*,
        coalesce(actors.name, nullif(g.actor_text, '')) as actor_name,
        coalesce(targets.name, nullif(g.target_text, '')) as target_name,
        coalesce(g.actor_code, '') like 'IGO%' as actor_igo,
        coalesce(g.target_code, '') like 'IGO%' as target_igo
    from event_groups as g
    left join entities as actors on actors.entity_id = g.actor_id
    left join entities as targets on targets.entity_id = g.target_id
),
final as (
    select
        s.group_id as GLOBALEVENTID,
        strftime(s.event_date, '%Y%m%d')::integer as SQLDATE,
        strftime(s.event_date, '%Y%m')::integer as MonthYear,
        year(s.event_date) as Year,
        round(year(s.event_date) + (dayofyear(s.event_date) - 1) / 365.0, 4) as FractionDate,
        s.actor_code as Actor1Code,
        upper(s.actor_name) as Actor1Name,
        case when s.actor_igo then null else s.actor_country end as Actor1CountryCode,
        case when s.actor_igo then nullif(substr(s.actor_code, 4, 3), '') end as Actor1KnownGroupCode,
        null::varchar as Actor1EthnicCode,
        null::varchar as Actor1Religion1Code,
        null::varchar as Actor1Religion2Code,
        case when s.actor_igo then 'IGO' else s.actor_role end as Actor1Type1Code,
        nullif(substr(s.actor_code, 7, 3), '') as Actor1Type2Code,
        nullif(substr(s.actor_code, 10, 3), '') as Actor1Type3Code,
        s.target_code as Actor2Code,
        upper(s.target_name) as Actor2Name,
        case when s.target_igo then null else s.target_country end as Actor2CountryCode,
        case when s.target_igo then nullif(substr(s.target_code, 4, 3), '') end as Actor2KnownGroupCode,
        null::varchar as Actor2EthnicCode,
        null::varchar as Actor2Religion1Code,
        null::varchar as Actor2Religion2Code,
        case when s.target_igo then 'IGO' else s.target_role end as Actor2Type1Code,
        nullif(substr(s.target_code, 7, 3), '') as Actor2Type2Code,
        nullif(substr(s.target_code, 10, 3), '') as Actor2Type3Code,
        (m.first_sentence < 3)::integer as IsRootEvent,
        s.cameo_code as EventCode,
        left(s.cameo_code, 3) as EventBaseCode,
        left(s.cameo_code, 2) as EventRootCode,
        s.quad_class as QuadClass,
        s.goldstein as GoldsteinScale,
        s.num_mentions as NumMentions,
        s.num_sources as NumSources,
        s.num_articles as NumArticles,
        s.avg_tone as AvgTone,
        case
            when s.geo_id is null then null
            when p.feature_class = 'P' and s.action_country = 'USA' then 3
            when p.feature_class = 'P' then 4
            when coalesce(p.admin1, '') = '' then 1
            when s.action_country = 'USA' then 2
            else 5
        end as ActionGeo_Type,
        p.geo_name as ActionGeo_FullName,
        s.action_country as ActionGeo_CountryCode,
        s.action_country || nullif(p.admin1, '') as ActionGeo_ADM1Code,
        s.lat as ActionGeo_Lat,
        s.lon as ActionGeo_Long,
        s.geo_id as ActionGeo_FeatureID,
        strftime(s.first_seen_at, '%Y%m%d%H%M%S')::bigint as DATEADDED,
        m.source_url as SOURCEURL,
        s.event_type,
        s.negated,
        s.num_stories,
        s.group_id
    from sides as s
    left join mentions as m using (group_id)
    left join places as p on p.geonameid = s.geo_id
)
select * from final;
