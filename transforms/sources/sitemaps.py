"""Sitemaps: bytes in, child sitemaps or page entries out.

Reads sitemap indexes, urlsets (with the Google News extension's publication date and title),
gzip-compressed sitemaps (recognised by their magic bytes, not by name or header: servers label
them every which way) and plain-text sitemaps (one URL per line). A sitemap is untrusted input:
lxml parses it without a DTD, entity expansion or network access, and decompression is capped.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from transforms.sources.backfill import parse_w3c_datetime
from transforms.records import Skipped
from transforms.urls import canonicalize_url

GZIP_MAGIC = b"\x1f\x8b"
MAX_SITEMAP_BYTES = 52_428_800  # the protocol's limit for one uncompressed sitemap (50 MiB)


@dataclass(frozen=True, slots=True)
class SitemapRef:
    """A child sitemap listed by an index."""

    url: str
    lastmod: datetime | None  # naive UTC


@dataclass(frozen=True, slots=True)
class SitemapEntry:
    """One page listed by a sitemap."""

    url: str  # canonicalised
    lastmod: datetime | None  # naive UTC: when the page last changed (not its publication)
    published_at: datetime | None  # news:publication_date, naive UTC
    title: str  # news:title, or ""


@dataclass(frozen=True, slots=True)
class ParsedSitemap:
    kind: str  # "index" | "urlset" | "text"
    sitemaps: tuple[SitemapRef, ...]
    entries: tuple[SitemapEntry, ...]
    skipped: tuple[Skipped, ...]


def parse_sitemap(raw: bytes, base_url: str, *, max_bytes: int = MAX_SITEMAP_BYTES) -> ParsedSitemap | Skipped:
    """Parse a sitemap or sitemap index.

    Args:
        raw: the document as fetched, gzip-compressed or not.
        base_url: its URL (to resolve the odd relative <loc>, and for skip records).
        max_bytes: cap on the uncompressed size.

    Returns:
        ParsedSitemap (kind "index" with `sitemaps`, or "urlset"/"text" with `entries`; unusable
        <loc>s in `skipped`), or Skipped(base_url, reason) for "too_large", "not_sitemap",
        "malformed_sitemap", "empty".
    """
    if raw[:2] == GZIP_MAGIC:
        inflated = _gunzip(raw, max_bytes)
        if isinstance(inflated, Skipped):
            return Skipped(base_url, inflated.reason, inflated.detail)
        raw = inflated
    elif len(raw) > max_bytes:
        return Skipped(base_url, "too_large", f"more than {max_bytes} bytes")
    head = raw[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        return Skipped(base_url, "empty", "empty document")
    if head[:1] != b"<":
        return _parse_text(raw, base_url)
    return _parse_xml(raw, base_url)


def _gunzip(raw: bytes, max_bytes: int) -> bytes | Skipped:
    """Inflate a gzip document, refusing to go past max_bytes (a gzip bomb stops there)."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, max_bytes + 1)
    except zlib.error as exc:
        return Skipped("", "malformed_sitemap", f"bad gzip: {exc}")
    if len(out) > max_bytes:
        return Skipped("", "too_large", f"more than {max_bytes} bytes uncompressed")
    return out


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, recover=True, remove_comments=True, remove_pis=True)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(element: etree._Element, name: str) -> str:
    for child in element:
        if _local(child.tag) == name:
            return "".join(child.itertext()).strip()  # entity references stay unexpanded, out
    return ""


def _parse_xml(raw: bytes, base_url: str) -> ParsedSitemap | Skipped:
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as exc:
        return Skipped(base_url, "malformed_sitemap", str(exc)[:200])
    if root is None:
        return Skipped(base_url, "malformed_sitemap", "no root element")
    kind = _local(root.tag)
    skipped: list[Skipped] = []
    if kind == "sitemapindex":
        refs, seen = [], set()
        for element in root:
            if _local(element.tag) != "sitemap":
                continue
            loc = _child_text(element, "loc")
            url = canonicalize_url(loc, base_url) if loc else ""
            if not url:
                skipped.append(Skipped(loc or base_url, "bad_url", "sitemap <loc>"))
            elif url not in seen:
                seen.add(url)
                refs.append(SitemapRef(url, parse_w3c_datetime(_child_text(element, "lastmod"))))
        return ParsedSitemap("index", tuple(refs), (), tuple(skipped))
    if kind == "urlset":
        entries, seen = [], set()
        for element in root:
            if _local(element.tag) != "url":
                continue
            loc = _child_text(element, "loc")
            url = canonicalize_url(loc, base_url) if loc else ""
            if not url:
                skipped.append(Skipped(loc or base_url, "bad_url", "page <loc>"))
                continue
            if url in seen:
                continue
            seen.add(url)
            published, title = _news(element)
            entries.append(SitemapEntry(url, parse_w3c_datetime(_child_text(element, "lastmod")), published, title))
        return ParsedSitemap("urlset", (), tuple(entries), tuple(skipped))
    return Skipped(base_url, "not_sitemap", f"root element <{kind or root.tag}>")


def _news(element: etree._Element) -> tuple[datetime | None, str]:
    """news:publication_date and news:title of a <url>, when it carries the news extension."""
    for child in element:
        if _local(child.tag) == "news":
            return parse_w3c_datetime(_child_text(child, "publication_date")), _child_text(child, "title")
    return None, ""


def _parse_text(raw: bytes, base_url: str) -> ParsedSitemap | Skipped:
    """A text sitemap: one absolute URL per line, UTF-8."""
    text = raw.decode("utf-8", errors="replace")
    entries, skipped, seen = [], [], set()
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        url = canonicalize_url(line) if "://" in line else ""
        if not url:
            skipped.append(Skipped(line[:200], "bad_url", "text sitemap line"))
        elif url not in seen:
            seen.add(url)
            entries.append(SitemapEntry(url, None, None, ""))
    if not entries:
        return Skipped(base_url, "not_sitemap", "no URLs (HTML or other text?)")
    return ParsedSitemap("text", (), tuple(entries), tuple(skipped))
