-- Merge one staged batch into the warehouse. The loader registers the batch's Parquet files as
-- stage_articles, stage_entities, stage_mentions, stage_events, stage_skips, stage_feeds,
-- stage_feed_items, stage_checkpoints and stage_runs, runs these statements in order inside one
-- transaction, and records the batch in loaded_batches, so a batch is merged exactly once and
-- readers never see half of it.
-- No statement relies on a primary key (no `on conflict`, no `insert or ignore`): the same script
-- merges into a DuckDB file and into a DuckLake catalog, whose tables have no constraints.

-- Each staged article points at the article that will hold it: itself when new, the stored
-- article with the same id (same canonical URL), or the article with the same body.
create or replace temp table batch_articles as
with staged as (
    select *
    from stage_articles
    qualify row_number() over (partition by article_id order by position) = 1
),
stored_hashes as (
    select
        body_hash,
        min(article_id) as article_id
    from articles
    where body_hash in (select body_hash from staged)
    group by body_hash
),
targeted as (
    select
        staged.*,
        stored.article_id is not null as already_stored,
        coalesce(
            stored.article_id,
            stored_hashes.article_id,
            first_value(staged.article_id) over (
                partition by staged.body_hash order by staged.position
            )
        ) as target_id
    from staged
    left join articles as stored on stored.article_id = staged.article_id
    left join stored_hashes on stored_hashes.body_hash = staged.body_hash
)
select
    *,
    not already_stored and target_id = article_id as is_new
from targeted;

-- include: stories.sql

insert into articles by name
select
    article_id,
    story_id,
    focus_country,
    tone,
    captions,
    canonical_url,
    feed_url,
    title,
    author,
    published_at,
    date_source,
    language,
    body,
    body_source,
    body_hash,
    word_count,
    fetched_at,
    extractor_version,
    nlp_version,
    run_id
from batch_articles
join batch_stories using (article_id)
where is_new;

insert into article_minhash by name
select
    article_id,
    minhash
from batch_articles
where is_new and len(minhash) > 0;

insert into story_buckets by name
select
    bucket,
    article_id
from batch_buckets;

insert into raw_pages by name
select
    article_id,
    final_url as url,
    http_status,
    content_type,
    fetched_at,
    html_gz
from batch_articles
anti join raw_pages using (article_id)
where is_new and html_gz is not null;

-- Every URL that led to a stored article: link, final URL, canonical; a body duplicate's URLs
-- point at the article that holds the body.
insert into article_urls
with urls as (
    select
        target_id,
        target_id <> article_id as is_duplicate,
        position,
        fetched_at,
        unnest(urls, recursive := true)
    from batch_articles
),
first_per_url as (
    select
        url,
        target_id as article_id,
        case when is_duplicate then 'duplicate_body' else kind end as kind,
        fetched_at as first_seen_at
    from urls
    qualify row_number() over (partition by url order by is_duplicate, position) = 1
)
select *
from first_per_url
anti join article_urls using (url);

delete from url_failures
where url in (select url from article_urls where article_id in (select target_id from batch_articles));

-- Entities, mentions and events of the new articles. No stored event leaves its group, but a
-- stored article that gained a copy's URL here may have gained a source: its groups are recounted.
create or replace temp table recounted_groups as
select distinct group_id
from events
where article_id in (select target_id from batch_articles where target_id <> article_id)
    and group_id is not null;

create or replace temp table derived_articles as
select article_id
from batch_articles
where is_new;

-- include: derived_rows.sql

-- Skips are history; url_failures is the retry state of each failed URL.
insert into skips by name
select *
from stage_skips;

-- A page that failed before it became an article: fetching, cleaning, building its rows, or an
-- article the warehouse refused (an article whose NLP failed is stored, without entities and
-- events).
merge into url_failures
using (
    select
        url,
        feed_url,
        reason,
        permanent,
        1 as attempts,
        skipped_at as first_failed_at,
        skipped_at as last_attempt_at,
        versions
    from stage_skips
    where stage in ('fetch', 'clean', 'stage', 'load')
    qualify row_number() over (partition by url order by skipped_at desc) = 1
) as excluded
on url_failures.url = excluded.url
when matched then update set
    reason = excluded.reason,
    permanent = excluded.permanent,
    attempts = url_failures.attempts + 1,
    last_attempt_at = excluded.last_attempt_at,
    versions = excluded.versions
when not matched then insert by name;

merge into feeds
using stage_feeds as excluded
on feeds.feed_url = excluded.feed_url
when matched then update set
    name = coalesce(excluded.name, feeds.name),
    language = coalesce(excluded.language, feeds.language),
    tags = coalesce(excluded.tags, feeds.tags),
    title = coalesce(excluded.title, feeds.title),
    etag = excluded.etag,
    last_modified = excluded.last_modified,
    last_status = excluded.last_status,
    last_http_status = excluded.last_http_status,
    last_error = excluded.last_error,
    last_fetched_at = excluded.last_fetched_at,
    last_success_at = coalesce(excluded.last_success_at, feeds.last_success_at),
    consecutive_errors = case
        when excluded.last_status = 'error' then feeds.consecutive_errors + 1
        else 0
    end,
    last_item_count = coalesce(excluded.last_item_count, feeds.last_item_count)
when not matched then insert by name;

insert into feed_items by name
with listed as (
    select distinct on (feed_url, url) *
    from stage_feed_items
)
select *
from listed
anti join feed_items using (feed_url, url);

update feeds
set items_seen = seen.n
from (
    select
        feed_url,
        count(*) as n
    from feed_items
    where feed_url in (select feed_url from stage_feed_items)
    group by feed_url
) as seen
where feeds.feed_url = seen.feed_url;

delete from runs
where run_id in (select run_id from stage_runs);

insert into runs by name
select *
from stage_runs;

-- A backfill's checkpoints move with the batch whose work they record (latest wins).
merge into backfill_checkpoints
using (
    select *
    from stage_checkpoints
    qualify row_number() over (partition by backfill_id, unit order by updated_at desc) = 1
) as excluded
on backfill_checkpoints.backfill_id = excluded.backfill_id
    and backfill_checkpoints.unit = excluded.unit
when matched and excluded.updated_at >= backfill_checkpoints.updated_at then update set
    source = excluded.source,
    label = excluded.label,
    resume_at = excluded.resume_at,
    done = excluded.done,
    run_id = excluded.run_id,
    updated_at = excluded.updated_at
when not matched then insert by name;

insert into loaded_batches
select
    $batch_id as batch_id,
    $run_id as run_id,
    $now as loaded_at,
    count(*) filter (where is_new) as articles_new,
    count(*) filter (where target_id <> article_id and not already_stored) as articles_duplicate
from batch_articles;
