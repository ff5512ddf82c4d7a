"""Builders for backfill tests and benchmarks: distinct generated news stories, WARC files; and
stalls that put a crash test's kill -9 at a chosen moment of a flow."""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.sitekit import news_page

_CITIES = ["Nairobi", "Lagos", "Accra", "Dakar", "Kampala", "Lusaka", "Harare", "Maputo", "Luanda", "Addis Ababa",
           "Khartoum", "Tunis", "Rabat", "Cairo", "Kigali", "Bamako", "Niamey", "Abuja", "Douala", "Kinshasa"]
_PEOPLE = ["Amina Odhiambo", "Kwame Mensah", "Fatou Diallo", "Joseph Kabila", "Grace Banda", "Samuel Okoro",
           "Leila Haddad", "Youssef Benali", "Ngozi Eze", "Peter Mwangi", "Aisha Bello", "Daniel Tesfaye"]
_BODIES = ["the African Union", "the World Bank", "the United Nations", "the central bank", "the electoral commission",
           "the health ministry", "the port authority", "the teachers' union", "the national assembly"]
_TOPICS = ["a new water project", "fuel subsidies", "a disputed election result", "road repairs after the floods",
           "a vaccination campaign", "the price of bread", "a border crossing", "teachers' pay", "a mining licence"]


def story(i: int) -> tuple[str, list[str]]:
    """A distinct, deterministic news story: a title and three paragraphs (~110 words)."""
    city, person = _CITIES[i % len(_CITIES)], _PEOPLE[(i * 7) % len(_PEOPLE)]
    body, topic = _BODIES[(i * 3) % len(_BODIES)], _TOPICS[(i * 5) % len(_TOPICS)]
    other = _PEOPLE[(i * 7 + 5) % len(_PEOPLE)]
    title = f"{person} meets {body} in {city} over {topic} (report {i})"
    return title, [
        f"{person} met officials of {body} in {city} on Tuesday to discuss {topic}, according to a statement "
        f"released after the talks. Report number {i} of the series says the meeting lasted four hours.",
        f"{other} criticised the plan and said residents of {city} had waited {i % 9 + 2} years for a decision. "
        f"Protesters gathered outside the venue, and police said {i % 40 + 3} people were briefly detained.",
        f"{body[0].upper() + body[1:]} promised to publish its findings within {i % 11 + 2} weeks. "
        f"Observers in {city} said the outcome would shape the debate about {topic} for months to come.",
    ]


def story_page(i: int, published: str | None, *, canonical: str | None = None) -> str:
    """A realistic page for story i; published=None gives a page that states no date at all."""
    title, paragraphs = story(i)
    page = news_page(title, paragraphs, published or "2000-01-01T00:00:00Z", canonical=canonical)
    if published is None:
        page = (page.replace('<meta property="article:published_time" content="2000-01-01T00:00:00Z">', "")
                .replace('<time datetime="2000-01-01T00:00:00Z">2000-01-01</time>', "")
                .replace("© 2019 ", "© "))
    return page


@dataclass
class Record:
    """One WARC record to write: a response (HTML or not), a request, a revisit or metadata."""

    kind: str  # response | request | revisit | metadata
    url: str
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: str = "200 OK"
    date: str = "2024-01-15T12:00:00Z"


