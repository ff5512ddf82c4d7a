-- Which feed listed which item URL, and when first: the provenance of articles that several
-- feeds carry, and each feed's items_seen (a count over this table, so a run killed half-way
-- and run again ends with the same figure as an undisturbed one).
create table feed_items (
    feed_url            varchar not null,
    url                 varchar not null,
    first_seen_at       timestamp not null,
    primary key (feed_url, url)
);
