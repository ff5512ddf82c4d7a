"""The backfill's sources: URL lists, sitemaps, WARC/ARC files and the Wayback Machine.

Each source splits into units (the file, the Wayback listing, each child sitemap) and streams a
unit's events in order from a resume point:

- `Page`: a page to turn into an article (a URL to fetch, or a response the archive holds);
- `Passed`: an entry or record it will not process, with the reason (a request record, an entry
  outside the date window...);
- `Stop`: the unit cannot go on now (its listing failed); it stays unfinished.

Every event carries `at`, the resume point *before* it: a checkpoint saying "resume at the `at`
of the first event not yet handled" neither skips nor repeats anything.
"""

from __future__ import annotations

import asyncio
import hashlib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from prefect import task
from prefect.cache_policies import NO_CACHE
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from flows.http import Fetcher, FetchError, Response
from flows.settings import Settings
from transforms.sources.backfill import DateWindow, backfill_id, in_domains, parse_w3c_datetime
from transforms.records import FeedEntry, Skipped
from transforms.sources.sitemaps import ParsedSitemap, SitemapEntry, parse_sitemap
from transforms.sources.urllists import parse_url_list
from transforms.urls import canonicalize_url
from transforms.sources.warc import classify_record
from transforms.sources.wayback import CdxPage, cdx_params, parse_cdx_json, snapshot_url

MAX_SITEMAPS = 10_000  # child sitemaps followed from one index, nested indexes included
MAX_INDEX_DEPTH = 3
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


@dataclass(frozen=True, slots=True)
class Page:
    at: dict
    url: str  # canonical
    hint: FeedEntry | None = None  # what the source says about it: date (and its kind), title
    response: Response | None = None  # the page itself, when the source holds it (WARC)
    fetch_url: str | None = None  # where to fetch it, when not from url (a Wayback capture)
    progress: int = 0  # bytes of a WARC read through this record (other sources: 0)


@dataclass(frozen=True, slots=True)
class Passed:
    at: dict
    reason: str
    url: str = ""
    detail: str = ""
    record: bool = False  # worth a row in `skips` (a sitemap that failed), not just a count
    progress: int = 0


@dataclass(frozen=True, slots=True)
class Stop:
    at: dict
    reason: str
    url: str = ""
    detail: str = ""
    progress: int = 0


Event = Page | Passed | Stop


@dataclass
class Unit:
    key: str  # "" for a source read as one unit; a child sitemap's URL
    events: Callable[[dict | None], Iterator[Event]]
    total: int | None = None  # entries (or bytes), once known: the progress bar's total
    in_bytes: bool = False


@dataclass
class Source:
    kind: str  # urls | sitemap | warc | wayback
    label: str  # what the user gave
    backfill_id: str
    # units(done_units) -> the units still to do; Passed/Stop events about the listing itself
    units: Callable[[set[str]], Iterator[Unit | Passed | Stop]] = field(repr=False)
    multi_unit: bool = False  # units keyed by URL ('' is then the source as a whole)


# -- fetching documents (sitemaps, CDX pages) --------------------------------------------------


@task(name="fetch-documents", retries=1, retry_delay_seconds=10, cache_policy=NO_CACHE)
def fetch_documents(urls: list[str], settings: Settings, max_bytes: int) -> list[Response | FetchError]:
    """Fetch listing documents (sitemaps, CDX pages) within the usual politeness bounds."""
    return asyncio.run(_fetch_documents(urls, settings, max_bytes))


async def _fetch_documents(urls: list[str], settings: Settings, max_bytes: int) -> list[Response | FetchError]:
    async with Fetcher(settings) as fetcher:
        async def one(url: str) -> Response | FetchError:
            try:
                # listings are made for machines, like feeds: robots.txt governs the pages
                return await fetcher.fetch(url, max_bytes=max_bytes, robots=False)
            except FetchError as exc:
                return exc
        return await asyncio.gather(*(one(url) for url in urls))


def _fetch_one(url: str, settings: Settings, max_bytes: int) -> Response | FetchError:
    return fetch_documents([url], settings, max_bytes)[0]


# -- URL lists -----------------------------------------------------------------------------------


def url_list_source(path: Path, window: DateWindow, domains: list[str]) -> Source:
    """A file of URLs (one per line, or a CSV with url and optionally published_at)."""
    raw = path.read_bytes()
    identity = f"{path.name}:{hashlib.sha1(raw).hexdigest()}"  # an edited list is another backfill
    entries, skipped = parse_url_list(raw.decode("utf-8", errors="replace"))

    def events(at: dict | None) -> Iterator[Event]:
        start = (at or {}).get("index", 0)
        if start == 0:
            for bad in skipped:
                yield Passed({"index": 0}, bad.reason, bad.url, bad.detail)
        for i in range(start, len(entries)):
            entry, here = entries[i], {"index": i}
            if not in_domains(entry.url, domains):
                yield Passed(here, "other_domain", entry.url)
            elif window.excludes(entry.published_at):
                yield Passed(here, "out_of_range", entry.url)
            else:
                hint = _hint(entry.url, entry.published_at, "list") if entry.published_at else None
                yield Page(here, entry.url, hint)

    def units(done: set[str]) -> Iterator[Unit]:
        yield Unit("", events, total=len(entries))

    return Source("urls", str(path), backfill_id("urls", identity, window, domains), units)


