-- Backfill checkpoints: how far each unit of a backfill (a URL list, a sitemap, a WARC file, a
-- Wayback listing) has got. A checkpoint row travels in the staged batch whose work it records
-- and is merged in the same transaction, so it never claims work that is not in the warehouse.

create table backfill_checkpoints (
    backfill_id         varchar not null,      -- sha1 of the source, what it reads, and the filters
    unit                varchar not null,      -- '' for the source as a whole; a child sitemap's URL
    source              varchar not null,      -- urls | sitemap | warc | wayback
    label               varchar,               -- the file or URL given, and the filters, for humans
    resume_at           varchar,               -- JSON: where to go on, e.g. {"offset": 1234}
    done                boolean not null,
    run_id              varchar,
    updated_at          timestamp not null,
    primary key (backfill_id, unit)
);
