"""The gazetteer as data: parsed seed rows, spaCy ruler patterns, and the acronym table.

Pure: flows/nlp.py reads `seeds/gazetteer.jsonl` and hands the rows in. Each row is one real-world
referent: `{"label": "GPE", "name": "Libya", "kind": "country", "aliases": [...]}`; every name and
alias becomes a case-sensitive phrase pattern whose span id is the canonical name, so the entity
resolver can tell "UN" and "United Nations" are one referent and "Tripoli" and "Libya" are two.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SPANS_KEY = "gazetteer"  # doc.spans key the span ruler writes to
# doc.spans key of the news gazetteer (seeds/gazetteer_news.jsonl: organisations from the
# PETRARCH2/Phoenix dictionaries, lower-case forms matched on LOWER). Its matches are evidence of
# a label, not referents: transforms/nlp/mentions.py keeps one only where it is written as a name
# and lets a one-word match only relabel a name the model found.
NEWS_SPANS_KEY = "news_gazetteer"
NOT_ENTITY = "NOT_ENTITY"  # label of rows that are not names though the model tags them ("Ebola")


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One referent of the gazetteer: canonical name, label and its other surface forms."""

    name: str
    label: str  # GPE, LOC, NORP, ORG, FAC, PERSON
    kind: str  # country, capital, city, region, demonym, igo, ngo, armed, media, ...
    aliases: tuple[str, ...]
    of: str = ""  # the country of a demonym, city or capital


def parse_gazetteer(rows: Iterable[Mapping[str, object]]) -> tuple[GazetteerEntry, ...]:
    """Turn parsed JSONL rows into entries.

    Args:
        rows: dicts with keys label, name and optionally kind and aliases (a list of strings).

    Returns:
        The entries, in file order; rows without a name or label are dropped.
    """
    entries = []
    for row in rows:
        name = str(row.get("name") or "").strip()
        label = str(row.get("label") or "").strip()
        if not name or not label:
            continue
        raw_aliases = row.get("aliases") or ()
        aliases = tuple(
            str(a).strip()
            for a in raw_aliases  # type: ignore[union-attr]
            if str(a).strip() and str(a).strip() != name
        )
        of = str(row.get("of") or row.get("country") or "")
        entries.append(GazetteerEntry(name, label, str(row.get("kind") or ""), aliases, of))
    return tuple(entries)


def span_id(entry: GazetteerEntry) -> str:
    """The span id a match carries: "name|kind|of" (kind and country ride along for events)."""
    return f"{entry.name}|{entry.kind}|{entry.of}"


def split_span_id(value: str) -> tuple[str, str, str]:
    """(canonical name, kind, country) from a span id; a bare name gives ("name", "", "")."""
    name, _, rest = value.partition("|")
    kind, _, of = rest.partition("|")
    return name, kind, of


def ruler_patterns(entries: Iterable[GazetteerEntry]) -> list[dict[str, str]]:
    """Phrase patterns for spaCy's span_ruler: one per surface form, id from span_id()."""
    patterns = []
    for entry in entries:
        for form in (entry.name, *entry.aliases):
            patterns.append({"label": entry.label, "pattern": form, "id": span_id(entry)})
    return patterns


def news_ruler_patterns(entries: Iterable[GazetteerEntry]) -> list[dict[str, str]]:
    """Phrase patterns for the news gazetteer's span_ruler (matched on LOWER): one per form,
    id "|kind|" (no canonical name: the surface form names the entity)."""
    return [{"label": entry.label, "pattern": form.lower(), "id": f"|{entry.kind}|"}
            for entry in entries for form in (entry.name, *entry.aliases)]


_ACRONYM = re.compile(r"^[A-Z][A-Z0-9.&-]{1,9}$")


def is_acronym(text: str) -> bool:
    """True for all-capital short forms such as UN, U.N., LNA, G20."""
    return bool(_ACRONYM.match(text)) and sum(c.isalpha() for c in text) >= 2
