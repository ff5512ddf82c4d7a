-- Full-text search: articles ranked by BM25 over title and body, using the fts index
-- fts_main_articles (rebuilt after each load that brought new articles; see flows/analysis/search.py).
-- A match in the title counts twice: the query scored on the title alone is added to the score.
-- @param query null   the words to look for (stemmed, stopwords dropped, any word may match)
-- @param since all    only articles from this day on: a date, or "all"
-- @param limit 10     results to return
with scored as (
    select
        article_id,
        fts_main_articles.match_bm25(article_id, $query) as score,
        fts_main_articles.match_bm25(article_id, $query, fields := 'title') as title_score
    from articles
),
final as (
    select
        meta.article_id,
        meta.title,
        meta.day,
        meta.source,
        meta.canonical_url,
        round(scored.score + coalesce(scored.title_score, 0), 4) as score,
        articles.body
    from scored
    join v_article_meta as meta using (article_id)
    join articles using (article_id)
    where scored.score is not null
        and meta.day >= coalesce(try_cast($since as date), date '0001-01-01')
    order by score desc, meta.day desc, meta.article_id
    limit $limit::integer
)
select * from final;
