"""Migrations and the staged-batch merge, on a real DuckDB file."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from flows import staging, warehouse
from transforms.nlp.names import make_entity_id, normalize_alias

NOW = datetime(2019, 4, 5, 12, 0)


def _article(aid: str, url: str, body_hash: str, position: int = 0) -> dict:
    return {"article_id": aid, "canonical_url": url, "feed_url": "http://f/", "title": "t", "author": "",
            "published_at": NOW, "date_source": "page", "language": "en", "body": "b", "body_source": "page",
            "body_hash": body_hash, "word_count": 1, "fetched_at": NOW, "extractor_version": "x",
            "nlp_version": "n", "run_id": "r", "urls": [{"url": url, "kind": "canonical"}], "final_url": url,
            "http_status": 200, "content_type": "text/html", "html_gz": b"\x1f\x8b", "position": position}


def _entity(aid: str, eid: str, name: str, norms: list[str], label: str = "PERSON") -> dict:
    return {"article_id": aid, "entity_id": eid, "name": name, "name_norm": norms[0], "label": label,
            "aliases": [], "alias_norms": norms, "mention_count": 1, "nlp_version": "n"}


def _counts(db) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                for t in ("articles", "article_urls", "entities", "entity_aliases", "article_entities", "loaded_batches")}


def test_schema_migrates_from_empty_and_reapplying_is_a_noop(tmp_path):
    db = tmp_path / "w.duckdb"
    with warehouse.connect(db) as con:
        first = warehouse.migrate(con)
        assert first == sorted(first) and first[0] == "0001_create_core_tables"
        assert warehouse.migrate(con) == []
        assert warehouse.schema_version(con) == len(first)
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
    assert {"feeds", "articles", "entities", "mentions", "runs", "events", "schema_migrations"} <= tables


def _use_migrations(monkeypatch, folder, paths, edit=lambda text: text) -> None:
    """Migrate from `folder`, holding copies of the given migration files (edited by `edit`), and
    no views (today's read columns those migrations do not make)."""
    folder.mkdir()
    for path in paths:
        (folder / path.name).write_text(edit(path.read_text()))
    (folder / "views").mkdir()
    monkeypatch.setattr(warehouse, "MIGRATIONS_DIR", folder)
    monkeypatch.setattr(warehouse, "VIEWS_DIR", folder / "views")


def test_an_older_newsduck_refuses_a_newer_schema(tmp_path, monkeypatch):
    db, older = tmp_path / "w.duckdb", tmp_path / "migrations-older"
    with warehouse.connect(db) as con:
        warehouse.migrate(con)
    _use_migrations(monkeypatch, older, sorted(warehouse.MIGRATIONS_DIR.glob("*.sql"))[:-1])
    with warehouse.connect(db) as con, pytest.raises(warehouse.MigrationError, match="newer than this newsduck"):
        warehouse.migrate(con)


def test_a_changed_migration_fails_loudly(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    with warehouse.connect(db) as con:
        warehouse.migrate(con)
    _use_migrations(monkeypatch, tmp_path / "migrations", warehouse.MIGRATIONS_DIR.glob("*.sql"),
                    lambda text: text + "\n-- edited\n")
    with warehouse.connect(db) as con, pytest.raises(warehouse.MigrationError, match="changed after it was applied"):
        warehouse.migrate(con)


def test_a_batch_merges_once_and_bodies_dedupe(tmp_path):
    db, staged = tmp_path / "w.duckdb", tmp_path / "staged"
    batch = {"articles": staging.to_table("articles", [_article("a1", "http://x/1", "h1", 0),
                                                       _article("a2", "http://x/2", "h1", 1)])}
    path = staging.write_batch(staged, "b1", batch)
    with warehouse.connect(db) as con:
        warehouse.migrate(con)
        assert warehouse.merge_batch(con, path) == {"articles_new": 1, "articles_duplicate": 1}
        # Killed between the commit and the removal of the files: the batch is not merged again.
        assert warehouse.merge_batch(con, path) is None
        assert con.execute("select article_id, kind from article_urls where url = 'http://x/2'").fetchone() == (
            "a1", "duplicate_body")
    assert _counts(db)["articles"] == 1


def test_entities_link_across_articles_and_batches(tmp_path):
    db, staged = tmp_path / "w.duckdb", tmp_path / "staged"
    staging.write_batch(staged, "b1", {
        "articles": staging.to_table("articles", [_article("a1", "http://x/1", "h1")]),
        "entities": staging.to_table("entities", [_entity("a1", "kh", "Khalifa Haftar", ["khalifa haftar", "haftar"]),
                                                  _entity("a1", "tr", "Tripoli", ["tripoli"], "GPE")]),
    })
    staging.write_batch(staged, "b2", {
        "articles": staging.to_table("articles", [_article("a2", "http://x/2", "h2"), _article("a3", "http://x/3", "h3", 1)]),
        "entities": staging.to_table("entities", [
            _entity("a2", "h", "Haftar", ["haftar"]),  # the surname alone: Khalifa Haftar
            _entity("a3", "tro", "Tripoli", ["tripoli"], "ORG"),  # another label: not merged
        ]),
    })
    counts = warehouse.load_staged(db, staged, wait=1)
    assert counts == {"batches": 2, "articles_new": 3, "articles_duplicate": 0}
    assert staging.pending_batches(staged) == []
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select entity_id from article_entities where article_id = 'a2'").fetchone() == ("kh",)
        assert {r[0] for r in con.execute("select entity_id from entities").fetchall()} == {"kh", "tr", "tro"}


def _person(aid: str, name: str, *aliases: str, label: str = "PERSON") -> dict:
    """An entity row as flows/articles.py stages it: real id, name_norm and alias_norms."""
    return {"article_id": aid, "entity_id": make_entity_id(label, name), "name": name,
            "name_norm": normalize_alias(name), "label": label, "aliases": list(aliases),
            "alias_norms": sorted({normalize_alias(a) for a in (name, *aliases)} - {""}),
            "mention_count": 1 + len(aliases), "nlp_version": "n"}


def _mentions(entities: list[dict]) -> list[dict]:
    """One mention per surface form of each entity row."""
    return [{"article_id": e["article_id"], "start_char": 10 * i, "end_char": 10 * i + len(form), "text": form,
             "label": e["label"], "sentence_idx": 0, "entity_id": e["entity_id"], "nlp_version": "n"}
            for e in entities for i, form in enumerate((e["name"], *e["aliases"]))]


def _stage(staged, batch_id: str, entities: list[dict]) -> None:
    aids = list(dict.fromkeys(e["article_id"] for e in entities))
    staging.write_batch(staged, batch_id, {
        "articles": staging.to_table("articles", [_article(a, f"http://x/{a}", f"h-{a}", i) for i, a in enumerate(aids)]),
        "entities": staging.to_table("entities", entities),
        "mentions": staging.to_table("mentions", _mentions(entities)),
    })


def _groups(db) -> list[tuple]:
    """Every stored entity: its name, label, aliases, and the (article, in-article name) pairs
    that point at it. No row points at a missing entity."""
    with duckdb.connect(str(db), read_only=True) as con:
        for table in ("mentions", "article_entities", "entity_aliases"):
            assert con.execute(f"select count(*) from {table} anti join entities using (entity_id)").fetchone() == (0,)
        return sorted(con.execute("""
            select
                e.name,
                e.label,
                (select list(alias order by alias) from entity_aliases as a where a.entity_id = e.entity_id),
                (select list((ae.article_id, ae.name) order by ae.article_id)
                 from article_entities as ae where ae.entity_id = e.entity_id)
            from entities as e
        """).fetchall())


def _snapshot(db) -> dict:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: sorted(con.execute(f"select * exclude ({skip}) from {t}").fetchall(), key=repr)
                for t, skip in (("entities", "first_seen_at"), ("entity_aliases", "label"),
                                ("article_entities", "nlp_version"), ("mentions", "nlp_version"))}


def test_a_full_name_that_arrives_later_joins_the_stored_surname(tmp_path):
    """Reverse order: "Haftar" is stored first; Khalifa Haftar then joins its id and names it."""
    db, staged = tmp_path / "w.duckdb", tmp_path / "staged"
    short = _person("a1", "Haftar")
    full = _person("a2", "Khalifa Haftar", "Haftar", "Field Marshal Khalifa Haftar")
    again = [_person("a3", "Khalifa Haftar"), _person("a4", "Haftar")]  # each id on its own, later
    _stage(staged, "b1", [short])
    _stage(staged, "b2", [full])
    _stage(staged, "b3", again)
    warehouse.load_staged(db, staged, wait=1)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select entity_id, name, name_norm, label from entities").fetchall() == [
            (short["entity_id"], "Khalifa Haftar", "khalifa haftar", "PERSON")]  # the stored id, the full name
        assert sorted(con.execute("select alias, entity_id from entity_aliases").fetchall()) == [
            ("haftar", short["entity_id"]), ("khalifa haftar", short["entity_id"])]
        for table in ("article_entities", "mentions"):
            assert con.execute(f"select distinct article_id, entity_id from {table} order by 1").fetchall() == [
                (a, short["entity_id"]) for a in ("a1", "a2", "a3", "a4")], table
        assert con.execute("select name, list_sort(aliases) from article_entities where article_id = 'a2'").fetchone() == (
            "Khalifa Haftar", ["Field Marshal Khalifa Haftar", "Haftar"])

    # the same batches once more (a worker's retry): nothing changes
    before = _snapshot(db)
    for n, rows in enumerate(([short], [full], again)):
        _stage(staged, f"c{n}", rows)
    assert warehouse.load_staged(db, staged, wait=1)["articles_new"] == 0
    assert _snapshot(db) == before


