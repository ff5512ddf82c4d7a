"""Where and when an event happened, and whether it did (pure): the places attached to a
trigger, its clause's date expression, its negation and its tense (transforms/nlp/events.py and
transforms/nlp/nominal.py use them)."""

from __future__ import annotations

from datetime import date

from spacy.tokens import Doc, Span, Token

from transforms.dates import resolve_date
from transforms.nlp.entities import ResolvedEntities
from transforms.nlp.mentions import EVIDENCE_NOUNS
from transforms.nlp.syntax import PLACE_LABELS, PLACE_NOUNS, subtree_bfs

# "failed to", "was unable to reach", "declined to", "denied sending troops"
FAIL = frozenset({"fail", "unable", "unwilling", "decline", "deny", "refute"})
# what a clause says is denied: "deny that the US is sending weapons"
_DENY = frozenset({"deny", "refute"})
FUTURE_AUX = frozenset({"will", "'ll", "shall", "would"})  # "said he would travel on Monday"
# the place ranks of prepositions for the location
_PLACE_RANK = {"in": 1, "at": 1, "near": 1, "inside": 1, "outside": 1, "around": 1, "across": 1,
               "over": 1, "within": 1, "throughout": 1, "to": 2, "into": 2, "towards": 2,
               "toward": 2, "on": 2, "onto": 2, "from": 3, "of": 4}
EVIDENCE_PLACE_NOUNS = frozenset(EVIDENCE_NOUNS["GPE"] | EVIDENCE_NOUNS["LOC"] | EVIDENCE_NOUNS["FAC"])


def is_future(chain: list[Token]) -> bool:
    """The event is announced for later: "will meet", "is to visit", "is due to sign"."""
    for t in chain:
        for c in t.children:
            if c.dep_ == "aux" and c.lower_ in FUTURE_AUX:
                return True
    return False


def negated(trigger: Token, chain: list[Token]) -> bool:
    """A "not"/"never" on the trigger or a verb it complements, a "neither ... nor" subject, a
    "no" subject or object, a "fail" or "deny" above it, or a denial its clause is the content
    of."""
    for t in (trigger, *chain):
        if any(c.dep_ == "neg" for c in t.children):
            return True
        for c in t.children:
            if c.dep_ in ("nsubj", "nsubjpass") and any(
                g.dep_ in ("preconj", "det") and g.lower_ == "neither" for g in c.children
            ):
                return True
            # "no demands were made", "made no demands", "nobody attacked"
            if c.dep_ in ("nsubj", "nsubjpass", "dobj") and (c.lower_ in ("nobody", "none") or any(
                    g.dep_ == "det" and g.lower_ == "no" for g in c.children)):
                return True
    top = chain[-1] if chain else trigger
    while top.dep_ == "conj" and top.head.i != top.i:
        top = top.head
    if top.dep_ == "ccomp" and top.head.lemma_.lower() in _DENY:
        return True
    return any(t.lemma_.lower() in FAIL for t in chain)


def date_verb(token: Token) -> Token | None:
    """The verb a date expression dates: "on Thursday took", "forces on Thursday took", "met last
    month"; None when it dates a noun ("Thursday's bombing", "the October deal")."""
    if token.dep_ in ("poss", "compound", "amod", "nmod"):
        return None
    head, noun_hops = token.head, 0
    while head.pos_ not in ("VERB", "AUX") and head.head.i != head.i:
        if head.pos_ in ("NOUN", "PROPN", "PRON"):
            noun_hops += 1  # "talks at the residence on Sunday evening": two nouns up
            if noun_hops > 2 or head.dep_ not in ("nsubj", "nsubjpass", "dobj", "pobj", "attr"):
                return None
        head = head.head
    return head if head.pos_ in ("VERB", "AUX") else None


def _date_expressions(sent: Span) -> list[Span]:
    """The sentence's DATE and TIME entities, read off its own tokens (Span.ents walks the whole
    document's entities: quadratic over a long document)."""
    found = []
    for token in sent:
        if token.ent_iob_ == "B" and token.ent_type_ in ("DATE", "TIME"):
            end = token.i + 1
            while end < sent.end and sent.doc[end].ent_iob_ == "I":
                end += 1
            found.append(sent.doc[token.i:end])
    return found


def event_date(doc: Doc, sent: Span, chain: list[Token], published: date | None,
                future: bool) -> tuple[date | None, str, str]:
    """The date of the trigger's clause: (date, precision, source)."""
    verbs = {t.i for t in chain}
    for ent in _date_expressions(sent):
        head = date_verb(ent.root)
        if head is None or head.i not in verbs:
            continue
        resolved = resolve_date(ent.text, published, future)
        if resolved is not None:
            return resolved.value, resolved.precision, "expression"
    if published is not None:
        return published, "day", "publish_date"
    return None, "day", "none"


def mention_text(doc: Doc, res: ResolvedEntities, i: int) -> str:
    """The whole mention token i belongs to: "Abu Dhabi", not its head "Dhabi"."""
    for start, end, _eid in res.mention_spans:
        if start <= i < end:
            return doc[start:end].text
    return doc[i].text


def places(start: Token, skip: set[int], res: ResolvedEntities,
            directional: bool) -> list[tuple[tuple[int, int], str, Token]]:
    """Place entities attached to a verb or its object, ranked by their preposition.

    "took Gharyan", "met in Abu Dhabi", "withdrew from Gate 27", "work in the city of Butembo",
    "deliveries of food to the port city of Beira"; not "participation in an exercise in Europe"
    (attached to a noun further down). "to/from X" count only for movements.
    """
    heads = {start.i} | {c.i for c in start.children if c.dep_ in ("dobj", "nsubjpass")}
    found = []
    for tok, depth in subtree_bfs(start, skip, clauses=False):
        eid = res.token_entity.get(tok.i)
        if not eid or res.by_id[eid].label not in PLACE_LABELS:
            continue
        if tok.i in heads and tok.i != start.i:
            found.append(((0, depth), eid, tok))  # the object itself: "took Gharyan"
            continue
        anchor = tok
        while anchor.dep_ == "conj":
            anchor = anchor.head
        # climb "the city of X" / "the port city of X" to the phrase that carries the preposition
        while anchor.dep_ == "pobj" and anchor.head.lower_ == "of" and anchor.head.head.dep_ in (
            "pobj", "dobj", "nsubjpass"
        ) and anchor.head.head.lemma_.lower() in PLACE_NOUNS | EVIDENCE_PLACE_NOUNS:
            anchor = anchor.head.head
        if anchor.i in heads and anchor.i != start.i:
            found.append(((0, depth), eid, tok))  # "took the town of Kidal"
            continue
        if anchor.dep_ != "pobj" or anchor.head.head.i not in heads:
            continue
        word = anchor.head.lower_
        if not directional and _PLACE_RANK.get(word) in (2, 3) and word != "on":
            continue  # "controls on exports to South Korea": a recipient, not a place
        found.append(((_PLACE_RANK.get(word, 5), depth), eid, tok))
    return sorted(found, key=lambda f: f[0])


def locative(token: Token) -> bool:
    """A place named as where something is: "in Khartoum", "at the border in Cucuta"."""
    while token.dep_ == "conj":
        token = token.head
    return token.dep_ == "pobj" and token.head.lower_ in ("in", "at", "near", "inside", "outside")
