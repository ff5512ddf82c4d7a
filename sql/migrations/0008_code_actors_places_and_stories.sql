-- GDELT-grade coding (README, "Events like GDELT's"): actors coded to countries and roles,
-- places geocoded to GeoNames, Goldstein and tone, one story under many URLs, and one real-world
-- event counted once. Every code sits beside the words it was read from (actor_text,
-- target_text, location_text, the mentions' offsets).

-- One story republished (wire copy on many sites, an update under a new URL): near-duplicate
-- bodies (MinHash over 4-word shingles) share a story_id, the article_id of the story's first
-- article. Articles stored before this migration are each a story of their own.
alter table articles add column story_id varchar;
update articles set story_id = article_id;
alter table articles add column focus_country varchar;    -- ISO alpha-3 most of its places are in
alter table articles add column tone double;              -- -100 .. +100, GDELT's AvgTone analogue
alter table articles add column captions varchar[];       -- photo captions, apart from the body

-- The signatures the loader matches new articles against, and their LSH buckets.
create table article_minhash (
    article_id          varchar primary key,
    minhash             uinteger[] not null
);
create table story_buckets (
    bucket              bigint not null,
    article_id          varchar not null
);
create index story_buckets_bucket_idx on story_buckets (bucket);

-- Actor coding and geocoding of each entity in each article (an office holder is coded for the
-- article's date).
alter table article_entities add column country varchar;        -- ISO alpha-3, or IGO
alter table article_entities add column role varchar;           -- GOV, MIL, REB, COP, CVL, IGO, ...
alter table article_entities add column actor_code varchar;     -- full CAMEO actor code, e.g. LBYMIL
alter table article_entities add column geonameid bigint;       -- a place's GeoNames feature
alter table article_entities add column geo_name varchar;
alter table article_entities add column lat double;
alter table article_entities add column lon double;
alter table article_entities add column geo_country varchar;    -- ISO alpha-3
alter table article_entities add column admin1 varchar;         -- GeoNames first-level admin code
alter table article_entities add column feature_class varchar;  -- P town, A country or region, L continent

alter table events add column cameo_code varchar;               -- full CAMEO event code, e.g. 0356
alter table events add column goldstein double;                 -- -10 .. +10, by cameo_code
alter table events add column tone double;                      -- the tone of its sentence
alter table events add column actor_country varchar;
alter table events add column actor_role varchar;
alter table events add column actor_code varchar;
alter table events add column target_country varchar;
alter table events add column target_role varchar;
alter table events add column target_code varchar;
alter table events add column geo_id bigint;                    -- the action place's geonameid
alter table events add column lat double;
alter table events add column lon double;
alter table events add column action_country varchar;
alter table events add column group_id varchar;                 -- event_groups.group_id

-- One real-world event, however many sentences, articles and sites report it: the events of
-- one type, actor, target and place within a day of the group's first (GDELT's events, of
-- which events rows are the mentions). Counts are recomputed whenever its events change.
create table event_groups (
    group_id            varchar primary key,
    group_key           varchar not null,    -- type|negated|actor|target|place, what events match on
    event_date          date,                -- the day of its first event
    event_type          varchar not null,
    cameo_code          varchar,
    quad_class          tinyint,
    goldstein           double,
    negated             boolean not null,
    actor_id            varchar,
    actor_text          varchar,
    actor_country       varchar,
    actor_role          varchar,
    actor_code          varchar,
    target_id           varchar,
    target_text         varchar,
    target_country      varchar,
    target_role         varchar,
    target_code         varchar,
    location_text       varchar,
    geo_id              bigint,
    lat                 double,
    lon                 double,
    action_country      varchar,
    num_mentions        integer not null,    -- events rows
    num_articles        integer not null,    -- distinct articles
    num_sources         integer not null,    -- distinct publisher hosts (with the URLs of copies)
    num_stories         integer not null,    -- distinct stories
    avg_tone            double,              -- mean tone of the articles that report it
    first_seen_at       timestamp,
    last_seen_at        timestamp
);
create index event_groups_key_idx on event_groups (group_key);
create index events_group_idx on events (group_id);