def test_entities_stored_before_name_norm_get_it_and_still_link(tmp_path, monkeypatch):
    """A warehouse made before migration 0005: its entities get their name's key, and a full name
    arriving after the migration joins a surname stored before it."""
    db, staged, old = tmp_path / "w.duckdb", tmp_path / "staged", tmp_path / "migrations-0004"
    _use_migrations(monkeypatch, old, sorted(warehouse.MIGRATIONS_DIR.glob("000[1-4]_*.sql")))
    stored = {"Haftar": "haftar", "Fayez Al-Serraj": "fayez al serraj", "The Ségou Times": "segou times",
              "U.N.": "un", "President Omar Bashir": "president omar bashir"}  # a title stays here
    with warehouse.connect(db) as con:
        warehouse.migrate(con)
        for name in stored:
            eid = make_entity_id("PERSON", name)
            con.execute("insert into entities values (?, ?, 'PERSON', ?)", [eid, name, NOW])
            con.execute("insert into entity_aliases values (?, ?, 'PERSON')", [normalize_alias(name), eid])
    monkeypatch.undo()
    with warehouse.connect(db) as con:
        assert warehouse.migrate(con)[:2] == ["0005_add_entity_name_norm", "0006_require_entity_name_norm"]
        assert dict(con.execute("select name, name_norm from entities").fetchall()) == stored
        assert all(stored[n] == normalize_alias(n) for n in stored if not n.startswith("President"))

    _stage(staged, "b1", [_person("a2", "Khalifa Haftar", "Haftar")])
    warehouse.load_staged(db, staged, wait=1)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select entity_id, name, name_norm from entities where name like '%Khalifa%'").fetchall() == [
            (make_entity_id("PERSON", "Haftar"), "Khalifa Haftar", "khalifa haftar")]
        assert con.execute("select count(*) from entities").fetchone()[0] == len(stored)


