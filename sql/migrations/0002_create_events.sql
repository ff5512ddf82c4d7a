-- Events: who did what to whom, where and when, typed by PLOVER with CAMEO root and QuadClass.
create table events (
    article_id          varchar not null,
    sentence_idx        integer not null,
    start_char          integer not null,      -- the sentence's span in articles.body
    end_char            integer not null,
    trigger             varchar not null,
    event_type          varchar not null,      -- PLOVER: AGREE ... ASSAULT
    cameo_root          varchar not null,      -- '01'..'20'
    quad_class          tinyint not null,      -- GDELT QuadClass 1..4
    actor_id            varchar,
    actor_text          varchar,
    target_id           varchar,
    target_text         varchar,
    location_id         varchar,
    location_text       varchar,
    event_date          date,
    date_precision      varchar not null,      -- day | month | year
    date_source         varchar not null,      -- expression | publish_date | none
    negated             boolean not null,
    nlp_version         varchar not null
);
create index events_article_idx on events (article_id);
create index events_date_idx on events (event_date);
