"""Events from the dependency parse: who did what to whom, where and when (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

PLOVER_TYPES = (
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)


def quad_class(cameo_root: str) -> int:
    """GDELT QuadClass of a CAMEO root: 01-05 -> 1, 06-08 -> 2, 09-13 -> 3, 14-20 -> 4."""
    root = int(cameo_root[:2])
    return 1 if root <= 5 else 2 if root <= 8 else 3 if root <= 13 else 4


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """One trigger of the event lexicon: a lemma or lemma phrase and its typing."""

    trigger: str  # lemma ("withdraw") or space-separated lemma phrase ("issue statement welcome")
    pos: str  # VERB | NOUN | PHRASE
    event_type: str  # PLOVER type
    cameo_code: str  # CAMEO code, 2-4 digits ("042"); its first two digits are the root
    quad_class: int

    @property
    def cameo_root(self) -> str:
        return self.cameo_code[:2]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The event lexicon, indexed by trigger lemma (single words) and by phrase."""

    entries: tuple[LexiconEntry, ...] = ()
    by_trigger: Mapping[str, LexiconEntry] = field(default_factory=dict)


def parse_lexicon(rows: Iterable[Mapping[str, str]]) -> Lexicon:
    """Build the lexicon from CSV rows (trigger, pos, event_type, cameo_code[, quad_class]).

    Args:
        rows: dicts as csv.DictReader yields them.

    Returns:
        The lexicon; rows with an unknown PLOVER type or a malformed CAMEO code are dropped, and
        the QuadClass is derived from the CAMEO root when the row leaves it empty.
    """
    entries = []
    for row in rows:
        trigger = " ".join((row.get("trigger") or "").lower().split())
        event_type = (row.get("event_type") or "").strip().upper()
        code = (row.get("cameo_code") or "").strip()
        if not trigger or event_type not in PLOVER_TYPES or not code.isdigit() or len(code) < 2:
            continue
        quad = (row.get("quad_class") or "").strip()
        entries.append(
            LexiconEntry(
                trigger=trigger,
                pos=(row.get("pos") or "VERB").strip().upper(),
                event_type=event_type,
                cameo_code=code,
                quad_class=int(quad) if quad.isdigit() else quad_class(code),
            )
        )
    return Lexicon(tuple(entries), {e.trigger: e for e in entries})


def extract_events(doc, resolved, published, lexicon):  # phase 1: no events yet
    """Typed events of one doc (filled in phase 2)."""
    return ()