HAFTARS = {  # one article each
    "short": [_person("s", "Haftar")],
    "full": [_person("f", "Khalifa Haftar", "Haftar")],
    "fuller": [_person("l", "Khalifa Belqasim Haftar", "Khalifa Haftar", "Haftar")],
    "serraj": [_person("r", "Serraj")],
    "sarraj": [_person("a", "Fayez Al Sarraj", "Fayez Al Serraj", "Serraj"), _person("a", "Tripoli", label="GPE")],
    "tripoli": [_person("t", "Tripoli", label="GPE"), _person("t", "Tripoli", label="ORG")],
}


@pytest.mark.parametrize("order", [
    [["short"], ["full"], ["fuller"], ["serraj"], ["sarraj"], ["tripoli"]],
    [["fuller"], ["full"], ["short"], ["sarraj"], ["serraj"], ["tripoli"]],
    [["full"], ["short", "fuller", "tripoli"], ["serraj", "sarraj"]],
    [["short", "serraj"], ["fuller", "full", "sarraj", "tripoli"]],
    [["short", "full", "fuller", "serraj", "sarraj", "tripoli"]],
    [["tripoli"], ["short"], ["fuller"], ["sarraj"], ["full"], ["serraj"]],
])
def test_cross_article_entities_do_not_depend_on_arrival_order(tmp_path, order):
    db, staged = tmp_path / "w.duckdb", tmp_path / "staged"
    for n, batch in enumerate(order):
        _stage(staged, f"b{n}", [row for article in batch for row in HAFTARS[article]])
    warehouse.load_staged(db, staged, wait=1)
    assert _groups(db) == [
        ("Fayez Al Sarraj", "PERSON", ["fayez al sarraj", "fayez al serraj", "serraj"],
         [("a", "Fayez Al Sarraj"), ("r", "Serraj")]),
        ("Khalifa Belqasim Haftar", "PERSON", ["haftar", "khalifa belqasim haftar", "khalifa haftar"],
         [("f", "Khalifa Haftar"), ("l", "Khalifa Belqasim Haftar"), ("s", "Haftar")]),
        ("Tripoli", "GPE", ["tripoli"], [("a", "Tripoli"), ("t", "Tripoli")]),
        ("Tripoli", "ORG", ["tripoli"], [("t", "Tripoli")]),  # another label: its own entity
    ]


