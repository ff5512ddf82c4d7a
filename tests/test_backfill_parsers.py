"""The backfill's pure parts: URL lists, CDX pages, WARC record verdicts, dates and windows, the
date a hint gives an article, and the WARC reader's resume offsets."""

from __future__ import annotations

import json
from datetime import date, datetime
from urllib.parse import parse_qs, urlencode

import pytest

from tests.backfillkit import Record, story_page, write_warc
from transforms.sources.backfill import DateWindow, backfill_id, in_domains, parse_day, parse_w3c_datetime
from transforms.page.clean import extract_article
from transforms.records import FeedEntry
from transforms.sources.urllists import parse_url_list
from transforms.sources.warc import classify_record
from transforms.sources.wayback import cdx_params, parse_cdx_json, parse_timestamp14


def test_url_list_plain():
    entries, skipped = parse_url_list("\ufeff# comment\nhttps://a.example.com/1?utm_medium=x\n\n"
                                      "https://a.example.com/2\nhttps://a.example.com/1\nftp://nope\n")
    assert [e.url for e in entries] == ["https://a.example.com/1", "https://a.example.com/2"]
    assert [s.reason for s in skipped] == ["bad_url"]


def test_url_list_csv_with_dates():
    entries, skipped = parse_url_list("title,URL,Published_At\nA,https://a.example.com/1,2024-01-02T10:00:00+02:00\n"
                                      "B,https://a.example.com/2,\nC,https://a.example.com/3,yesterday\n")
    assert [(e.url, e.published_at) for e in entries] == [
        ("https://a.example.com/1", datetime(2024, 1, 2, 8)), ("https://a.example.com/2", None),
        ("https://a.example.com/3", None)]
    assert [s.reason for s in skipped] == ["bad_date"]


@pytest.mark.parametrize("value, expected", [
    ("2024", datetime(2024, 1, 1)),
    ("2024-02", datetime(2024, 2, 1)),
    ("2024-02-03", datetime(2024, 2, 3)),
    ("2024-02-03T04:05Z", datetime(2024, 2, 3, 4, 5)),
    ("2024-02-03T04:05:06.1234567-05:00", datetime(2024, 2, 3, 9, 5, 6, 123456)),
    ("2024-02-03 04:05:06", datetime(2024, 2, 3, 4, 5, 6)),
    ("03/02/2024", None),
    ("", None),
])
def test_w3c_datetimes(value, expected):
    assert parse_w3c_datetime(value) == expected


def test_date_window_includes_both_days_and_keeps_unknown_dates():
    window = DateWindow.from_days(date(2024, 1, 1), date(2024, 1, 31))
    assert not window.excludes(datetime(2024, 1, 31, 23, 59))
    assert window.excludes(datetime(2024, 2, 1)) and window.excludes(datetime(2023, 12, 31, 23, 59))
    assert not window.excludes(None)
    assert window.describe() == "2024-01-01..2024-01-31"
    with pytest.raises(ValueError):
        parse_day("January")


def test_domains_and_ids():
    assert in_domains("https://www.apnews.com/x", ["apnews.com"])
    assert not in_domains("https://notapnews.com/x", ["apnews.com"])
    assert in_domains("https://anything.org/", [])
    window = DateWindow.from_days(date(2024, 1, 1), None)
    assert backfill_id("warc", "f", window, ["B.com", "a.com"]) == backfill_id("warc", "f", window, ["a.com", "b.com"])
    assert backfill_id("warc", "f", window, []) != backfill_id("warc", "f", DateWindow(), [])


@pytest.mark.parametrize("rec_type, url, status, content_type, reason", [
    ("response", "https://a.example.com/x", "200", "text/html; charset=utf-8", None),
    ("response", "https://a.example.com/x", "200", "", None),  # no type: the cleaner sniffs
    ("response", "https://a.example.com/x", "200", "application/pdf", "not_html"),
    ("response", "https://a.example.com/x", "301", "text/html", "http_301"),
    ("response", "dns:a.example.com", None, "", "not_http"),
    ("response", "https://other.example.org/x", "200", "text/html", "other_domain"),
    ("request", "https://a.example.com/x", None, "", "request"),
    ("revisit", "https://a.example.com/x", "200", "text/html", "revisit"),
    ("metadata", "https://a.example.com/x", None, "", "metadata"),
])
def test_warc_record_verdicts(rec_type, url, status, content_type, reason):
    assert classify_record(rec_type, url, status, content_type, ["example.com"]) == reason


def test_cdx_page_with_resume_key():
    raw = json.dumps([["timestamp", "original", "mimetype", "statuscode", "digest"],
                      ["20240401120000", "http://a.example.com:80/x?utm_source=t", "text/html", "200", "D1"],
                      ["20240402", "http://a.example.com/y", "warc/revisit", "-", "D1"],
                      ["20240403000000", "http://a.example.com/z.pdf", "application/pdf", "200", "D3"],
                      [], ["a.example.com)/y 20240402"]]).encode()
    page = parse_cdx_json(raw)
    assert page.resume_key == "a.example.com)/y 20240402"
    [snap] = page.snapshots
    assert (snap.url, snap.original, snap.captured_at) == (
        "http://a.example.com/x", "http://a.example.com:80/x?utm_source=t", datetime(2024, 4, 1, 12))
    assert [s.reason for s in page.skipped] == ["revisit", "not_html"]
    assert parse_cdx_json(b"").snapshots == () and parse_cdx_json(b"[]").resume_key == ""
    assert parse_cdx_json(b"<html>rate limited</html>").reason == "malformed_cdx"
    assert parse_timestamp14("201904") == datetime(2019, 4, 1)


