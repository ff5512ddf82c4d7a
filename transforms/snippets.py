"""Search snippets: the stretch of an article body that best shows why it matched a query.

Pure: text and the query's index terms (stems, as DuckDB's fts extension made them) in, a
snippet with the spans to highlight out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

_WORD = re.compile(r"[^\W\d_]+")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Snippet:
    text: str
    highlights: tuple[tuple[int, int], ...]  # [start, end) spans of matched words in `text`


def fold(word: str) -> str:
    """Lowercase without accents, as the fts index folds words before stemming."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matches_term(word: str, term: str) -> bool:
    """Whether a word of the text stems to `term`, approximately.

    Porter stems are prefixes of their words, except that a final y becomes i
    ("happy" -> "happi"); that is the one case handled besides the prefix.
    """
    folded = fold(word)
    if folded.startswith(term):
        return True
    return term.endswith("i") and folded.startswith(term[:-1] + "y")


def find_matches(text: str, terms: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, term) of every word in `text` that matches one of the terms."""
    found = []
    for match in _WORD.finditer(text):
        for term in terms:
            if term and matches_term(match.group(), term):
                found.append((match.start(), match.end(), term))
                break
    return found


def make_snippet(text: str, terms: Sequence[str], width: int = 220) -> Snippet:
    """About `width` characters of `text` around the densest cluster of query terms.

    The window holding the most distinct terms (then the most matches, then the earliest)
    wins; it starts a little before its first match, on a word boundary. Whitespace is
    collapsed and cut ends get an ellipsis. Without a match: the start of the text.

    Args:
        text: the article body.
        terms: the query's stemmed index terms.
        width: the snippet's length in characters, roughly.

    Returns:
        The snippet and the spans of its matched words.
    """
    matches = find_matches(text, terms)
    lead = width // 4
    start = 0
    if matches:
        best = None
        for i, (anchor, _, _) in enumerate(matches):
            window_start = max(0, anchor - lead)
            inside = [m for m in matches[i:] if m[1] <= window_start + width]
            key = (len({m[2] for m in inside}), len(inside), -anchor)
            if best is None or key > best[0]:
                best = (key, window_start)
        start = best[1]
    end = min(len(text), start + width)
    if start > 0:  # begin on a word boundary
        space = text.rfind(" ", 0, start + 1)
        newline = text.rfind("\n", 0, start + 1)
        start = max(space, newline) + 1
    if end < len(text):
        cut = max(text.rfind(" ", start, end), text.rfind("\n", start, end))
        if cut > start:
            end = cut
    body = _SPACE.sub(" ", text[start:end]).strip()
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    snippet = f"{prefix}{body}{suffix}"
    highlights = tuple((s, e) for s, e, _ in find_matches(snippet, terms))
    return Snippet(snippet, highlights)