def test_a_chain_within_a_batch_joins_the_stored_surname(tmp_path):
    """Khalifa Haftar joins Khalifa Belqasim Haftar in the batch; together they hold "haftar"."""
    db, staged = tmp_path / "w.duckdb", tmp_path / "staged"
    short = _person("s", "Haftar")
    _stage(staged, "b1", [short])
    _stage(staged, "b2", [_person("l", "Khalifa Belqasim Haftar", "Khalifa Haftar"),
                          _person("f", "Khalifa Haftar", "Haftar")])
    warehouse.load_staged(db, staged, wait=1)
    assert _groups(db) == [("Khalifa Belqasim Haftar", "PERSON",
                            ["haftar", "khalifa belqasim haftar", "khalifa haftar"],
                            [("f", "Khalifa Haftar"), ("l", "Khalifa Belqasim Haftar"), ("s", "Haftar")])]
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("select entity_id from entities").fetchall() == [(short["entity_id"],)]


def test_two_stored_entities_are_never_merged(tmp_path):
    """A newcomer that would bridge two stored entities joins the one its name is an alias of:
    stored ids and old articles' rows are not rewritten."""
    db, staged = tmp_path / "w.duckdb", tmp_path / "staged"
    _stage(staged, "b1", [_person("s", "Haftar")])
    _stage(staged, "b2", [_person("l", "Khalifa Belqasim Haftar", "Khalifa Haftar")])  # no "Haftar" alone
    _stage(staged, "b3", [_person("f", "Khalifa Haftar", "Haftar")])
    warehouse.load_staged(db, staged, wait=1)
    assert _groups(db) == [
        ("Haftar", "PERSON", ["haftar"], [("s", "Haftar")]),
        ("Khalifa Belqasim Haftar", "PERSON", ["haftar", "khalifa belqasim haftar", "khalifa haftar"],
         [("f", "Khalifa Haftar"), ("l", "Khalifa Belqasim Haftar")]),
    ]


