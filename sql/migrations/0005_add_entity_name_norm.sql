-- entities.name_norm: the matching key of an entity's name (transforms.names.normalize_alias of
-- `name`), written by the loader from the value computed in Python, so that SQL never re-derives
-- it. Cross-article linking (sql/load/derived_rows.sql) looks a stored entity up by it.
alter table entities add column name_norm varchar;

-- Entities stored before this migration: the key spelled here once, for plain names (lowercased,
-- without accents, dots, apostrophes or punctuation, no leading "the"). For a name it misspells
-- (one with a title or a possessive), the reverse link finds no alias equal to it and links
-- nothing, which is what the loader did for such names before.
update entities
set name_norm = trim(regexp_replace(regexp_replace(regexp_replace(
    replace(replace(lower(strip_accents(name)), '.', ''), '''', ''),
    '[^\pL\pN_\s]', ' ', 'g'), '\s+', ' ', 'g'), '^\s*the\s+(\S)', '\1'));
