-- Articles a reprocess redoes: those with a stored raw page, published in [$since, $until) (an
-- open end when null; undated articles only when both ends are open), made by another extractor
-- or NLP version than $extractor_version / $nlp_version, or all of them when $everything.
with candidates as (
    select
        articles.article_id,
        articles.published_at
    from articles
    semi join raw_pages using (article_id)
    where ($since::timestamp is null or articles.published_at >= $since::timestamp)
        and ($until::timestamp is null or articles.published_at < $until::timestamp)
        and (
            $everything::boolean
            or articles.extractor_version <> $extractor_version
            or articles.nlp_version <> $nlp_version
        )
),
final as (
    select
        article_id
    from candidates
    order by published_at nulls first, article_id
)
select * from final
