"""PETRARCH phrase patterns matched on spaCy's dependency parse (pure).

A generated pattern (transforms/nlp/lexicon.py: DepPattern) says which nouns the subject holds,
which auxiliaries the verb has, which words (the object, a particle, an adjective) and which
prepositions with which objects sit below the verb. "Below" is what the verb governs within
three steps (its object, the object's prepositions, a to-infinitive's object), not entering its
subject or other clauses; the phrase of a prepositional object is that object and its modifiers.
"""

from __future__ import annotations

from spacy.tokens import Token

from transforms.nlp.lexicon import DepPattern, LexiconEntry, NounSpec, VerbSense
from transforms.nlp.syntax import noun_lemma

# children not walked into: the subject, other clauses, punctuation
_NOT_BELOW = frozenset({"nsubj", "nsubjpass", "csubj", "csubjpass", "punct", "cc", "conj",
                        "advcl", "parataxis", "relcl", "ccomp", "mark", "appos", "expl",
                        "discourse", "meta"})
_PREP_DEPS = frozenset({"prep", "agent", "dative", "prt"})
_MOD_DEPS = frozenset({"compound", "amod", "nmod", "poss", "npadvmod", "nummod", "advmod"})
_AUX_DEPS = frozenset({"aux", "auxpass", "neg"})
# a pattern's bare word is a noun, particle or adjective, not "to" of an infinitive
_NOT_WORDS = frozenset({"aux", "auxpass", "det", "cc", "mark", "case"})
PARTICLES = frozenset({"up", "down", "out", "off", "back", "away", "over", "in", "on", "forward",
                       "aside", "together", "through", "around", "about", "along", "ahead",
                       "apart", "behind", "by", "into", "to", "for", "with", "from", "against",
                       "at", "toward", "towards", "upon", "of"})


def _words(token: Token) -> tuple[str, ...]:
    return (noun_lemma(token), token.lower_)


class VerbContext:
    """What lies below one verb token, indexed by word, built once per verb."""

    __slots__ = ("verb", "below", "near", "preps", "subject", "aux", "obj")

    def __init__(self, verb: Token, subject: Token | None, obj: Token | None) -> None:
        self.verb = verb
        self.obj = obj
        self.below: dict[str, list[Token]] = {}  # two steps down: nouns of the pattern
        self.near: dict[str, list[Token]] = {}  # the verb's children: its particles
        self.preps: dict[str, list[Token]] = {}  # three steps down
        frontier = [verb]
        for depth in range(3):
            nxt = []
            for t in frontier:
                for c in t.children:
                    if c.dep_ in _NOT_BELOW or (subject is not None and c.i == subject.i):
                        continue
                    # a participle modifying the object ("a broad-based approach") is no
                    # noun of the pattern ("- * BASE" is a military base)
                    participle = c.pos_ == "VERB" and (depth and c.dep_ in ("amod", "compound")
                                                       or c.dep_ == "pcomp")
                    # nor is a gerund's clause ("resumed work after protesting")
                    if depth < 2 and c.dep_ not in _NOT_WORDS and not participle:
                        for w in _words(c):
                            self.below.setdefault(w, []).append(c)
                            if depth == 0:
                                self.near.setdefault(w, []).append(c)
                    if c.dep_ in _PREP_DEPS:
                        self.preps.setdefault(c.lower_, []).append(c)
                    nxt.append(c)
            frontier = nxt
        self.subject: dict[str, list[Token]] = {}
        if subject is not None:
            for t in (subject, *(c for c in subject.children if c.dep_ in _MOD_DEPS
                                 or c.dep_ == "prep" and c.lower_ == "of")):
                for w in _words(t):
                    self.subject.setdefault(w, []).append(t)
                if t.dep_ == "prep":  # "soldiers of Gondor", "hundreds of troops"
                    for o in t.children:
                        for w in _words(o):
                            self.subject.setdefault(w, []).append(o)
        self.aux = {c.lower_ for c in verb.children if c.dep_ in _AUX_DEPS}
        if verb.dep_ == "xcomp":  # "will not be able to budge"
            self.aux |= {c.lower_ for c in verb.head.children if c.dep_ in _AUX_DEPS}


def _mods_fit(token: Token, mods: tuple[frozenset[str], ...]) -> bool:
    if not mods:
        return True
    near = {w for c in token.children if c.dep_ in _MOD_DEPS or c.i < token.i for w in _words(c)}
    if token.i > 0:  # "cease-fire", "sit-in": a hyphenated word's first part precedes it
        near |= set(_words(token.doc[token.i - 1]))
    return all(m & near for m in mods)


def find_noun(spec: NounSpec, index: dict[str, list[Token]]) -> Token | None:
    """A token of `index` that is a phrase of `spec` (head word and modifiers), or None."""
    for alt in spec:
        for head in alt.heads & index.keys():
            for token in index[head]:
                if _mods_fit(token, alt.mods):
                    return token
    return None