def _hint(url: str, published, date_source: str, title: str = "") -> FeedEntry:
    return FeedEntry(url=url, guid="", title=title, summary="", content="", author="",
                     published_at=published, date_source=date_source)


# -- sitemaps ------------------------------------------------------------------------------------


def sitemap_source(url: str, window: DateWindow, domains: list[str], settings: Settings) -> Source:
    """A sitemap, a news sitemap or a sitemap index (followed), gzip-compressed or not."""
    root = canonicalize_url(url) or url

    def units(done: set[str]) -> Iterator[Unit | Passed | Stop]:
        queue, listed, depth_of = [root], 0, {root: 0}
        while queue:
            current = queue.pop(0)
            if current in done:
                continue
            got = _read_sitemap(current, settings)
            if isinstance(got, Stop):
                yield got
                continue
            if isinstance(got, Passed):  # permanently unusable: counted, recorded, not retried
                yield got
                continue
            raw_hash, parsed = got
            if parsed.kind != "index":
                yield Unit(current, _sitemap_events(current, settings, window, domains, prefetched=(raw_hash, parsed)),
                           total=len(parsed.entries))
                continue
            for bad in parsed.skipped:
                yield Passed({}, bad.reason, bad.url, bad.detail)
            for ref in parsed.sitemaps:
                if ref.url in depth_of:
                    continue
                depth_of[ref.url] = depth_of[current] + 1
                listed += 1
                if listed > MAX_SITEMAPS or depth_of[ref.url] > MAX_INDEX_DEPTH:
                    yield Passed({}, "too_many_sitemaps", ref.url, record=True)
                elif window.since and ref.lastmod and ref.lastmod < window.since:
                    # nothing in it changed since before the window: nothing in it is that recent
                    yield Passed({}, "sitemap_out_of_range", ref.url)
                elif ref.url not in done:
                    queue.append(ref.url)

    return Source("sitemap", root, backfill_id("sitemap", root, window, domains), units, multi_unit=True)


def _read_sitemap(url: str, settings: Settings) -> tuple[str, ParsedSitemap] | Passed | Stop:
    got = _fetch_one(url, settings, settings.max_sitemap_bytes)
    if isinstance(got, FetchError):
        if got.transient:
            return Stop({}, f"sitemap_{got.reason}", url, got.detail)
        return Passed({}, f"sitemap_{got.reason}", url, got.detail, record=True)
    parsed = parse_sitemap(got.body, got.final_url, max_bytes=settings.max_sitemap_bytes)
    if isinstance(parsed, Skipped):
        return Passed({}, f"sitemap_{parsed.reason}", url, parsed.detail, record=True)
    return hashlib.sha1(got.body).hexdigest()[:16], parsed


def _sitemap_events(url: str, settings: Settings, window: DateWindow, domains: list[str],
                    prefetched: tuple[str, ParsedSitemap] | None = None) -> Callable[[dict | None], Iterator[Event]]:
    def events(at: dict | None) -> Iterator[Event]:
        got = prefetched or _read_sitemap(url, settings)
        if isinstance(got, (Passed, Stop)):
            yield got
            return
        raw_hash, parsed = got
        # The position is only good for the same document: a sitemap that changed starts over
        # (stored pages are skipped anyway, so this costs lookups, not fetches).
        start = (at or {}).get("index", 0) if (at or {}).get("sha1") == raw_hash else 0
        if start == 0:
            for bad in parsed.skipped:
                yield Passed({"sha1": raw_hash, "index": 0}, bad.reason, bad.url, bad.detail)
        for i in range(start, len(parsed.entries)):
            entry, here = parsed.entries[i], {"sha1": raw_hash, "index": i}
            reason = _sitemap_entry_verdict(entry, window, domains)
            if reason:
                yield Passed(here, reason, entry.url)
            else:
                hint = (_hint(entry.url, entry.published_at, "sitemap", entry.title)
                        if entry.published_at or entry.title else None)
                yield Page(here, entry.url, hint)
    return events


def _sitemap_entry_verdict(entry: SitemapEntry, window: DateWindow, domains: list[str]) -> str | None:
    if not in_domains(entry.url, domains):
        return "other_domain"
    if window.excludes(entry.published_at):
        return "out_of_range"
    # lastmod is when the page last changed: a page unchanged since before the window was
    # published before it too
    if entry.published_at is None and entry.lastmod and window.since and entry.lastmod < window.since:
        return "out_of_range"
    return None


# -- WARC / ARC files ----------------------------------------------------------------------------


