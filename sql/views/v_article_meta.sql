-- v_article_meta: one row per article with the fields analyses group by, so "day" and "source"
-- mean the same thing in every view.
--
--   article_id     articles.article_id
--   day            the publish date (UTC), else the date it was fetched
--   published_at   as extracted (null when no date was found)
--   date_source    where published_at came from: page | feed | url | sitemap | warc | none
--   source         the feed's name in the catalogue, else the feed's own title, else the host
--   host           host of the canonical URL, without "www."
--   feed_url, canonical_url, title, author, language, word_count, fetched_at, run_id
--
-- The other v_* views build on this one (views are applied in name order, and this name sorts
-- first). Example: articles per source and day
--   select day, source, count(*) as articles from v_article_meta group by all order by all;
create or replace view v_article_meta as
with hosts as (
    select
        article_id,
        regexp_replace(
            lower(regexp_extract(canonical_url, '^[a-zA-Z][a-zA-Z0-9+.-]*://([^/:?#@]*@)?([^/:?#]+)', 2)),
            '^www\.',
            ''
        ) as host
    from articles
),
final as (
    select
        articles.article_id,
        coalesce(articles.published_at, articles.fetched_at)::date as day,
        articles.published_at,
        articles.date_source,
        coalesce(feeds.name, feeds.title, hosts.host) as source,
        hosts.host,
        articles.feed_url,
        articles.canonical_url,
        articles.title,
        articles.author,
        articles.language,
        articles.word_count,
        articles.fetched_at,
        articles.run_id
    from articles
    join hosts using (article_id)
    left join feeds on feeds.feed_url = articles.feed_url
)
select * from final;
