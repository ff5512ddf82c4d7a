-- Core tables: feeds and their fetch state, articles and the URLs that lead to them, the raw pages
-- they came from, named entities and their mentions, and one row per run.
-- Timestamps are UTC without a zone.

create table feeds (
    feed_url            varchar primary key,
    name                varchar,
    language            varchar,
    tags                varchar[],
    title               varchar,          -- as the feed calls itself
    etag                varchar,          -- validators for the next conditional GET
    last_modified       varchar,
    last_status         varchar,          -- ok | not_modified | error
    last_http_status    integer,
    last_error          varchar,          -- reason of the last failure, e.g. http_404, malformed_feed
    last_fetched_at     timestamp,
    last_success_at     timestamp,
    consecutive_errors  integer not null default 0,
    items_seen          bigint not null default 0,  -- distinct new item URLs found in it so far
    last_item_count     integer,          -- items in the last document fetched
    first_seen_at       timestamp
);

create table articles (
    article_id          varchar primary key,   -- sha1 of canonical_url, first 16 hex
    canonical_url       varchar not null unique,
    feed_url            varchar,               -- the feed that led to it first (null for backfills)
    title               varchar,
    author              varchar,
    published_at        timestamp,
    date_source         varchar not null,      -- page | feed | url | sitemap | warc | none
    language            varchar,
    body                varchar not null,
    body_source         varchar not null,      -- page | feed
    body_hash           varchar not null,      -- sha1 of the normalised body: dedup across URLs
    word_count          integer not null,
    fetched_at          timestamp not null,
    extractor_version   varchar not null,
    nlp_version         varchar not null,
    run_id              varchar
);
create index articles_body_hash_idx on articles (body_hash);
create index articles_published_idx on articles (published_at);

-- Every URL known to lead to an article: the feed link, the final URL after redirects,
-- the declared canonical, and other URLs that carried the same body.
create table article_urls (
    url                 varchar primary key,
    article_id          varchar not null,
    kind                varchar not null,      -- canonical | fetched | link | duplicate_body
    first_seen_at       timestamp not null
);
create index article_urls_article_idx on article_urls (article_id);

-- The page as fetched, gzip-compressed, so a later extractor or model can reprocess offline.
create table raw_pages (
    article_id          varchar primary key,
    url                 varchar not null,
    http_status         integer,
    content_type        varchar,
    fetched_at          timestamp not null,
    html_gz             blob not null
);

-- Canonical entities, stable across articles; aliases map surface forms to them.
create table entities (
    entity_id           varchar primary key,
    name                varchar not null,
    label               varchar not null,      -- PERSON | ORG | GPE | LOC | NORP | FAC | ...
    first_seen_at       timestamp not null
);

create table entity_aliases (
    alias               varchar not null,      -- normalised surface form (casefolded, no title)
    entity_id           varchar not null,
    label               varchar not null,
    primary key (alias, entity_id)
);

-- Per article: each entity once, with its in-article canonical name.
create table article_entities (
    article_id          varchar not null,
    entity_id           varchar not null,
    name                varchar not null,      -- canonical name within this article
    label               varchar not null,
    aliases             varchar[] not null,    -- other surface forms in this article
    mention_count       integer not null,
    nlp_version         varchar not null
);
create index article_entities_article_idx on article_entities (article_id);
create index article_entities_entity_idx on article_entities (entity_id);

create table mentions (
    article_id          varchar not null,
    start_char          integer not null,      -- offsets into articles.body
    end_char            integer not null,
    text                varchar not null,
    label               varchar not null,
    sentence_idx        integer not null,
    entity_id           varchar not null,
    nlp_version         varchar not null
);
create index mentions_article_idx on mentions (article_id);
create index mentions_entity_idx on mentions (entity_id);

-- One row per ingest/backfill run, written when its work is loaded.
create table runs (
    run_id              varchar primary key,
    flow                varchar not null,
    started_at          timestamp not null,
    finished_at         timestamp,
    status              varchar not null,      -- completed | failed
    feeds_total         integer,
    feeds_ok            integer,
    feeds_not_modified  integer,
    feeds_failed        integer,
    articles_new        integer,
    articles_known      integer,
    articles_duplicate  integer,
    articles_failed     integer,
    summary_md          varchar                -- the same markdown as the Prefect artifact
);

-- Every input we could not use, with a reason: a counted skip, never a silent loss.
create table skips (
    run_id              varchar,
    stage               varchar not null,      -- feed | fetch | clean | nlp | load
    url                 varchar not null,
    feed_url            varchar,
    reason              varchar not null,      -- http_404, not_html, empty_body, robots, ...
    detail              varchar,
    permanent           boolean not null,      -- false: worth retrying (timeouts, 5xx, 429)
    skipped_at          timestamp not null
);
create index skips_url_idx on skips (url);

-- Pages that failed: permanent failures are not retried; transient ones a few times.
create table url_failures (
    url                 varchar primary key,
    feed_url            varchar,
    reason              varchar not null,
    permanent           boolean not null,
    attempts            integer not null,
    first_failed_at     timestamp not null,
    last_attempt_at     timestamp not null
);

-- Staged batches already merged: a batch is loaded exactly once, even if the loader is killed
-- between its commit and the removal of the staged files.
create table loaded_batches (
    batch_id            varchar primary key,
    run_id              varchar,
    loaded_at           timestamp not null,
    articles_new        integer not null,
    articles_duplicate  integer not null
);
