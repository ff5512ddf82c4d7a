-- What a reprocess needs of each article of a batch: the stored raw page, and the metadata that
-- stood in for the page (a feed's body or date) when the article was first made.
with final as (
    select
        articles.article_id,
        articles.canonical_url,
        articles.feed_url,
        articles.title,
        articles.author,
        articles.published_at,
        articles.date_source,
        articles.body,
        articles.body_source,
        raw_pages.url,
        raw_pages.http_status,
        raw_pages.content_type,
        raw_pages.html_gz
    from articles
    join raw_pages using (article_id)
    where articles.article_id in (select unnest($ids))
)
select * from final
order by article_id