def _entity_ids(db) -> dict[str, tuple[str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {aid: (eid, name) for aid, eid, name in con.execute(
            "select article_id, entity_id, e.name from article_entities join entities as e using (entity_id)"
            " where e.label = 'PERSON'").fetchall()}


def test_ambiguous_names_link_nothing(tmp_path):
    # two stored people share a surname: "Haftar" alone, or a third Haftar, joins neither
    db, staged = tmp_path / "1.duckdb", tmp_path / "1"
    _stage(staged, "b1", [_person("k", "Khalifa Haftar", "Haftar"), _person("d", "Saddam Haftar", "Haftar")])
    _stage(staged, "b2", [_person("s", "Haftar")])
    _stage(staged, "b3", [_person("x", "Khaled Haftar", "Haftar")])
    warehouse.load_staged(db, staged, wait=1)
    assert _entity_ids(db) == {a: (make_entity_id("PERSON", n), n) for a, n in (
        ("k", "Khalifa Haftar"), ("d", "Saddam Haftar"), ("s", "Haftar"), ("x", "Khaled Haftar"))}

    # one stored surname, two full names in the next batch: it cannot tell whose it is
    db, staged = tmp_path / "2.duckdb", tmp_path / "2"
    _stage(staged, "b1", [_person("s", "Haftar")])
    _stage(staged, "b2", [_person("k", "Khalifa Haftar", "Haftar"), _person("d", "Saddam Haftar", "Haftar")])
    warehouse.load_staged(db, staged, wait=1)
    assert _entity_ids(db) == {a: (make_entity_id("PERSON", n), n) for a, n in (
        ("k", "Khalifa Haftar"), ("d", "Saddam Haftar"), ("s", "Haftar"))}

    # two stored one-word names, a newcomer whose aliases hold both: it joins neither
    db, staged = tmp_path / "3.duckdb", tmp_path / "3"
    _stage(staged, "b1", [_person("s", "Haftar"), _person("f", "Khalifa")])
    _stage(staged, "b2", [_person("k", "Khalifa Haftar", "Haftar", "Khalifa")])
    warehouse.load_staged(db, staged, wait=1)
    assert _entity_ids(db) == {a: (make_entity_id("PERSON", n), n) for a, n in (
        ("s", "Haftar"), ("f", "Khalifa"), ("k", "Khalifa Haftar"))}

    # an article that keeps "Haftar" and Khalifa Haftar apart: they stay apart
    db, staged = tmp_path / "4.duckdb", tmp_path / "4"
    _stage(staged, "b1", [_person("s", "Haftar")])
    _stage(staged, "b2", [_person("k", "Khalifa Haftar", "Haftar"), _person("k", "Haftar")])
    warehouse.load_staged(db, staged, wait=1)
    with duckdb.connect(str(db), read_only=True) as con:
        assert sorted(con.execute("select name from entities").fetchall()) == [("Haftar",), ("Khalifa Haftar",)]


def test_real_articles_link_in_either_order(nlp, seed_text, tmp_path):
    """The seed article and a later one that says only "Serraj" and "the LNA", with the pinned
    model, staged as flows/articles.py stages them: the same entities whichever comes first."""
    from datetime import date

    from flows.nlp import analyze_texts
    from flows.settings import Settings

    texts = {"seed": (seed_text, date(2019, 4, 5)),
             "later": ("Haftar's forces shelled Tripoli on Monday. Serraj called for a ceasefire, and the "
                       "LNA said it would keep advancing.", date(2019, 4, 8))}
    analyses = dict(zip(texts, analyze_texts(list(texts.values()), Settings().model)))
    rows = {aid: [_person(aid, e.name, *e.aliases, label=e.label) | {"mention_count": e.mention_count}
                  for e in analysis.entities] for aid, analysis in analyses.items()}
    assert {e["entity_id"] for e in rows["later"]} == {m.entity_id for m in analyses["later"].mentions}
    results = []
    for order in (["seed", "later"], ["later", "seed"]):
        db, staged = tmp_path / f"{order[0]}.duckdb", tmp_path / order[0]
        for n, aid in enumerate(order):
            _stage(staged, f"b{n}", rows[aid])
        warehouse.load_staged(db, staged, wait=1)
        groups = _groups(db)
        by_name = {name: articles for name, _, _, articles in groups}
        assert by_name["Fayez Al Sarraj"] == [("later", "Serraj"), ("seed", "Fayez Al Sarraj")]
        assert by_name["Libyan National Army"] == [("later", "Libyan National Army"), ("seed", "Libyan National Army")]
        assert by_name["Tripoli"] == [("later", "Tripoli"), ("seed", "Tripoli")]
        with duckdb.connect(str(db), read_only=True) as con:
            sarraj_id = con.execute("select entity_id from entities where name = 'Fayez Al Sarraj'").fetchone()[0]
        first = {e["name"]: e["entity_id"] for e in rows[order[0]]}
        assert sarraj_id == first.get("Fayez Al Sarraj", first.get("Serraj"))  # the id stored first stays
        results.append(groups)
    assert results[0] == results[1]


def test_a_locked_database_keeps_the_batches_staged(tmp_path):
    import subprocess
    import sys
    import time

    db, staged = tmp_path / "w.duckdb", tmp_path / "staged"
    with warehouse.connect(db) as con:
        warehouse.migrate(con)
    holder = subprocess.Popen([sys.executable, "-c",
                               f"import duckdb,time; c=duckdb.connect({str(db)!r}); print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        staging.write_batch(staged, "b1", {"articles": staging.to_table("articles", [_article("a1", "http://x/1", "h1")])})
        started = time.monotonic()
        with pytest.raises(warehouse.DatabaseBusy, match=rf"PID {holder.pid}"):
            warehouse.load_staged(db, staged, wait=1.5)
        assert time.monotonic() - started >= 1.5  # it waited for the bound before giving up
        assert len(staging.pending_batches(staged)) == 1
    finally:
        holder.kill()
        holder.wait()
    assert warehouse.load_staged(db, staged, wait=5)["articles_new"] == 1