def warc_files(paths: list[str]) -> list[Path]:
    """The archive files named, directories expanded to the WARC/ARC files in them (sorted)."""
    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.name.lower().endswith(WARC_SUFFIXES))
        else:
            files.append(path)
    return files


def warc_source(path: Path, window: DateWindow, domains: list[str], settings: Settings) -> Source:
    """A WARC or ARC file (plain or gzip per record), read streaming with warcio."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    # the same file under another path is the same backfill; another file with that name is not
    identity = f"{path.name}:{size}:{hashlib.sha1(head).hexdigest()}"

    def events(at: dict | None) -> Iterator[Event]:
        offset = (at or {}).get("offset", 0)
        with path.open("rb") as fh:
            fh.seek(offset)
            records = ArchiveIterator(fh, arc2warc=True)
            here = {"offset": offset}
            try:
                for record in records:
                    event = _warc_event(record, window, domains, settings.max_page_bytes)
                    start = records.get_record_offset()  # after the content: this reads the rest
                    here, progress = {"offset": start}, start + records.get_record_length()
                    yield _with_position(event, here, progress)
            except (ArchiveLoadFailed, EOFError, OSError, ValueError, zlib.error) as exc:
                # the rest of the file is unreadable: resume at the last good record next time
                yield Stop(here, "warc_unreadable", str(path), f"{type(exc).__name__}: {exc}"[:300], progress=size)

    def units(done: set[str]) -> Iterator[Unit]:
        yield Unit("", events, total=size, in_bytes=True)

    return Source("warc", str(path), backfill_id("warc", identity, window, domains), units)


def _warc_event(record, window: DateWindow, domains: list[str], max_bytes: int) -> Page | Passed:
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    http = record.http_headers
    status = http.get_statuscode() if http is not None and record.rec_type == "response" else None
    content_type = (http.get_header("Content-Type") or "") if http is not None else ""
    reason = classify_record(record.rec_type or "", url, status, content_type, domains)
    if reason:
        return Passed({}, reason, url)
    captured = parse_w3c_datetime(record.rec_headers.get_header("WARC-Date"))
    if window.since and captured and captured < window.since:
        return Passed({}, "out_of_range", url)  # captured before the window: published before it
    body = record.content_stream().read(max_bytes + 1)
    if len(body) > max_bytes:
        return Passed({}, "too_large", url, f"more than {max_bytes} bytes")
    canonical = canonicalize_url(url) or url
    response = Response(url=url, final_url=url, status=int(status),
                        headers={k.lower(): v for k, v in http.headers}, body=body)
    return Page({}, canonical, _hint(canonical, captured, "warc"), response)


def _with_position(event: Page | Passed, at: dict, progress: int) -> Page | Passed:
    if isinstance(event, Page):
        return Page(at, event.url, event.hint, event.response, event.fetch_url, progress)
    return Passed(at, event.reason, event.url, event.detail, event.record, progress)


# -- the Wayback Machine -------------------------------------------------------------------------


def wayback_source(prefix: str, window: DateWindow, domains: list[str], settings: Settings) -> Source:
    """Captures under a URL prefix between --since and --until, listed page by page (CDX API)."""
    since = window.since.date() if window.since else None
    until = (window.until - timedelta(days=1)).date() if window.until else None  # the last day, inclusive

    def events(at: dict | None) -> Iterator[Event]:
        key, start = (at or {}).get("resume_key", ""), (at or {}).get("index", 0)
        while True:
            here = {"resume_key": key, "index": start}
            query = urlencode(cdx_params(prefix, since, until, limit=settings.wayback_page_size, resume_key=key))
            got = _fetch_one(f"{settings.wayback_cdx_url}?{query}", settings, settings.max_feed_bytes)
            if isinstance(got, FetchError):
                yield Stop(here, f"cdx_{got.reason}", prefix, got.detail)
                return
            page = parse_cdx_json(got.body)
            if isinstance(page, Skipped):
                yield Stop(here, f"cdx_{page.reason}", prefix, page.detail)
                return
            yield from _cdx_events(page, key, start, domains, settings)
            if not page.resume_key or page.resume_key == key:
                return
            key, start = page.resume_key, 0

    def units(done: set[str]) -> Iterator[Unit]:
        yield Unit("", events)

    return Source("wayback", prefix, backfill_id("wayback", prefix, window, domains), units)


def _cdx_events(page: CdxPage, key: str, start: int, domains: list[str],
                settings: Settings) -> Iterator[Event]:
    if start == 0:
        for bad in page.skipped:
            yield Passed({"resume_key": key, "index": 0}, bad.reason, bad.url, bad.detail)
    for i in range(start, len(page.snapshots)):
        snap, here = page.snapshots[i], {"resume_key": key, "index": i}
        if not in_domains(snap.url, domains):
            yield Passed(here, "other_domain", snap.url)
            continue
        yield Page(here, snap.url, _hint(snap.url, snap.captured_at, "wayback"),
                   fetch_url=snapshot_url(settings.wayback_snapshot_url, snap))
