-- One story under many URLs: each new article of the batch (batch_articles where is_new) gets
-- the story_id of the first article whose body is a near-duplicate of its own: a stored one, or
-- an earlier one of the batch (which may have got its story from a stored one in turn); else
-- its own article_id. Near-duplicates share an LSH bucket of their MinHash signatures
-- (transforms/coding/stories.py) and agree on at least half of the signature's positions.
-- Included by merge_batch.sql, before the new articles are inserted. Stories never change once
-- given: a second run or a reprocess leaves them as they are.

create or replace temp table batch_buckets as
select
    article_id,
    position,
    unnest(story_buckets) as bucket
from batch_articles
where is_new;

create or replace temp table story_parents as
with candidates as (
    select distinct
        b.article_id,
        s.article_id as other_id,
        true as stored,
        null::integer as other_position
    from batch_buckets as b
    join story_buckets as s using (bucket)
    union
    select distinct
        b.article_id,
        o.article_id as other_id,
        false as stored,
        o.position as other_position
    from batch_buckets as b
    join batch_buckets as o using (bucket)
    where o.position < b.position
),
scored as (
    select
        c.*,
        len(list_filter(list_zip(new.minhash, coalesce(stored.minhash, earlier.minhash)), x -> x[1] = x[2]))
            / len(new.minhash) as similarity,
        coalesce(old.story_id, c.other_id) as other_story
    from candidates as c
    join batch_articles as new on new.article_id = c.article_id
    left join article_minhash as stored on c.stored and stored.article_id = c.other_id
    left join batch_articles as earlier on not c.stored and earlier.article_id = c.other_id
    left join articles as old on c.stored and old.article_id = c.other_id
),
final as (
    select
        article_id,
        other_id as parent_id,
        stored as parent_stored,
        other_story as parent_story
    from scored
    where similarity >= 0.5
    -- a stored story first (the oldest), then the batch's earliest article
    qualify row_number() over (
        partition by article_id
        order by stored desc, other_story, other_position, other_id
    ) = 1
)
select * from final;

create or replace temp table batch_stories as
with recursive chain as (
    select
        article_id,
        parent_id,
        parent_stored,
        parent_story
    from story_parents
    union all
    select
        chain.article_id,
        up.parent_id,
        up.parent_stored,
        up.parent_story
    from chain
    join story_parents as up on up.article_id = chain.parent_id
    where not chain.parent_stored
),
rooted as (
    select
        article_id,
        -- the chain ends at a stored article (its story) or at a batch article with no parent
        any_value(case when parent_stored then parent_story else parent_id end) as story_id
    from chain
    where parent_stored or parent_id not in (select article_id from story_parents)
    group by article_id
)
select
    b.article_id,
    coalesce(r.story_id, b.article_id) as story_id
from batch_articles as b
left join rooted as r using (article_id)
where b.is_new;
