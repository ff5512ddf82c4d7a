"""The event lexicon: trigger rows typed by PLOVER, CAMEO and QuadClass (pure).

Two layers, read by flows/nlp.py. The hand rows of seeds/event_lexicon.csv (trigger, object,
subject, event_type, cameo_code, quad_class) lie over the generated PETRARCH2 layer of
seeds/event_lexicon_petrarch.jsonl (seeds/make_event_lexicon.py): verbs with their default
CAMEO code, dependency patterns (subject, object, particles, prepositions and their objects)
and event nouns. See transforms/nlp/triggers.py for the order in which they are tried.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

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
class NounAlt:
    """One way a noun phrase may read: its head lemma among `heads`, and for each modifier
    position a word among the set, modifying the head ("peace plan", "armed forces")."""

    heads: frozenset[str]
    mods: tuple[frozenset[str], ...] = ()


NounSpec = tuple[NounAlt, ...]  # alternatives: a word, or the members of a synset


@dataclass(frozen=True, slots=True)
class PrepSpec:
    """A preposition below the verb (or its object), with the nouns its object may be."""

    prep: str
    nouns: tuple[NounSpec, ...] = ()
    role: str = ""  # "target" / "source": its object is the event's target / actor


@dataclass(frozen=True, slots=True)
class DepPattern:
    """A PETRARCH phrase pattern as constraints on the parse around the verb.

    subject: nouns the subject's phrase must hold; aux: auxiliaries on the verb ("will");
    words: nouns, particles or adjectives below the verb ("off", "free", the object);
    preps: prepositions below the verb or its object; target "object": the object is the target.
    """

    subject: tuple[NounSpec, ...] = ()
    aux: tuple[frozenset[str], ...] = ()
    words: tuple[NounSpec, ...] = ()
    preps: tuple[PrepSpec, ...] = ()
    target: str = ""
    line: int = 0  # line in CAMEO.2.0.txt
    # words of which one must be near the verb for the pattern to hold (its first constraint's):
    # a cheap test before the full match; empty for a pattern of auxiliaries only
    anchor: frozenset[str] = frozenset()
    # the particle of the phrasal verb(s) it was written for ("(OF TALKS)" under PULLED_OUT):
    # it holds only for a verb with that particle, not for "attend" of the same block
    particles: frozenset[str] = frozenset()

    @property
    def size(self) -> int:
        """How specific the pattern is: the number of its constraints."""
        return (len(self.subject) + len(self.aux) + len(self.words)
                + sum(1 + len(p.nouns) for p in self.preps))


@dataclass(frozen=True, slots=True)
class LexiconEntry:
    """One trigger of the event lexicon and its typing.

    A row applies when its constraints hold: `objects` (lemmas of the direct object, or the
    classes PLACE / PERSON / ENTITY / PARTY / XCOMP / NONE, "+for" a preposition, "+on strike" a
    preposition with its object; "<from" marks the `source`) and `subjects` (lemmas of the
    subject's head, or the classes MILITARY / CROWD / AGENT / STATE: a named party, armed forces
    or a government). Rows of one trigger are tried in file order; the first that fits wins.
    """

    trigger: str  # verb lemma ("withdraw") or verb + particle/preposition ("pull out", "call for")
    event_type: str  # PLOVER type
    cameo_code: str  # CAMEO code, 3-4 digits ("0874"); its first two digits are the root
    quad_class: int
    objects: frozenset[str] = frozenset()
    subjects: frozenset[str] = frozenset()
    # a generated PETRARCH pattern (its trigger is the block's name; "" event_type: codes nothing)
    pattern: DepPattern | None = None
    generated: bool = False  # from the PETRARCH layer: an event needs a named target (a dyad)
    # a preposition whose object is the actor and the subject the target ("<from" in the CSV's
    # object column: "received a loan from Japan" is Japan's aid), as PETRARCH's reverse codes
    source: str = ""

    @property
    def cameo_root(self) -> str:
        return self.cameo_code[:2]

    @property
    def symmetric(self) -> bool:
        """An act of two parties with each other: "Serraj and Haftar met" is one meeting, one
        with the other; of SUPPORT only restoring relations (050) and signing an agreement
        (057): "Russia and China welcomed the deal" are two welcomes."""
        return self.event_type in ("CONSULT", "AGREE", "COOPERATE") or self.cameo_code in ("050", "057")


@dataclass(frozen=True, slots=True)
class VerbSense:
    """A verb of a PETRARCH verb block: its other words, default row and the block's patterns.

    `before`/`after` are the other words of a multi-word verb ("wire tap", "pull out");
    `default` is None when the bare verb codes nothing; `patterns` are the most specific first.
    """

    verb: str
    before: tuple[str, ...]
    after: tuple[str, ...]
    default: LexiconEntry | None
    patterns: tuple[LexiconEntry, ...]
    block: str = ""


@dataclass(frozen=True, slots=True)
class Lexicon:
    """The event lexicon: hand rows grouped by trigger in file order, and the generated layer
    (verb senses by lemma, multi-word senses first; event nouns by lemma)."""

    entries: tuple[LexiconEntry, ...] = ()
    by_trigger: Mapping[str, tuple[LexiconEntry, ...]] = field(default_factory=dict)
    verbs: Mapping[str, tuple[VerbSense, ...]] = field(default_factory=dict)
    nouns: Mapping[str, LexiconEntry] = field(default_factory=dict)
    # lemmas of hand triggers ("pull" for "pull out"): their bare verb is the hand layer's call
    hand_verbs: frozenset[str] = frozenset()


def _split(value: str | None) -> frozenset[str]:
    return frozenset(v.strip() for v in (value or "").split("|") if v.strip())


def parse_lexicon(rows: Iterable[Mapping[str, str]],
                  generated: Iterable[Mapping[str, object]] = ()) -> Lexicon:
    """Build the lexicon from CSV rows (trigger, object, subject, event_type, cameo_code, quad_class).

    Args:
        rows: dicts as csv.DictReader yields them (the hand layer).
        generated: the records of a generated layer (seeds/event_lexicon_petrarch.jsonl, one
            dict per line), or nothing.

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
        objects = _split(row.get("object"))
        source = next((o[1:] for o in objects if o.startswith("<")), "")
        entries.append(LexiconEntry(trigger, event_type, code, derived,
                                    frozenset(o for o in objects if not o.startswith("<")),
                                    _split(row.get("subject")), source=source))
    grouped: dict[str, list[LexiconEntry]] = {}
    for entry in entries:
        grouped.setdefault(entry.trigger, []).append(entry)
    verbs, nouns = _parse_generated(generated)
    return Lexicon(tuple(entries), {k: tuple(v) for k, v in grouped.items()}, verbs, nouns,
                   frozenset(t.split()[0] for t in grouped))


