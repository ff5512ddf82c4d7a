-- Row counts of the main tables, for `newsduck status`.
create or replace view v_table_counts as
select 'feeds' as table_name, count(*) as row_count from feeds
union all select 'articles', count(*) from articles
union all select 'article_urls', count(*) from article_urls
union all select 'entities', count(*) from entities
union all select 'entity_aliases', count(*) from entity_aliases
union all select 'mentions', count(*) from mentions
union all select 'events', count(*) from events
union all select 'runs', count(*) from runs
union all select 'skips', count(*) from skips;
