"""Full-text search: the index an ingest run leaves behind, `newsduck search`, when the index is
rebuilt, and the snippets."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import duckdb
import pytest
from typer.testing import CliRunner

from flows import warehouse
from flows.analysis import search
from flows.cli import app
from transforms.snippets import make_snippet, matches_term


def cli_search(db, *args: str) -> list[dict]:
    result = CliRunner().invoke(app, ["search", *args, "--json", "--db", str(db)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_search_haftar_ranks_the_seed_article_first(filled_db):
    hits = cli_search(filled_db, "Haftar")
    assert hits[0]["title"].startswith("Guterres flies to meet Haftar")
    assert hits[0]["day"] == "2019-04-05" and hits[0]["source"] == "World" and hits[0]["score"] > 0
    assert "Haftar" in hits[0]["snippet"]


def test_search_output_for_people(filled_db):
    result = CliRunner().invoke(app, ["search", "Haftar", "--db", str(filled_db)])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith(" 1. Guterres flies to meet Haftar")
    assert "2019-04-05 · World · score" in result.output


def test_search_is_ranked_stemmed_and_filtered_by_date(filled_db):
    hits = cli_search(filled_db, "grain exports", "--limit", "3")
    assert len(hits) <= 3 and [h["rank"] for h in hits] == list(range(1, len(hits) + 1))
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
    assert {h["title"] for h in hits[:2]} == {
        "Turkey hosts grain talks as Ukraine and Russia trade accusations",
        "Russian missiles hit Odesa port a day after grain export deal",
    }
    # "sanction" finds "sanctions"; the snippet highlights the word as written.
    stemmed = cli_search(filled_db, "sanction")
    assert stemmed[0]["title"] == "ECOWAS slaps sanctions on Mali over delayed election"
    assert "sanctions" in stemmed[0]["snippet"].lower()
    assert all(h["day"] >= "2020-01-01" for h in cli_search(filled_db, "talks", "--since", "2020-01-01"))
    assert cli_search(filled_db, "Haftar", "--since", "2020-01-01") == []
    assert cli_search(filled_db, "zzyzx") == []


def test_the_ingest_run_left_a_current_index(filled_db):
    with duckdb.connect(str(filled_db), read_only=True) as con:
        state = search.index_state(con)
        assert state["articles"] == 13
        assert search.index_lag(con) == 0


def _article(con, n: int, body: str, title: str = "A title") -> None:
    con.execute(
        "insert into articles (article_id, canonical_url, title, date_source, body, body_source, body_hash,"
        " word_count, fetched_at, extractor_version, nlp_version) values"
        " (?, ?, ?, 'none', ?, 'page', ?, 3, ?, 't', 't')",
        [f"a{n}", f"http://x/{n}", title, body, f"h{n}", datetime(2024, 1, n)],
    )


def test_refresh_rebuilds_only_when_the_articles_changed(tmp_path):
    with warehouse.connect(tmp_path / "db.duckdb") as con:
        warehouse.migrate(con)
        _article(con, 1, "Rebels seized the airport on Monday.")
        assert search.refresh_index(con) is not None  # no index yet: built
        assert search.refresh_index(con) is None  # nothing changed: not rebuilt
        assert [h.article_id for h in search.search(con, "airport")] == ["a1"]
        _article(con, 2, "The airport reopened; flights resumed.", title="Airport reopens")
        assert search.index_lag(con) == 1
        assert search.refresh_index(con) is not None  # cheap rebuild: done at once
        hits = search.search(con, "airport")
        assert [h.article_id for h in hits] == ["a2", "a1"]  # a title hit counts double
        assert search.index_lag(con) == 0


def test_load_staged_rebuilds_and_a_failed_rebuild_does_not_fail_the_load(tmp_path, monkeypatch, caplog):
    db, staged = tmp_path / "db.duckdb", tmp_path / "staged"
    staged.mkdir()
    warehouse.load_staged(db, staged, wait=1)
    with duckdb.connect(str(db), read_only=True) as con:
        assert search.index_state(con)["articles"] == 0  # an empty database gets an (empty) index too

    def broken(con, force=False):
        raise duckdb.IOException("disk full")

    monkeypatch.setattr(search, "refresh_index", broken)
    with caplog.at_level(logging.WARNING, logger="flows.analysis.search"):
        assert warehouse.load_staged(db, staged, wait=1)["batches"] == 0
    assert "search index not rebuilt" in caplog.text


def test_rebuild_policy_for_big_archives():
    now = datetime(2024, 1, 1, 12, 0)
    slow = {"articles": 10_000, "fingerprint": "old", "built_at": now - timedelta(minutes=1), "seconds": 5.0}
    assert search.should_rebuild(None, 0, "x", now)
    assert not search.should_rebuild(slow, 10_000, "old", now)  # unchanged
    assert not search.should_rebuild(slow, 10_200, "new", now)  # 2% new, fresh index: wait
    assert search.should_rebuild(slow, 11_000, "new", now)  # 10% new
    assert search.should_rebuild(slow | {"built_at": now - timedelta(minutes=10)}, 10_200, "new", now)  # old index
    assert search.should_rebuild(slow | {"seconds": 0.5}, 10_001, "new", now)  # cheap: always


def test_search_without_an_index_says_what_to_do(tmp_path):
    db = tmp_path / "db.duckdb"
    with warehouse.connect(db) as con:
        warehouse.migrate(con)
    result = CliRunner().invoke(app, ["search", "anything", "--db", str(db)])
    assert result.exit_code == 2 and "no search index yet" in result.output


def test_snippet_is_around_the_densest_cluster_of_terms():
    text = ("Opening words about nothing much at all. " * 8 + "The army said talks with the rebels in Jeddah "
            "would resume. " + "Filler sentence without the words. " * 8 + "Jeddah once more.")
    snippet = make_snippet(text, ["talk", "jeddah"], width=120)
    assert snippet.text.startswith("…") and snippet.text.endswith("…")
    assert "talks with the rebels in Jeddah" in snippet.text
    assert [snippet.text[s:e] for s, e in snippet.highlights] == ["talks", "Jeddah"]
    assert len(snippet.text) <= 125


def test_snippet_without_a_match_is_the_start_and_short_texts_are_whole():
    assert make_snippet("Short  text\nhere.", ["zzz"]).text == "Short text here."
    assert make_snippet("word " * 100, ["zzz"], width=50).text.endswith("…")


@pytest.mark.parametrize(("word", "term", "expected"), [
    ("Haftar's", "haftar", True),
    ("negotiations", "negoti", True),
    ("happy", "happi", True),
    ("Ümit", "umit", True),
    ("cart", "cat", False),
])
def test_matches_term(word, term, expected):
    assert matches_term(word, term) is expected