def test_cdx_query():
    query = parse_qs(urlencode(cdx_params("a.example.com/news/", date(2024, 1, 1), date(2024, 1, 31), limit=500,
                                          resume_key="k")))
    assert query["matchType"] == ["prefix"] and query["collapse"] == ["urlkey"]
    assert (query["from"], query["to"], query["resumeKey"]) == (["20240101"], ["20240131"], ["k"])
    assert "matchType" not in parse_qs(urlencode(cdx_params("a.example.com/*", None, None, limit=5)))


@pytest.mark.parametrize("hint_source, page, url, expected", [
    ("sitemap", None, "https://a.example.com/x", (datetime(2024, 2, 3, 9), "sitemap")),
    ("sitemap", "2024-02-01T08:00:00Z", "https://a.example.com/x", (datetime(2024, 2, 1, 8), "page")),
    ("list", None, "https://a.example.com/2019/04/05/x", (datetime(2024, 2, 3, 9), "list")),
    # a capture date is the last resort: after the page and after a date in the URL
    ("warc", None, "https://a.example.com/2019/04/05/x", (datetime(2019, 4, 5), "url")),
    ("warc", None, "https://a.example.com/x", (datetime(2024, 2, 3, 9), "warc")),
    ("wayback", "2019-04-05T07:00:00Z", "https://a.example.com/x", (datetime(2019, 4, 5, 7), "page")),
])
def test_hint_dates_and_their_source(hint_source, page, url, expected):
    hint = FeedEntry(url=url, guid="", title="", summary="", content="", author="",
                     published_at=datetime(2024, 2, 3, 9), date_source=hint_source)
    article = extract_article(story_page(1, page).encode(), url, hint)
    assert (article.published_at, article.date_source) == expected


def test_warc_reader_resumes_at_any_record_offset(tmp_path):
    from flows.backfill_sources import Page, warc_source
    from flows.settings import Settings

    for compressed in (True, False):
        path = write_warc(tmp_path / f"x{compressed}.warc", [
            Record("response", f"https://a.example.com/{i}", story_page(i, None).encode()) for i in range(4)
        ] + [Record("request", "https://a.example.com/0")], gzip=compressed)
        [unit] = warc_source(path, DateWindow(), [], Settings()).units(set())
        events = list(unit.events(None))
        assert [type(e).__name__ for e in events] == ["Passed", "Page", "Page", "Page", "Page", "Passed"]
        assert path.stat().st_size - 4 <= events[-1].progress <= path.stat().st_size  # trailing CRLFs
        for k, event in enumerate(events):
            again = list(unit.events(event.at))
            assert [(type(e).__name__, e.at, getattr(e, "url", "")) for e in again] == \
                   [(type(e).__name__, e.at, getattr(e, "url", "")) for e in events[k:]]
        assert isinstance(events[1], Page) and events[1].response.body.startswith(b"<!DOCTYPE html>")
        assert events[1].hint.date_source == "warc"


def test_unreadable_warc_stops_at_the_last_good_record(tmp_path):
    from flows.backfill_sources import warc_source
    from flows.settings import Settings

    path = write_warc(tmp_path / "cut.warc.gz", [
        Record("response", f"https://a.example.com/{i}", story_page(i, None).encode()) for i in range(3)])
    [unit] = warc_source(path, DateWindow(), [], Settings()).units(set())
    offsets = [e.at["offset"] for e in unit.events(None)]  # warcinfo, then the three pages
    path.write_bytes(path.read_bytes()[:offsets[3]] + b"garbage" * 10)  # the third page overwritten
    [unit] = warc_source(path, DateWindow(), [], Settings()).units(set())
    events = list(unit.events(None))
    assert [type(e).__name__ for e in events] == ["Passed", "Page", "Page", "Stop"]
    assert (events[-1].reason, events[-1].at) == ("warc_unreadable", {"offset": offsets[2]})


def test_checkpoints_still_staged_count(tmp_path):
    """A run that found the database locked left its checkpoints staged: the next run sees them."""
    from flows import staging
    from flows.backfill import read_checkpoints
    from flows.settings import Settings

    settings = Settings(db=tmp_path / "none.duckdb", data_dir=tmp_path / "data")
    row = {"backfill_id": "b1", "unit": "", "source": "warc", "label": "x", "resume_at": '{"offset": 1234}',
           "done": False, "run_id": "r", "updated_at": datetime(2024, 1, 1)}
    staging.write_batch(settings.staging_dir, "20240101T000000-r-00001",
                        {"checkpoints": staging.to_table("checkpoints", [row])})
    staging.write_batch(settings.staging_dir, "20240101T000000-r-00002", {"checkpoints": staging.to_table(
        "checkpoints", [row | {"resume_at": '{"offset": 5678}', "updated_at": datetime(2024, 1, 2)}])})
    assert read_checkpoints(settings, "b1")[""].resume_at == {"offset": 5678}
    assert read_checkpoints(settings, "other") == {}
