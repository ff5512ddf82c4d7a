-- Replace the derived rows of re-extracted articles (`newsduck reprocess`). The flow registers
-- every staged batch of the date range together as stage_articles, stage_entities,
-- stage_mentions and stage_events (views over the batches' Parquet files) and runs these
-- statements in order inside one transaction: a reader sees the whole range either as it was or
-- as it is now, never half of it. They work on a set of articles, however many batches staged
-- it; every staged article appears once. Parameter: $now.
-- An article keeps its id, URLs, raw page and fetch time; its body, metadata, entities, mentions
-- and events are replaced, and every replaced row records the versions that made it.

create or replace temp table batch_articles as
select
    staged.*
from stage_articles as staged
semi join articles using (article_id);

update articles
set
    title = b.title,
    author = b.author,
    published_at = b.published_at,
    date_source = b.date_source,
    language = b.language,
    body = b.body,
    body_source = b.body_source,
    body_hash = b.body_hash,
    word_count = b.word_count,
    extractor_version = b.extractor_version,
    nlp_version = b.nlp_version,
    focus_country = b.focus_country,
    tone = b.tone,
    captions = b.captions
from batch_articles as b
where articles.article_id = b.article_id;

delete from article_entities
where article_id in (select article_id from batch_articles);

delete from mentions
where article_id in (select article_id from batch_articles);

-- The groups these events belonged to: recounted (or dropped, when emptied) once the new events
-- are in (event_groups.sql).
create or replace temp table recounted_groups as
select distinct group_id
from events
where article_id in (select article_id from batch_articles)
    and group_id is not null;

delete from events
where article_id in (select article_id from batch_articles);

-- The new entities, mentions and events, linked across articles as a new batch's are.
create or replace temp table derived_articles as
select article_id
from batch_articles;

-- include: derived_rows.sql