def _entry(trigger: str, record: Mapping[str, object], pattern: DepPattern | None = None
           ) -> LexiconEntry | None:
    """The row of a generated record; None for the null code; "" event_type for a code with no
    PLOVER type (a pattern that matches and codes nothing)."""
    code = str(record.get("code") or "")
    if not code:
        return None if pattern is None else LexiconEntry(trigger, "", "", 0, pattern=pattern,
                                                         generated=True)
    event_type = str(record.get("event_type") or "")
    if event_type and event_type not in PLOVER_TYPES:
        raise ValueError(f"generated lexicon: unknown PLOVER type {event_type!r}")
    return LexiconEntry(trigger, event_type, code, quad_class(code) if event_type else 0,
                        pattern=pattern, generated=True)


def _noun_spec(phrase: str, synsets: Mapping[str, list[str]]) -> NounSpec:
    """"peace plan" -> one alternative; "&MILITARY" -> one per member shape."""
    words = phrase.split()
    if not words:
        return ()
    options: list[list[str]] = [synsets.get(w[1:], []) if w.startswith("&") else [w] for w in words]
    head_opts, mod_opts = options[-1], options[:-1]
    mods = tuple(frozenset(m.split()[-1] for m in opt) for opt in mod_opts)
    single = frozenset(h for h in head_opts if " " not in h)
    alts = [NounAlt(single, mods)] if single else []
    for h in head_opts:  # a multi-word member ("armed force"): its own modifiers come first
        if " " in h:
            parts = h.split()
            alts.append(NounAlt(frozenset({parts[-1]}),
                                tuple(frozenset({p}) for p in parts[:-1]) + mods))
    return tuple(alts)