def _phrase_fits(spec: NounSpec, token: Token) -> bool:
    words = set(_words(token))
    return any(alt.heads & words and _mods_fit(token, alt.mods) for alt in spec)


def _prep_objects(prep: Token) -> list[Token]:
    return [o for o in prep.children if o.dep_ in ("pobj", "pcomp", "dobj")]


def match_pattern(pattern: DepPattern, ctx: VerbContext) -> tuple[bool, Token | None]:
    """Whether the pattern holds around the verb, and the object token it named (if any)."""
    for spec in pattern.subject:
        if find_noun(spec, ctx.subject) is None:
            return False, None
    for aux in pattern.aux:
        if not aux & ctx.aux:
            return False, None
    named = None
    for spec in pattern.words:
        # a preposition or particle written bare ("- * OFF TALK", "- * TO") is the verb's own
        particle = len(spec) == 1 and not spec[0].mods and spec[0].heads <= PARTICLES
        token = find_noun(spec, ctx.near if particle else ctx.below)
        if token is None:
            return False, None
        if ctx.obj is not None and token.i == ctx.obj.i:
            named = token
    for prep in pattern.preps:
        candidates = ctx.preps.get(prep.prep, ())
        if not candidates:
            return False, None
        if prep.nouns and not any(
            _phrase_fits(prep.nouns[0], o) and all(
                find_noun(spec, _subtree_index(o)) is not None for spec in prep.nouns[1:])
            for p in candidates for o in _prep_objects(p)
        ):
            return False, None
    return True, named


def _subtree_index(token: Token) -> dict[str, list[Token]]:
    index: dict[str, list[Token]] = {}
    for t in token.subtree:
        for w in _words(t):
            index.setdefault(w, []).append(t)
    return index


def _sense_fits(sense: VerbSense, verb: Token) -> bool:
    """The other words of a multi-word verb are there: "pulled out", "wire tapped"."""
    if sense.after:
        kids = {w for c in verb.children for w in _words(c)}
        if verb.i + 1 < len(verb.doc):
            kids |= set(_words(verb.doc[verb.i + 1]))
        if not all(w in kids for w in sense.after):
            return False
    if sense.before:
        j = verb.i - 1
        while j >= 0 and verb.doc[j].text == "-":
            j -= 1
        preceding = set(_words(verb.doc[j])) if j >= 0 else set()
        kids = {w for c in verb.children if c.i < verb.i for w in _words(c)} | preceding
        if not all(w in kids for w in sense.before):
            return False
    return True


BLOCKED = ("", LexiconEntry("", "", "", 0))  # a pattern matched that codes nothing


def match_generated(verb: Token, senses: tuple[VerbSense, ...], subject: Token | None,
                    obj: Token | None, particles: list[str], default: bool,
                    prep_nouns_only: bool = False) -> tuple[str, LexiconEntry] | None:
    """The generated row a verb triggers: the most specific matching pattern of its sense,
    else the sense's default code (when `default` and no particle is left unexplained);
    `prep_nouns_only`: only patterns that name a preposition's object ("(FROM &TREATY)").

    Returns:
        (trigger text, row); BLOCKED when a pattern with no PLOVER type matched; None.
    """
    ctx: VerbContext | None = None
    for sense in senses:
        if not _sense_fits(sense, verb):
            continue
        if sense.patterns:
            ctx = ctx or VerbContext(verb, subject, obj)
            present = ctx.below.keys() | ctx.subject.keys() | ctx.preps.keys()
            for entry in sense.patterns:
                if prep_nouns_only and not any(p.nouns for p in entry.pattern.preps):  # type: ignore[union-attr]
                    continue
                anchor = entry.pattern.anchor  # type: ignore[union-attr]
                if anchor and anchor.isdisjoint(present):
                    continue  # its first word is nowhere near the verb
                phrasal = entry.pattern.particles  # type: ignore[union-attr]
                if phrasal and phrasal.isdisjoint(sense.after) and phrasal.isdisjoint(ctx.near):
                    continue  # written for "pulled out": not for "attend" of its block
                ok, named = match_pattern(entry.pattern, ctx)  # type: ignore[arg-type]
                if not ok:
                    continue
                if not entry.event_type:
                    return BLOCKED
                text = " ".join((*sense.before, sense.verb, *sense.after))
                return (f"{text} {noun_lemma(named)}" if named is not None else text), entry
        unexplained = [p for p in particles if p not in sense.after]
        if default and sense.default is not None and not unexplained:
            if not sense.default.event_type:
                return BLOCKED
            return sense.default.trigger, sense.default
        if sense.before or sense.after:
            return None  # the multi-word verb is there: its single-word sense does not apply
    return None
