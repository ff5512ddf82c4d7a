-- Runs that no single page, feed or signal can stall (README, "Operating newsduck").
--
-- A document that made newsduck's own code raise is skipped for good, but only by that code:
-- `versions` names the extractor and NLP versions that failed on it ("<extractor>+<nlp>"), so
-- an upgrade tries it again. Null: a failure of the page itself (http_404, not_html, ...),
-- which no upgrade changes.
alter table skips add column versions varchar;
alter table url_failures add column versions varchar;

-- What the feed said of an item, so that an item a run deferred (the per-feed cap, a failing
-- host, the run's deadline, a stop) is fetched by a later run, newest first, even after the
-- feed has dropped it.
alter table feed_items add column published_at timestamp;
alter table feed_items add column title varchar;

-- Items a run left for later runs (status 'deadline' or 'stopped' says why it ended early).
alter table runs add column articles_deferred integer;
