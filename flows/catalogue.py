"""The feed catalogue: seeds/feeds.csv, any CSV with a `url` column, or an OPML export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from lxml import etree
from pydantic import BaseModel, field_validator

from transforms.urls import canonicalize_url


class FeedSource(BaseModel, frozen=True):
    """One feed to poll."""

    url: str
    name: str = ""
    language: str = ""
    tags: tuple[str, ...] = ()

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        url = canonicalize_url(value)
        if not url:
            raise ValueError(f"not an http(s) URL: {value!r}")
        return url


class CatalogueError(ValueError):
    """The catalogue file cannot be read at all."""


def read_catalogue(path: Path) -> list[FeedSource]:
    """Feeds listed in a CSV (url, name, language, tags separated by ';' or '|') or OPML file.

    Rows without a usable URL are dropped; duplicates keep their first row.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise CatalogueError(f"cannot read feed catalogue {path}: {exc}") from exc
    head = raw.lstrip()[:200].lower()
    if path.suffix.lower() in (".opml", ".xml") or head.startswith(b"<?xml") or b"<opml" in head:
        sources = _from_opml(raw)
    else:
        sources = _from_csv(raw.decode("utf-8-sig"))
    unique: dict[str, FeedSource] = {}
    for source in sources:
        unique.setdefault(source.url, source)
    return list(unique.values())


def _from_csv(text: str) -> list[FeedSource]:
    reader = csv.DictReader(io.StringIO(text))
    fields = {(f or "").strip().lower(): f for f in reader.fieldnames or []}
    if "url" not in fields:
        raise CatalogueError("the feed catalogue CSV needs a 'url' column")
    sources = []
    for row in reader:
        cell = {key: (row.get(original) or "").strip() for key, original in fields.items()}
        tags = tuple(t.strip() for t in cell.get("tags", "").replace("|", ";").split(";") if t.strip())
        source = _source(cell["url"], cell.get("name", ""), cell.get("language", ""), tags)
        if source:
            sources.append(source)
    return sources


def _from_opml(raw: bytes) -> list[FeedSource]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        raise CatalogueError(f"the OPML file is not well-formed XML: {exc}") from exc
    sources = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl") or outline.get("xmlurl")
        if not url:
            continue
        # Folders in OPML are parent outlines; use their titles as tags.
        tags = tuple(p.get("title") or p.get("text") or "" for p in outline.iterancestors("outline"))
        source = _source(url, outline.get("title") or outline.get("text") or "",
                         outline.get("language", ""), tuple(t for t in tags if t))
        if source:
            sources.append(source)
    return sources


def _source(url: str, name: str, language: str, tags: tuple[str, ...]) -> FeedSource | None:
    try:
        return FeedSource(url=url, name=name, language=language.lower(), tags=tags)
    except ValueError:
        return None
