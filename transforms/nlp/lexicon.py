"""The event lexicon: trigger rows typed by PLOVER, CAMEO and QuadClass (pure).

Rows come from seeds/event_lexicon.csv (read by flows/nlp.py): trigger, object, subject,
event_type, cameo_code, quad_class. See transforms/nlp/triggers.py for how a row matches a verb.
"""

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


# CAMEO 02 (appeals) is PLOVER's REQUEST as much as CAMEO 10 (demands) is: the PLOVER manual
# folds both into REQUEST, but the 2021 conversion table lists only 10. CAMEO 01 (public
# statements) has no PLOVER type.
EXTRA_PLOVER_ROOTS = {"02": "REQUEST"}


def parse_cameo_plover(text: str) -> dict[str, str]:
    """The CAMEO -> PLOVER conversion table (OEDA's CAMEO2PLOVER text: "0356: AGREE, ...").

    Args:
        text: the table's text; lines "code: TYPE, mode, context # comment", "#" comments.

    Returns:
        CAMEO code (2-4 digits; a root "08" maps to the first type listed for it) -> PLOVER type.
    """
    table: dict[str, str] = {}
    for line in text.splitlines():
        code, sep, rest = line.split("#", 1)[0].partition(":")
        code = code.strip()
        plover = rest.split(",", 1)[0].strip().upper()
        if sep and code.isdigit() and plover in PLOVER_TYPES:
            table.setdefault(code, plover)
    return table


def plover_type(code: str, table: Mapping[str, str]) -> str | None:
    """The PLOVER type of a CAMEO code: the code itself, else its 3-digit parent, else its root
    (and EXTRA_PLOVER_ROOTS); None for statements (01) and malformed codes."""
    code = code.strip()
    if not code.isdigit() or len(code) < 2:
        return None
    for key in (code, code[:3], code[:2]):
        if key in table:
            return table[key]
    return EXTRA_PLOVER_ROOTS.get(code[:2])


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """One trigger of the event lexicon and its typing.

    A row applies when its constraints hold: `objects` (lemmas of the direct object, or the
    classes PLACE / PERSON / ENTITY) and `subjects` (lemmas of the subject's head, or the classes
    MILITARY / CROWD). Rows of one trigger are tried in file order; the first that fits wins.
    """

    trigger: str  # verb lemma ("withdraw") or verb + particle/preposition ("pull out", "call for")
    event_type: str  # PLOVER type
    cameo_code: str  # CAMEO code, 3-4 digits ("0874"); its first two digits are the root
    quad_class: int
    objects: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()

    @property
    def cameo_root(self) -> str:
        return self.cameo_code[:2]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The event lexicon: rows grouped by trigger, in file order."""

    entries: tuple[LexiconEntry, ...] = ()
    by_trigger: Mapping[str, tuple[LexiconEntry, ...]] = field(default_factory=dict)


def _split(value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split("|") if v.strip())


def parse_lexicon(rows: Iterable[Mapping[str, str]]) -> Lexicon:
    """Build the lexicon from CSV rows (trigger, object, subject, event_type, cameo_code, quad_class).

    Args:
        rows: dicts as csv.DictReader yields them.

    Returns:
        The lexicon. Rows with an unknown PLOVER type or a malformed CAMEO code are dropped; an
        empty quad_class is derived from the CAMEO root, a contradicting one raises ValueError.
    """
    entries = []
    for row in rows:
        trigger = " ".join((row.get("trigger") or "").lower().split())
        event_type = (row.get("event_type") or "").strip().upper()
        code = (row.get("cameo_code") or "").strip()
        if not trigger or event_type not in PLOVER_TYPES or not code.isdigit() or len(code) < 2:
            continue
        derived = quad_class(code)
        given = (row.get("quad_class") or "").strip()
        if given and int(given) != derived:
            raise ValueError(f"lexicon row {trigger!r}: QuadClass {given} but CAMEO {code}")
        entries.append(LexiconEntry(trigger, event_type, code, derived,
                                    _split(row.get("object")), _split(row.get("subject"))))
    grouped: dict[str, list[LexiconEntry]] = {}
    for entry in entries:
        grouped.setdefault(entry.trigger, []).append(entry)
    return Lexicon(tuple(entries), {k: tuple(v) for k, v in grouped.items()})
