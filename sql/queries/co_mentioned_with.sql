-- Who appears alongside Khalifa Haftar? The entities named in the same stories, strongest ties
-- (same sentence) first.
-- @param entity "Khalifa Haftar"   canonical name, case-insensitive
-- @param limit 15                  rows to show
--
-- newsduck sql --file sql/queries/co_mentioned_with.sql --param entity=Libya
with pairs as (
    select
        case when lower(entity_a) = lower($entity) then entity_b else entity_a end as other,
        case when lower(entity_a) = lower($entity) then label_b else label_a end as label,
        articles,
        sentences,
        day
    from v_entity_pairs_daily
    where lower($entity) in (lower(entity_a), lower(entity_b))
),
final as (
    select
        other,
        label,
        sum(sentences)::bigint as sentences,
        sum(articles)::bigint as articles,
        min(day) as first_day,
        max(day) as last_day
    from pairs
    group by all
    order by sentences desc, articles desc, other
    limit $limit::integer
)
select * from final;