def write_warc(path: Path, records: Iterable[Record], *, gzip: bool = True) -> Path:
    """Write records with warcio (a warcinfo record first), one gzip member per record."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gzip)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "newsduck tests"}))
        for r in records:
            headers = {"WARC-Date": r.date}
            if r.kind == "response":
                http = StatusAndHeaders(r.status, [("Content-Type", r.content_type),
                                                   ("Content-Length", str(len(r.body)))], protocol="HTTP/1.1")
                record = writer.create_warc_record(r.url, "response", payload=io.BytesIO(r.body),
                                                   http_headers=http, warc_headers_dict=headers)
            elif r.kind == "request":
                http = StatusAndHeaders(f"GET /{r.url.split('/', 3)[-1]} HTTP/1.1", [("Host", r.url.split("/")[2])],
                                        is_http_request=True)
                record = writer.create_warc_record(r.url, "request", payload=io.BytesIO(b""), http_headers=http,
                                                   warc_headers_dict=headers)
            elif r.kind == "revisit":
                record = writer.create_revisit_record(r.url, digest="sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ",
                                                      refers_to_uri=r.url, refers_to_date=r.date,
                                                      warc_headers_dict=headers)
            else:
                record = writer.create_warc_record(r.url, "metadata", payload=io.BytesIO(b"via: test\n"),
                                                   warc_content_type="application/warc-fields",
                                                   warc_headers_dict=headers)
            writer.write_record(record)
    return path


# -- kill -9 at a chosen moment ------------------------------------------------------------------
# A crash test runs a flow in a child process whose first line calls one of the stall_* functions
# below (see stalled_cli), waits for the marker file, then kills the child with SIGKILL: the kill
# lands at that moment of the work, not at a moment a timer guessed. They patch the child only;
# the production code has no test hooks.

_MARKER_ENV = "NEWSDUCK_TESTS_STALL_MARKER"  # how the marker's path reaches a worker process
_real_analyze_chunk = None  # set in the flow's process by stall_inside_nlp; None on a worker


def stalled_cli(stall: str, **kwargs: object) -> list[str]:
    """argv that runs the newsduck CLI (append its arguments) after `stall(**kwargs)`."""
    import sys

    return [sys.executable, "-c", f"from tests.backfillkit import {stall}; {stall}(**{kwargs!r}); "
                                  "from flows.cli import app; app()"]


def stall_inside_merge(marker: str, *, merge: int, before: str) -> None:
    """Stop the `merge`-th batch merge of this process inside its open transaction, just before
    the statement of sql/load/merge_batch.sql that starts with `before`; write the marker (JSON:
    the batch, and what the transaction sees that it has written); sleep until killed."""
    from flows import warehouse

    statements = warehouse.read_statements(warehouse.MERGE_SQL)
    assert any(s.startswith(before) for s in statements), f"no merge statement starts with {before!r}"
    real, state = warehouse.merge_batch, {"merges": 0}

    def merge_batch(con, batch_dir, run_id=None):
        state["con"], state["batch_id"] = con, batch_dir.name
        return real(con, batch_dir, run_id)

    class Statements(list):
        """The merge's statements; iterated once per merge transaction."""

        def __iter__(self):
            state["merges"] += 1
            for statement in list.__iter__(self):
                if state["merges"] == merge and statement.startswith(before):
                    con = state["con"]
                    counts = {t: con.execute(f"select count(*) from {t}").fetchone()[0]
                              for t in ("articles", "mentions", "events", "loaded_batches")}
                    checkpoints = con.execute("select unit, resume_at, done from backfill_checkpoints"
                                              " order by unit").fetchall()
                    _mark(marker, {"pid": os.getpid(), "batch_id": state["batch_id"], "counts": counts,
                                   "checkpoints": checkpoints})
                    _sleep_until_killed()
                yield statement

    warehouse._MERGE_STATEMENTS = Statements(statements)
    warehouse.merge_batch = merge_batch


def stall_inside_nlp(marker: str, *, call: int) -> None:
    """Make the `call`-th NLP call of this process stop on the worker process that runs it (or
    inline, with one worker) after it analysed its texts, before it hands them back; write the
    marker (JSON: that process's pid, how many texts); sleep until killed."""
    from flows import workers

    global _real_analyze_chunk
    _real_analyze_chunk = workers._analyze_chunk
    os.environ[_MARKER_ENV] = marker  # spawned workers inherit it
    real, calls = workers.analyze, []

    def analyze(items, settings, timings=None):
        calls.append(1)
        if len(calls) != call:
            return real(items, settings, timings)
        workers._analyze_chunk = _stalling_analyze_chunk  # pickled by name: the worker imports this module
        try:
            return real(items, settings, timings)
        finally:
            workers._analyze_chunk = _real_analyze_chunk

    workers.analyze = analyze


def _stalling_analyze_chunk(work: list) -> tuple:
    from flows import workers

    (_real_analyze_chunk or workers._analyze_chunk)(work)
    _mark(os.environ[_MARKER_ENV], {"pid": os.getpid(), "texts": len(work)})
    _sleep_until_killed()


def _mark(marker: str, data: dict) -> None:
    """Write the marker atomically: whoever sees it sees all of it."""
    import json

    part = Path(f"{marker}.{os.getpid()}.part")
    part.write_text(json.dumps(data, default=str))
    os.replace(part, marker)


def _sleep_until_killed() -> None:
    import time

    while True:
        time.sleep(3600)


def wait_for_marker(marker: Path, process, log: Callable[[], str], timeout: float = 120) -> dict:
    """The marker's JSON once it appears; fails when the process ends first or time runs out."""
    import json
    import time

    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert process.poll() is None, f"the run ended before it reached the stall:\n{log()[-3000:]}"
        assert time.monotonic() < deadline, f"the run did not reach the stall in {timeout}s:\n{log()[-3000:]}"
        time.sleep(0.01)
    return json.loads(marker.read_text())
