"""The analysis views (sql/views/v_*.sql) on a database filled by a real ingest run, and on an
empty one. Each view is checked against the base tables it summarises, not only for rows."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest

from flows import warehouse

VIEWS_DIR = warehouse.VIEWS_DIR
ANALYSIS_VIEWS = [
    "v_article_meta",
    "v_articles",
    "v_events",
    "v_events_daily",
    "v_entity_mentions_daily",
    "v_source_top_entities_daily",
    "v_entity_pairs_daily",
    "v_dyads_daily",
]
SEED_DAY = date(2019, 4, 5)


@pytest.fixture(scope="module")
def con(filled_db):
    with duckdb.connect(str(filled_db), read_only=True) as connection:
        yield connection


def rows(con, query: str, params=None) -> list[dict]:
    relation = con.execute(query, params)
    columns = [d[0] for d in relation.description]
    return [dict(zip(columns, row)) for row in relation.fetchall()]


def seed_id(con) -> str:
    return con.execute("select article_id from articles where title like 'Guterres flies to meet Haftar%'").fetchone()[0]


@pytest.mark.parametrize("path", sorted(VIEWS_DIR.glob("*.sql")), ids=lambda p: p.stem)
def test_each_view_file_is_documented_and_named(path):
    text = path.read_text(encoding="utf-8")
    name = path.stem
    assert name.startswith("v_")
    assert re.search(rf"^create or replace view {name} as$", text, re.M), "one `create or replace view` per file"
    header = text.split("create or replace view", 1)[0].splitlines()
    assert header and all(line.startswith("--") for line in header), \
        f"{path.name} must open with a comment saying what a row is"
    assert text.rstrip().endswith("select * from final;") or name == "v_table_counts"


def test_views_run_on_an_empty_database(tmp_path):
    with warehouse.connect(tmp_path / "empty.duckdb") as connection:
        warehouse.migrate(connection)
        for view in ANALYSIS_VIEWS:
            assert connection.execute(f"select count(*) from {view}").fetchone() == (0,)


def test_article_meta_has_one_row_per_article_with_day_and_source(con):
    assert con.execute("select count(*) from v_article_meta").fetchone() == \
        con.execute("select count(*) from articles").fetchone()
    seed = rows(con, "select * from v_article_meta where article_id = ?", [seed_id(con)])[0]
    assert seed["day"] == SEED_DAY
    assert seed["source"] == "World"  # the feed's name in the catalogue
    assert seed["host"] == "127.0.0.1"
    assert {r[0] for r in con.execute("select distinct source from v_article_meta").fetchall()} == \
        {"World", "Africa", "Americas and Asia"}


def test_articles_view_joins_body_entities_and_events(con):
    seed = rows(con, "select * from v_articles where article_id = ?", [seed_id(con)])[0]
    assert "Aguila Saleh" in seed["body"]
    names = [e["name"] for e in seed["entities"]]
    for expected in ("Khalifa Haftar", "Antonio Guterres", "Tripoli", "Libya", "Libyan National Army"):
        assert expected in names
    counts = [e["mention_count"] for e in seed["entities"]]
    assert counts == sorted(counts, reverse=True), "most mentioned first"
    assert {"event_type", "actor", "target", "location", "event_date", "negated"} <= set(seed["events"][0])
    meetings = [e for e in seed["events"] if e["event_type"] == "CONSULT"
                and e["actor"] == "Antonio Guterres" and e["target"] == "Khalifa Haftar"]
    assert meetings, seed["events"]
    # Every article is there, with or without entities and events.
    assert con.execute("select count(*) from v_articles").fetchone() == \
        con.execute("select count(*) from articles").fetchone()
    assert con.execute("select sum(len(events)) from v_articles").fetchone() == \
        con.execute("select count(*) from events").fetchone()


def test_events_view_resolves_names_and_quotes_the_sentence(con):
    assert con.execute("select count(*) from v_events").fetchone() == con.execute("select count(*) from events").fetchone()
    meeting = rows(con, "select * from v_events where event_type = 'CONSULT' and actor = 'Antonio Guterres'"
                        " and target = 'Khalifa Haftar'")[0]
    assert meeting["quad_class"] == 1 and meeting["quad_class_name"] == "Verbal Cooperation"
    assert meeting["event_date"] == SEED_DAY and meeting["day"] == SEED_DAY
    assert "Guterres" in meeting["sentence"] and "Haftar" in meeting["sentence"]
    # Empty strings from the extractor read as null, not as a name.
    assert con.execute("select count(*) from v_events where actor = '' or target = '' or location = ''").fetchone() == (0,)
    names = dict(con.execute("select distinct quad_class, quad_class_name from v_events").fetchall())
    assert set(names) <= {1, 2, 3, 4} and names.get(4, "Material Conflict") == "Material Conflict"


def test_events_daily_counts_every_dated_event_once(con):
    total, negated = con.execute("select sum(events), sum(negated) from v_events_daily").fetchone()
    assert (total, negated) == con.execute(
        "select count(*) filter (where not negated), count(*) filter (where negated)"
        " from events where event_date is not null").fetchone()
    consult = rows(con, "select * from v_events_daily where day = ? and event_type = 'CONSULT'", [SEED_DAY])[0]
    assert consult["events"] >= 2 and consult["cameo_root"] == "04" and consult["quad_class"] == 1
    # A month-precision date ("last month") is counted on the 1st and flagged as approximate.
    approximate = con.execute("select sum(approximate) from v_events_daily").fetchone()[0]
    assert approximate == con.execute(
        "select count(*) from events where not negated and date_precision <> 'day' and event_date is not null"
    ).fetchone()[0]


def test_entity_mentions_daily_adds_up_to_the_mentions_table(con):
    assert con.execute("select sum(mentions) from v_entity_mentions_daily").fetchone() == \
        con.execute("select count(*) from mentions").fetchone()
    haftar = rows(con, "select * from v_entity_mentions_daily where name = 'Khalifa Haftar' and day = ?", [SEED_DAY])[0]
    assert haftar["label"] == "PERSON" and haftar["mentions"] >= 5 and haftar["articles"] == 1
    # One row per entity and day.
    assert con.execute("select count(*) from (select day, entity_id from v_entity_mentions_daily"
                       " group by all having count(*) > 1)").fetchone() == (0,)


def test_source_top_entities_are_ranked_within_source_and_day(con):
    top = rows(con, "select * from v_source_top_entities_daily where day = ? and source = 'World' order by rank",
               [SEED_DAY])
    assert [r["rank"] for r in top] == list(range(1, len(top) + 1))
    assert [r["mentions"] for r in top] == sorted((r["mentions"] for r in top), reverse=True)
    assert top[0]["name"] in {"Tripoli", "Khalifa Haftar"}
    assert "Libya" in {r["name"] for r in top[:10]}


def test_entity_pairs_are_unordered_and_count_sentences(con):
    assert con.execute("select count(*) from v_entity_pairs_daily where entity_a_id >= entity_b_id").fetchone() == (0,)
    pair = rows(con, "select * from v_entity_pairs_daily where day = ?"
                     " and 'Antonio Guterres' in (entity_a, entity_b) and 'Khalifa Haftar' in (entity_a, entity_b)",
                [SEED_DAY])
    assert len(pair) == 1 and pair[0]["articles"] == 1 and pair[0]["sentences"] >= 1
    # Every pair's articles: both entities are in each of them.
    assert con.execute("""
        select count(*) from v_entity_pairs_daily as p
        where p.articles <> (
            select count(*) from article_entities as a join article_entities as b using (article_id)
            join v_article_meta as m using (article_id)
            where a.entity_id = p.entity_a_id and b.entity_id = p.entity_b_id and m.day = p.day)
    """).fetchone() == (0,)


def test_dyads_are_resolved_directed_and_split_by_quad_class(con):
    dyad = rows(con, "select * from v_dyads_daily where actor = 'Antonio Guterres' and target = 'Khalifa Haftar'")[0]
    assert dyad["day"] == SEED_DAY and dyad["verbal_cooperation"] >= 1 and "CONSULT" in dyad["event_types"]
    assert con.execute("select count(*) from v_dyads_daily where events <> verbal_cooperation"
                       " + material_cooperation + verbal_conflict + material_conflict").fetchone() == (0,)
    assert con.execute("select count(*) from v_dyads_daily where actor_id = target_id"
                       " or actor is null or target is null").fetchone() == (0,)
    assert con.execute("select sum(events) from v_dyads_daily").fetchone() == con.execute(
        "select count(*) from events where actor_id is not null and target_id is not null"
        " and actor_id <> target_id and not negated and event_date is not null").fetchone()
    assert con.execute("select count(*) from v_dyads_daily").fetchone()[0] >= 10