# particles of phrasal verbs, as PETRARCH's comments name them ("PULLED_OUT", "SET_UP")
PHRASAL_PARTICLES = frozenset({"up", "down", "out", "off", "back", "away", "over", "in", "on",
                               "forward", "aside", "together", "through", "around", "along",
                               "ahead", "apart"})


def origin_particles(origin: str) -> frozenset[str]:
    """The particles of the verbs a pattern's comment names, when every one of them is phrasal
    ("PULLED_OUT" -> {"out"}; "CARRIED_OUT , CARRY_OUT" -> {"out"}); empty when any is not."""
    found: set[str] = set()
    for verb in origin.split(","):
        words = verb.strip().lower().split("_")
        particles = {w for w in words[1:] if w in PHRASAL_PARTICLES}
        if not particles:
            return frozenset()
        found |= particles
    return frozenset(found)


def _anchor(pattern: DepPattern) -> frozenset[str]:
    for specs in (pattern.words, pattern.subject):
        if specs:
            return frozenset().union(*(alt.heads for alt in specs[0]))
    return frozenset({pattern.preps[0].prep}) if pattern.preps else frozenset()


def _parse_generated(records: Iterable[Mapping[str, object]]
                     ) -> tuple[dict[str, tuple[VerbSense, ...]], dict[str, LexiconEntry]]:
    """Verb senses by lemma and event nouns by lemma from the generated layer's records."""
    synsets: dict[str, list[str]] = {}
    verbs: list[Mapping[str, object]] = []
    patterns: dict[str, list[LexiconEntry]] = {}
    nouns: dict[str, LexiconEntry] = {}
    for record in records:
        kind = record.get("kind")
        if kind == "synset":
            synsets[str(record["name"])] = [str(m) for m in record["members"]]  # type: ignore[union-attr]
        elif kind == "verb":
            verbs.append(record)
        elif kind == "pattern":
            pattern = DepPattern(
                subject=tuple(_noun_spec(str(n), synsets) for n in record["subject"]),  # type: ignore[union-attr]
                aux=tuple(frozenset(synsets.get(str(a)[1:], [])) if str(a).startswith("&")
                          else frozenset({str(a)}) for a in record["aux"]),  # type: ignore[union-attr]
                words=tuple(_noun_spec(str(n), synsets) for n in record["words"]),  # type: ignore[union-attr]
                preps=tuple(PrepSpec(str(p["prep"]).split()[0],
                                     tuple(_noun_spec(str(n), synsets) for n in p["nouns"]),
                                     str(p.get("role") or ""))
                            for p in record["preps"]),  # type: ignore[union-attr]
                target=str(record.get("target") or ""), line=int(record.get("line") or 0))  # type: ignore[arg-type]
            pattern = replace(pattern, anchor=_anchor(pattern),
                              particles=origin_particles(str(record.get("origin") or "")))
            entry = _entry(str(record["block"]).lower(), record, pattern)
            if entry is not None:
                patterns.setdefault(str(record["block"]), []).append(entry)
        elif kind == "noun":
            entry = _entry(str(record["noun"]), record)
            if entry is not None and entry.event_type:
                nouns[str(record["noun"])] = entry
    ordered = {b: tuple(sorted(ps, key=lambda e: -e.pattern.size))  # type: ignore[union-attr]
               for b, ps in patterns.items()}
    senses: dict[str, list[VerbSense]] = {}
    for v in verbs:
        lemma = str(v["verb"])
        before = tuple(str(w) for w in v["before"])  # type: ignore[union-attr]
        after = tuple(str(w) for w in v["after"])  # type: ignore[union-attr]
        trigger = " ".join((*before, lemma, *after))
        block = str(v["block"])
        default = _entry(trigger, v) if v.get("bare", True) else None
        senses.setdefault(lemma, []).append(  # the block's patterns are shared by its verbs
            VerbSense(lemma, before, after, default, ordered.get(block, ()), block))
    return ({k: tuple(sorted(v, key=lambda s: -(len(s.before) + len(s.after))))
             for k, v in senses.items()}, nouns)
