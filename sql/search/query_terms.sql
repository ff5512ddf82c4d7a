-- The index terms of a search query: tokenized and stemmed the way the index was built
-- (porter stemmer, English stopwords dropped), for highlighting matches in snippets.
-- @param query null   the search words
with tokens as (
    select unnest(fts_main_articles.tokenize($query)) as token
),
final as (
    select distinct
        stem(token, 'porter') as term
    from tokens
    where token not in (select sw from fts_main_articles.stopwords)
        and token <> ''
)
select * from final;
