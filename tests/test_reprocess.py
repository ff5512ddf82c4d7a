"""`reprocess`: derived rows rebuilt from the stored raw pages after a lexicon change, by date
range, in one transaction per batch, without a single HTTP request."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES
from tests.sitekit import news_page

SEED_HTML = (FIXTURES / "pages" / "seed_article.html").read_text(encoding="utf-8")


def _rows(db: Path, query: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query, params).fetchall()


def _text_page(name: str, published: str) -> str:
    title, *paragraphs = [p.strip() for p in (FIXTURES / "texts" / f"{name}.txt").read_text().split("\n\n") if p.strip()]
    return news_page(title, paragraphs, published)


@pytest.fixture
def stored(prefect_harness, env, site, tmp_path):
    """The seed article (April 2019) and the Sudan story (May 2023), backfilled from a URL list."""
    from flows.backfill import backfill

    site.add("/news/libya", SEED_HTML)
    site.add("/news/sudan", _text_page("sudan_talks", "2023-05-09T10:00:00Z"))
    listing = tmp_path / "urls.txt"
    listing.write_text(f"{site.url('/news/libya')}\n{site.url('/news/sudan')}\n")
    assert backfill(urls=[str(listing)])["articles_new"] == 2
    ids = dict(_rows(env.db, "select date_part('year', published_at)::int, article_id from articles"))
    return site, ids[2019], ids[2023]


def _lexicon_without(tmp_path: Path, trigger: str) -> Path:
    from flows.nlp import LEXICON_PATH

    text = LEXICON_PATH.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    kept = [row for row in rows if not row or row[0] != trigger]
    assert len(kept) < len(rows)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(kept)
    path = tmp_path / "event_lexicon.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _derived(db: Path, article_id: str) -> dict:
    return {
        "events": sorted(_rows(db, "select sentence_idx, trigger, event_type, nlp_version from events"
                                   " where article_id = ?", [article_id])),
        "mentions": sorted(_rows(db, "select start_char, end_char, text, nlp_version from mentions"
                                     " where article_id = ?", [article_id])),
        "entities": sorted(_rows(db, "select entity_id, nlp_version from article_entities where article_id = ?",
                                 [article_id])),
        "article": _rows(db, "select body, extractor_version, nlp_version from articles where article_id = ?",
                         [article_id])[0],
    }


def test_reprocess_after_a_lexicon_change_rebuilds_a_date_range_offline(env, stored, tmp_path, monkeypatch):
    from flows.reprocess import reprocess

    site, seed_id, sudan_id = stored
    seed_before, sudan_before = _derived(env.db, seed_id), _derived(env.db, sudan_id)
    assert any(trigger == "meet" for _, trigger, _, _ in seed_before["events"])  # Guterres to meet Haftar

    monkeypatch.setenv("NEWSDUCK_LEXICON", str(_lexicon_without(tmp_path, "meet")))
    hits = site.total_hits
    result = reprocess(since="2019-04-01", until="2019-04-30")
    assert (result["candidates"], result["reprocessed"]) == (1, 1)
    assert site.total_hits == hits  # not one request

    seed_after = _derived(env.db, seed_id)
    new_version = result["nlp_version"]
    assert new_version != seed_before["article"][2]
    assert not any(trigger == "meet" for _, trigger, _, _ in seed_after["events"])
    assert {e[1:3] for e in seed_after["events"]} != {e[1:3] for e in seed_before["events"]}
    # every derived row says which version made it
    assert seed_after["article"][2] == new_version
    assert {e[3] for e in seed_after["events"]} == {m[3] for m in seed_after["mentions"]} == {new_version}
    assert {e[1] for e in seed_after["entities"]} == {new_version}
    # the body and the entities do not depend on the lexicon
    assert seed_after["article"][0] == seed_before["article"][0]
    assert [m[:3] for m in seed_after["mentions"]] == [m[:3] for m in seed_before["mentions"]]
    # outside the range: untouched
    assert _derived(env.db, sudan_id) == sudan_before

    # Nothing left to do in that range; the whole database then redoes only the other article.
    assert reprocess(since="2019-04-01", until="2019-04-30")["candidates"] == 0
    assert reprocess()["reprocessed"] == 1
    assert _derived(env.db, sudan_id)["article"][2] == new_version
    assert site.total_hits == hits
    assert _rows(env.db, "select count(*) from runs where flow = 'reprocess'")[0][0] == 3


def test_a_failed_batch_changes_nothing(env, stored, tmp_path, monkeypatch):
    import flows.reprocess
    from flows.reprocess import reprocess

    _, seed_id, _ = stored
    before = _derived(env.db, seed_id)
    monkeypatch.setenv("NEWSDUCK_LEXICON", str(_lexicon_without(tmp_path, "meet")))
    statements = flows.warehouse.split_statements(flows.reprocess.REPLACE_SQL.read_text(encoding="utf-8"))
    monkeypatch.setattr(flows.reprocess, "_REPLACE_STATEMENTS", statements + ["select error('disk full')"])
    monkeypatch.setattr(flows.reprocess, "replace_derived", flows.reprocess.replace_derived.with_options(retries=0))
    with pytest.raises(Exception, match="disk full"):
        reprocess()
    assert _derived(env.db, seed_id) == before  # the transaction rolled back whole
