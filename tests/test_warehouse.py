"""Migrations and the staged-batch merge, on a real DuckDB file."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from flows import staging, warehouse

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


def test_a_changed_migration_fails_loudly(tmp_path, monkeypatch):
    db = tmp_path / "w.duckdb"
    with warehouse.connect(db) as con:
        warehouse.migrate(con)
    edited = tmp_path / "migrations"
    edited.mkdir()
    for path in warehouse.MIGRATIONS_DIR.glob("*.sql"):
        (edited / path.name).write_text(path.read_text() + "\n-- edited\n")
    monkeypatch.setattr(warehouse, "MIGRATIONS_DIR", edited)
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
