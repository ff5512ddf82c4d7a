-- One real-world event counted once. Included by derived_rows.sql once the events of the derived
-- articles are in batch_events (their actor, target and place ids already linked across
-- articles), this inserts them with their group_id and brings event_groups up to date.
--
-- An event's group key is its type, whether it is negated, its actor, its target and its place
-- (entity ids when it has them, else the words; the place's geonameid first). It joins the
-- group of its key whose day (the day of the group's first event) is within a day of its own,
-- the nearest; else it starts one, with the events of its key that follow within a day of it.
-- A group's id is derived from its key and day. Groups are made as batches arrive, so loading
-- the same batches again or reprocessing them changes nothing; but a key's days can chain
-- differently when its events arrive out of order (a backfill of earlier days after live runs).
-- Every group a batch touched (new events, a copy's URL that may add a source, events a
-- reprocess replaced) is recounted and described again by its first mention; a group a
-- reprocess emptied goes.

create or replace temp macro url_host(url) as
    regexp_replace(lower(regexp_extract(url, '^[a-z][a-z0-9+.-]*://([^/?#:]+)', 1)), '^www[.]', '');

create or replace temp table batch_event_keys as
select
    event_row,
    coalesce(event_date, date '0001-01-01') as day,  -- undated events group among themselves
    concat_ws('|',
        event_type,
        negated::varchar,
        coalesce(actor_id, 'text:' || lower(trim(actor_text)), ''),
        coalesce(target_id, 'text:' || lower(trim(target_text)), ''),
        coalesce(geo_id::varchar, location_id, 'text:' || lower(trim(location_text)), '')
    ) as group_key
from batch_events;

create or replace temp table event_group_of as
with recursive matched as (
    select
        k.event_row,
        g.group_id
    from batch_event_keys as k
    join event_groups as g
        on g.group_key = k.group_key
        and abs(date_diff('day', coalesce(g.event_date, date '0001-01-01'), k.day)) <= 1
    qualify row_number() over (
        partition by k.event_row
        order by abs(date_diff('day', coalesce(g.event_date, date '0001-01-01'), k.day)), g.event_date, g.group_id
    ) = 1
),
unmatched_days as (
    select
        group_key,
        day,
        row_number() over (partition by group_key order by day) as n
    from (
        select distinct
            group_key,
            day
        from batch_event_keys
        where event_row not in (select event_row from matched)
    )
),
runs as (  -- a new group's day is its first day; later days within a day of it join it
    select
        group_key,
        n,
        day,
        day as anchor
    from unmatched_days
    where n = 1
    union all
    select
        d.group_key,
        d.n,
        d.day,
        case when date_diff('day', r.anchor, d.day) > 1 then d.day else r.anchor end as anchor
    from runs as r
    join unmatched_days as d on d.group_key = r.group_key and d.n = r.n + 1
),
final as (
    select
        event_row,
        group_id
    from matched
    union all
    select
        k.event_row,
        left(md5(k.group_key || '|' || r.anchor::varchar), 16) as group_id
    from batch_event_keys as k
    join runs as r using (group_key, day)
    where k.event_row not in (select event_row from matched)
)
select * from final;

insert into events by name
select
    e.* exclude (event_row),
    g.group_id
from batch_events as e
join event_group_of as g using (event_row);

-- A new group takes its description from its first mention (the earliest fetched article).
insert into event_groups by name
with firsts as (
    select
        g.group_id,
        k.group_key,
        k.day,
        e.*
    from event_group_of as g
    join batch_event_keys as k using (event_row)
    join batch_events as e using (event_row)
    join articles as a on a.article_id = e.article_id
    where g.group_id not in (select group_id from event_groups)
    qualify row_number() over (
        partition by g.group_id order by k.day, a.fetched_at, e.article_id, e.sentence_idx, e.start_char
    ) = 1
)
select
    group_id,
    group_key,
    case when day = date '0001-01-01' then null else day end as event_date,
    event_type,
    cameo_code,
    quad_class,
    goldstein,
    negated,
    actor_id,
    actor_text,
    actor_country,
    actor_role,
    actor_code,
    target_id,
    target_text,
    target_country,
    target_role,
    target_code,
    location_text,
    geo_id,
    lat,
    lon,
    action_country,
    0 as num_mentions,
    0 as num_articles,
    0 as num_sources,
    0 as num_stories
from firsts;

create or replace temp table touched_groups as
select distinct group_id from event_group_of
union
select group_id from recounted_groups;

update event_groups
set
    num_mentions = c.num_mentions,
    num_articles = c.num_articles,
    num_sources = c.num_sources,
    num_stories = c.num_stories,
    avg_tone = c.avg_tone,
    first_seen_at = c.first_seen_at,
    last_seen_at = c.last_seen_at
from (
    with mentions_of as (
        select
            group_id,
            article_id
        from events
        where group_id in (select group_id from touched_groups)
    ),
    reporting as (
        select distinct
            group_id,
            article_id
        from mentions_of
    ),
    hosts as (  -- where each article was published: its own URL, and the URLs of its copies
        select
            article_id,
            url_host(canonical_url) as host
        from articles
        where article_id in (select article_id from reporting)
        union
        select
            article_id,
            url_host(url) as host
        from article_urls
        where kind = 'duplicate_body'
            and article_id in (select article_id from reporting)
    ),
    mention_counts as (
        select
            group_id,
            count(*) as num_mentions
        from mentions_of
        group by group_id
    ),
    source_counts as (
        select
            r.group_id,
            count(distinct h.host) as num_sources
        from reporting as r
        join hosts as h using (article_id)
        group by r.group_id
    ),
    article_counts as (
        select
            r.group_id,
            count(*) as num_articles,
            count(distinct a.story_id) as num_stories,
            avg(a.tone) as avg_tone,
            min(a.fetched_at) as first_seen_at,
            max(a.fetched_at) as last_seen_at
        from reporting as r
        join articles as a using (article_id)
        group by r.group_id
    )
    select
        m.group_id,
        m.num_mentions::integer as num_mentions,
        a.num_articles::integer as num_articles,
        coalesce(s.num_sources, 0)::integer as num_sources,
        a.num_stories::integer as num_stories,
        a.avg_tone,
        a.first_seen_at,
        a.last_seen_at
    from mention_counts as m
    join article_counts as a using (group_id)
    left join source_counts as s using (group_id)
) as c
where event_groups.group_id = c.group_id;

-- A touched group's description is its first mention's again (a reprocess may have coded it anew).
update event_groups
set
    event_type = f.event_type,
    cameo_code = f.cameo_code,
    quad_class = f.quad_class,
    goldstein = f.goldstein,
    actor_id = f.actor_id,
    actor_text = f.actor_text,
    actor_country = f.actor_country,
    actor_role = f.actor_role,
    actor_code = f.actor_code,
    target_id = f.target_id,
    target_text = f.target_text,
    target_country = f.target_country,
    target_role = f.target_role,
    target_code = f.target_code,
    location_text = f.location_text,
    geo_id = f.geo_id,
    lat = f.lat,
    lon = f.lon,
    action_country = f.action_country
from (
    select
        e.*
    from events as e
    join articles as a using (article_id)
    where e.group_id in (select group_id from touched_groups)
    qualify row_number() over (
        partition by e.group_id
        order by e.event_date nulls first, a.fetched_at, e.article_id, e.sentence_idx, e.start_char
    ) = 1
) as f
where event_groups.group_id = f.group_id;

-- A group whose every event a reprocess took away is no more.
delete from event_groups
where group_id in (select group_id from recounted_groups)
    and group_id not in (select group_id from events where group_id is not null);
