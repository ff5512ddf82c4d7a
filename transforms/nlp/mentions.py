"""Name mentions of one parsed article: statistical entities reconciled with the gazetteer,
trimmed, and given syntactic label evidence (pure). transforms/nlp/entities.py groups them.

Spans: a gazetteer match covering a statistical entity replaces it (label and id from the
gazetteer); a longer statistical entity containing a match is kept ("New York Times"); unmatched
gazetteer matches are added; a NOT_ENTITY gazetteer match (diseases: "Ebola") removes what it
covers. The news gazetteer (organisations from the PETRARCH2 dictionaries, matched in any case)
counts where the curated one has nothing, only where it is written as a name ("Salafist Group for
Preaching and Combat", not "care"), and a one-word match only where the model found a name
("Hamas" tagged PERSON becomes an ORG); its matches carry label evidence, not a referent.
Statistical spans are split at possessives ("Haftar's Libyan National Army") and commas
("Goma, Feb 28"), lose determiners, titles, possessive endings and loose conjunctions or
prepositions at their edges ("Seychelles and"), grow over attached hyphen parts ("Moon Jae-in")
and a ruler's regnal number ("Ramesses II"), and lose government-portfolio words before a title
("Trade Minister"); a span the model did not call a person but that starts with an honorific and
a name is one ("King Gongmin" -> Gongmin, PERSON). Era markers (BC, BCE) are NOT_ENTITY rows.
Evidence: "Gharyan, a city" / "the city of X" / "Ituri province" / "in Beni" -> GPE, "the Buzi
and Pungwe rivers" -> LOC, "the assembly president, Aguila Saleh" -> PERSON, "withdrew from the
so-called Gate 27" (tagged LAW) -> FAC.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from transforms.nlp.gazetteer import NEWS_SPANS_KEY, NOT_ENTITY, SPANS_KEY, is_acronym, split_span_id
from transforms.nlp.names import NAMED_LABELS, PERSON_TITLES, initials, normalize_alias

# Head nouns of an appositive or a "the city of X" construction that tell the label of X.
EVIDENCE_NOUNS = {
    "GPE": {"city", "town", "village", "capital", "country", "province", "region", "district",
            "state", "county", "suburb", "neighbourhood", "neighborhood", "enclave", "oasis",
            "governorate", "municipality", "island", "port", "nation", "kingdom", "republic",
            "territory", "prefecture", "commune", "township", "locality", "settlement"},
    "LOC": {"river", "lake", "mountain", "sea", "desert", "valley", "gulf", "bay", "plain",
            "forest", "strait", "ocean", "peninsula", "range", "delta", "basin", "plateau"},
    "FAC": {"checkpoint", "airport", "airbase", "base", "crossing", "bridge", "gate", "camp",
            "prison", "hospital", "compound", "square", "stadium", "palace", "refinery",
            "terminal", "harbour", "harbor", "highway", "road"},
    "PERSON": {"president", "minister", "commander", "leader", "spokesman", "spokeswoman",
               "spokesperson", "general", "chief", "envoy", "ambassador", "official",
               "secretary", "speaker", "chairman", "chairwoman", "founder", "politician",
               "activist", "journalist", "analyst", "king", "prince", "emir", "mayor", "governor",
               "senator", "lawmaker", "candidate", "officer", "director", "premier", "diplomat",
               "warlord", "strongman", "head", "man", "woman", "father", "mother", "son",
               "daughter", "brother", "sister", "wife", "husband", "researcher", "professor",
               "lawyer", "judge", "negotiator", "mediator", "successor", "predecessor"},
    "ORG": {"group", "organisation", "organization", "agency", "company", "party", "militia",
            "movement", "coalition", "alliance", "army", "bank", "ministry", "council",
            "parliament", "assembly", "firm", "network", "newspaper", "broadcaster", "faction",
            "union", "body", "court", "institute", "charity", "outlet"},
}
# Only place nouns are trusted when the name merely modifies them ("Ituri province"): "the Trump
# administration" or "the Katwa attack" say nothing.
_COMPOUND_EVIDENCE = ("GPE", "LOC")
_SPATIAL_PREPS = {"from", "to", "at", "in", "near", "into", "towards", "toward", "outside",
                  "inside", "around", "through", "across"}
_LOCATIVE_PREPS = {"in", "near", "inside", "outside", "throughout", "across"}
_NEARBY = {"nearby", "neighbouring", "neighboring", "northern", "southern", "eastern", "western",
           "central", "downtown"}
_LAW_WORDS = {"act", "law", "code", "constitution", "resolution", "treaty", "accord", "agreement",
              "convention", "charter", "protocol", "amendment", "article", "bill", "directive",
              "regulation", "declaration", "rule", "statute", "order", "decree", "plan", "pact"}
# "Trade Minister Hiroshige Seko", "Secretary of State Mike Pompeo": part of a title, not an ORG
_PORTFOLIOS = {"trade", "defence", "defense", "foreign", "interior", "finance", "state",
               "security", "health", "justice", "economy", "energy", "commerce", "agriculture",
               "education", "information", "home", "national", "homeland", "treasury", "oil",
               "labour", "labor", "transport", "culture", "environment", "affairs", "public"}
_TITLE_NOUNS = {"minister", "secretary", "adviser", "advisor", "spokesman", "spokeswoman",
                "spokesperson", "chief", "envoy", "ambassador", "official", "head", "director",
                "ministry", "department", "committee"}
_DETERMINERS = {"the", "a", "an", "this", "that"}
_MONTHS = {"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
           "dec", "january", "february", "march", "april", "june", "july", "august", "september",
           "october", "november", "december"}


@dataclass(slots=True)
class RawMention:
    """A name mention before grouping: span, labels, gazetteer id, evidence."""

    start: int  # token offsets
    end: int
    text: str
    label: str  # the statistical (or gazetteer) label
    canonical: str  # gazetteer canonical name, or ""
    evidence: str  # label implied by the syntax ("Gharyan, a city" -> GPE), or ""
    key: str  # normalize_alias(text)
    kind: str = ""  # gazetteer kind (country, city, demonym, armed, ...)
    of: str = ""  # gazetteer country of a demonym or city
    title: str = ""  # the title before a person's name, lowercased ("finance minister")


# -- sentences -------------------------------------------------------------------------------


def sentence_spans(doc: Doc) -> list[Span]:
    """The doc's sentences that contain something other than whitespace, in order."""
    return [s for s in doc.sents if not all(t.is_space for t in s)]


def sentence_of_tokens(doc: Doc) -> list[int]:
    """Index (into sentence_spans) of every token's sentence; whitespace gets the one before."""
    index = [0] * len(doc)
    current = -1
    for sent in doc.sents:
        if not all(t.is_space for t in sent):
            current += 1
        for t in sent:
            index[t.i] = max(current, 0)
    return index


# -- spans -----------------------------------------------------------------------------------


def _title_words(title: str) -> list[str]:
    return title.replace("-", " - ").split()


def _trim(doc: Doc, start: int, end: int, label: str) -> tuple[int, int]:
    """Drop leading determiners/punctuation, trailing possessives/punctuation, person titles."""
    while start < end and (doc[start].lower_ in _DETERMINERS or doc[start].is_punct
                           or doc[start].is_space):
        start += 1
    while end > start and (doc[end - 1].tag_ == "POS" or doc[end - 1].is_punct
                           or doc[end - 1].is_space or doc[end - 1].text in ("'s", "\u2019s")
                           or _loose_word(doc[end - 1])):
        end -= 1
    while start < end and _loose_word(doc[start]):
        start += 1
    if label == "PERSON":
        words = [t.lower_ for t in doc[start:end]]
        changed = True
        while changed and end - start > 1:
            changed = False
            for title in PERSON_TITLES:
                parts = _title_words(title)
                if len(parts) < len(words) and words[:len(parts)] == parts:
                    start += len(parts)
                    words = words[len(parts):]
                    changed = True
                    break
    # "Trade Minister X", "Secretary of State X": portfolio words before/after a title
    if label != "PERSON" and start < end:
        after = doc[end] if end < len(doc) else None
        before = doc[start - 2:start] if start >= 2 else None
        portfolio_tail = after is not None and after.lower_ in _TITLE_NOUNS
        of_title = before is not None and before[1].lower_ == "of" and \
            before[0].lower_ in _TITLE_NOUNS
        if portfolio_tail or of_title:
            cut = end
            while cut > start and doc[cut - 1].lower_ in _PORTFOLIOS:
                cut -= 1
            # "Ministry of Agriculture official" names the ministry: never cut to "Ministry of"
            if cut == start or not _loose_word(doc[cut - 1]):
                end = cut
    return start, end


def _loose_word(token: Token) -> bool:
    """A lower-case conjunction or preposition at the edge of a span: "Seychelles and"."""
    return token.is_lower and token.tag_ in ("CC", "IN", "TO")


# regnal numbers after a ruler's name: "Ramesses II" (not "I": "Dan I for one was ...")
_REGNAL = frozenset({"II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
                     "XIII", "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX"})
# honorifics that make a name a person's whatever the model said: "King Gongmin" tagged ORG
_PERSON_HONORIFICS = frozenset({"king", "queen", "prince", "princess", "pope", "emperor",
                                "empress", "tsar", "czar", "sultan", "president", "mr", "mr.",
                                "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "sir", "ayatollah"})


def _person_label(doc: Doc, start: int, end: int, label: str) -> str:
    """PERSON for a span the model labelled otherwise that starts with an honorific and a name."""
    if label != "PERSON" and end - start >= 2 and doc[start].lower_ in _PERSON_HONORIFICS \
            and doc[start + 1].is_title and not doc[start + 1].is_stop:
        return "PERSON"
    return label


# A name whose last word says it is a happening or a text is no organisation, place or person
# ("the Suez Crisis", "the First Opium War", "the Paris Agreement"), whatever the model said.
_EVENT_HEADS = frozenset({"war", "wars", "crisis", "revolution", "uprising", "rebellion", "massacre",
                          "genocide", "siege", "battle", "age", "era", "olympics", "games", "cup",
                          "championship", "championships", "tournament", "festival", "summit",
                          "referendum", "famine", "intifada"})
_LAW_HEADS = frozenset({"act", "treaty", "accord", "accords", "agreement", "protocol", "constitution",
                        "charter", "amendment", "testament"})


# a party's members, which the model calls a nationality or a group (NORP): "Republicans
# captured the Senate", "the Tories led by Lord North"
_PARTY_MEMBERS = frozenset({"republicans", "democrats", "tories", "whigs", "conservatives",
                            "liberals", "socialists"})


_RELIGIONS = frozenset({"islam", "judaism", "christianity", "hinduism", "buddhism", "sikhism",
                        "catholicism", "protestantism", "shinto", "taoism", "confucianism",
                        "zoroastrianism", "jainism"})
_FAITH_WORDS = frozenset({"shia", "shiite", "sunni", "orthodox", "roman", "political", "radical"})


def _kind_label(doc: Doc, start: int, end: int, label: str) -> str:
    """EVENT or LAW for an ORG, GPE, LOC, FAC or PERSON span whose last word names a happening
    or a text; ORG for a party's members; NORP for a faith."""
    if label == "NORP" and end - start == 1 and doc[start].is_title \
            and doc[start].lower_ in _PARTY_MEMBERS:
        return "ORG"
    if doc[end - 1].lower_ in _RELIGIONS and all(t.lower_ in _FAITH_WORDS for t in doc[start:end - 1]):
        return "NORP"  # "Islam", "Shia Islam": a faith, not an organisation (but "Yusuf Islam")
    if label not in ("ORG", "GPE", "LOC", "FAC", "PERSON") or not doc[end - 1].is_title:
        return label
    last = doc[end - 1].lower_
    return "EVENT" if last in _EVENT_HEADS else "LAW" if last in _LAW_HEADS else label


def _extend_regnal(doc: Doc, end: int, label: str) -> int:
    """Grow a person's span over a regnal number: "Ramesses" + "II"."""
    if label == "PERSON" and end < len(doc) and doc[end].text in _REGNAL:
        return end + 1
    return end


def _extend_hyphenated(doc: Doc, end: int) -> int:
    """Grow a span over attached hyphen parts: "Moon Jae" + "-in", "Jaish" + "-e-Mohammad"."""
    while end + 1 < len(doc) and doc[end].text == "-" and not doc[end - 1].whitespace_ \
            and not doc[end].whitespace_ and doc[end + 1].is_alpha \
            and (doc[end + 1].text[0].isupper() or len(doc[end + 1]) <= 2):
        end += 2  # but not "Tripoli-based", "UN-backed", "NATO-led"
    return end


# Possessors that are part of a name: "People's Liberation Army", "Workers' Party"
_NAME_POSSESSORS = {"people", "peoples", "workers", "women", "children", "martyrs", "king", "queen",
                    "veterans", "farmers", "citizens", "nations", "saint", "st.", "st", "god"}


def _pieces(span: Span) -> list[tuple[int, int]]:
    """Split at possessives ("Haftar's Libyan National Army") and commas ("Goma, Feb 28")."""
    parts, start = [], span.start
    for t in span[1:-1]:
        if t.tag_ == "POS" and t.i - 1 == start and span.doc[start].lower_ in _NAME_POSSESSORS:
            continue
        if t.tag_ == "POS" or t.text in ("'s", "\u2019s", ","):
            parts.append((start, t.i))
            start = t.i + 1
    parts.append((start, span.end))
    return parts


def _date_like(span: Span) -> bool:
    """"Feb 28", "28 February": a date the NER folded into a name."""
    words = [t.lower_.rstrip(".") for t in span]
    return any(w in _MONTHS for w in words) and any(t.like_num for t in span)


# words of a name that may be written in lower case: "al-Qaeda", "Doctors without Borders"
_NAME_PARTICLES = frozenset({"of", "the", "and", "for", "in", "on", "at", "to", "de", "la", "le",
                             "du", "des", "del", "da", "di", "van", "von", "y", "et", "al", "el",
                             "e", "i", "ul", "bin", "ibn", "fi", "li", "wa", "a", "an", "without",
                             "against", "with", "from", "s"})


def _written_as_name(span: Span) -> bool:
    """Every word of the span but particles is capitalised, or the whole span is upper case."""
    words = [t for t in span if t.is_alpha]
    if not words:
        return False
    if all(t.is_upper for t in words):
        return True
    content = [t for t in words if t.lower_ not in _NAME_PARTICLES]
    return bool(content) and all(t.text[0].isupper() for t in content)


def _news_spans(doc: Doc, gaz_spans: list[tuple[int, int, str, str]],
                ner: list[tuple[int, int, str]]) -> list[tuple[int, int, str, str]]:
    """The news gazetteer's matches that count (see the module docstring)."""
    out = []
    in_gaz = {i for g in gaz_spans for i in range(g[0], g[1])}
    in_ner = {i for n in ner for i in range(n[0], n[1])}
    for span in filter_spans(doc.spans[NEWS_SPANS_KEY]) if NEWS_SPANS_KEY in doc.spans else ():
        start, end = span.start, span.end
        if any(i in in_gaz for i in range(start, end)) or not _written_as_name(span):
            continue
        one_word = sum(t.is_alpha and t.lower_ not in _NAME_PARTICLES for t in span) <= 1
        if one_word and not any(i in in_ner for i in range(start, end)):
            continue
        out.append((start, end, span.label_, span.id_))
    return out


_PERSONAL_PRONOUNS = frozenset({"he", "she", "him", "her", "his", "hers", "himself", "herself"})


def _people_by_pronoun(doc: Doc, ner: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """PERSON for a name the model called an organisation when "he", "his", "she" or "her" later
    in its sentence can only point back to it: "Hitchcock's output during the last two decades
    of his life", "Winstone met his wife" (the small model calls many lone surnames ORG)."""
    out = list(ner)
    for n, (start, end, label) in enumerate(ner):
        if label != "ORG" or any(t.is_upper for t in doc[start:end]) \
                or doc[start:end].root.dep_ not in ("nsubj", "nsubjpass", "poss"):
            continue  # "BBC ... his": an acronym is an organisation; "Hezbollah fighters"
        sent = doc[start].sent
        nxt = ner[n + 1][0] if n + 1 < len(ner) else len(doc)
        stop = min(sent.end, nxt)
        if any(t.lower_ in _PERSONAL_PRONOUNS for t in doc[end:stop]) and not any(
                s2 < start and e2 > sent.start and l2 == "PERSON" for s2, e2, l2 in ner):
            out[n] = (start, end, "PERSON")
    return out


def _candidates(doc: Doc) -> list[tuple[int, int, str, str]]:
    """(start, end, label, gazetteer span id or "") of every name span, sorted."""
    gaz = filter_spans(doc.spans[SPANS_KEY]) if SPANS_KEY in doc.spans else []
    gaz_spans = [(g.start, g.end, g.label_, g.id_ or g.text) for g in gaz]  # id: name|kind|of
    ner: list[tuple[int, int, str]] = []
    for ent in doc.ents:
        if ent.label_ not in NAMED_LABELS:
            continue
        for start, end in _pieces(ent):
            label = _kind_label(doc, start, end, _person_label(doc, start, end, ent.label_))
            start, end = _trim(doc, start, end, label)
            if start < end:
                end = _extend_regnal(doc, _extend_hyphenated(doc, end), label)
                if not _date_like(doc[start:end]):
                    ner.append((start, end, label))
    ner = _people_by_pronoun(doc, ner)
    gaz_spans = sorted(gaz_spans + _news_spans(doc, gaz_spans, ner))
    # the gazetteer spans over each token: a name's overlapping spans without scanning them all
    # (that was quadratic: a 100,000-character list of names took 30 s here)
    covering: dict[int, list[int]] = {}
    for i, g in enumerate(gaz_spans):
        for t in range(g[0], g[1]):
            covering.setdefault(t, []).append(i)
    out: list[tuple[int, int, str, str]] = []
    consumed: set[int] = set()
    for start, end, label in ner:
        overlapping = sorted({i for t in range(start, end) for i in covering.get(t, ())})
        if not overlapping:
            out.append((start, end, label, ""))
        elif all(start <= gaz_spans[i][0] and gaz_spans[i][1] <= end for i in overlapping) and \
                not any(gaz_spans[i][0] == start and gaz_spans[i][1] == end for i in overlapping):
            consumed.update(overlapping)
            out.append((start, end, label, ""))
    for i, (start, end, label, gaz_id) in enumerate(gaz_spans):
        if i not in consumed and label != NOT_ENTITY:
            out.append((start, end, label, gaz_id))
    return sorted(out)


# -- evidence --------------------------------------------------------------------------------


def _first_conjunct(token: Token) -> Token:
    while token.dep_ == "conj" and token.head.i != token.i:
        token = token.head
    return token


def _evidence_label(doc: Doc, start: int, end: int, label: str) -> str:
    """A label implied by the syntax around a name (see the module docstring)."""
    span = doc[start:end]
    root = span.root
    nouns = [c for c in root.children if c.dep_ == "appos" and c.i >= end]
    if root.dep_ == "appos" and root.head.i < start:
        nouns.append(root.head)
    lead = _first_conjunct(root)  # "in Butembo and Beni": Beni shares Butembo's preposition
    if lead.dep_ == "pobj" and lead.head.lower_ == "of" and \
            lead.head.head.lemma_.lower() in EVIDENCE_NOUNS["GPE"]:
        return "GPE"  # "the city of Gharyan" (but "lawmakers of the House" says nothing)
    nouns += [c for c in root.children if c.dep_ in ("compound", "amod") and c.i < start
              and c.pos_ == "NOUN"]  # "the capital Tripoli"
    for noun in nouns:
        for evidence, heads in EVIDENCE_NOUNS.items():
            if noun.lemma_.lower() in heads and noun.pos_ in ("NOUN", "PROPN"):
                return evidence
    if lead.dep_ in ("compound", "nmod") and lead.head.i >= end:  # "Ituri province"
        for evidence in _COMPOUND_EVIDENCE:
            if lead.head.lemma_.lower() in EVIDENCE_NOUNS[evidence] and lead.head.pos_ == "NOUN":
                return evidence
    if label == "PERSON":
        # people are not "in Katwa" or "nearby"
        if lead.dep_ == "pobj" and lead.head.lower_ in _LOCATIVE_PREPS:
            return "GPE"
        if any(c.dep_ == "amod" and c.lower_ in _NEARBY for c in root.children):
            return "GPE"
    if label in ("LAW", "WORK_OF_ART", "PRODUCT") and root.dep_ == "pobj":
        words = {t.lower_ for t in span}
        if root.head.lower_ in _SPATIAL_PREPS and not words & _LAW_WORDS:
            return "FAC"  # "withdrew from the so-called Gate 27"
    return ""


def _person_title(doc: Doc, start: int, root: Token) -> str:
    """The lowercased title words just before a person's name: "finance minister", "crown prince"."""
    words: list[str] = []
    attached = {root.i, *range(start, root.i + 1)}
    i = start - 1
    while i >= 0 and not doc[i].is_space and (
        doc[i].text == "-" or doc[i].dep_ in ("compound", "amod") and doc[i].head.i in attached
    ) and (doc[i].ent_type_ not in ("GPE", "ORG", "NORP") or doc[i].lower_ in _PORTFOLIOS):
        words.insert(0, doc[i].lower_)
        attached.add(i)
        i -= 1
    title = " ".join(w for w in words if w != "-")
    return title if title and any(t.split()[-1] == title.split()[-1] for t in PERSON_TITLES) else ""


def extract_mentions(doc: Doc) -> tuple[list[RawMention], dict[str, str]]:
    """Every name mention of the doc, and the acronym pairs it defines ("Name (ACR)").

    Returns:
        Mentions sorted by position, and acronym key -> name key for pairs learned in the text.
    """
    out = []
    for start, end, label, gaz_id in _candidates(doc):
        canonical, kind, of = split_span_id(gaz_id) if gaz_id else ("", "", "")
        span = doc[start:end]
        if not any(c.isupper() for c in span.text):
            continue  # English names are capitalised; lowercase NER output is noise
        key = normalize_alias(span.text)
        if not key:
            continue
        if canonical:
            evidence = ""
        elif gaz_id:  # the news gazetteer: the label is evidence, the name is the text's
            evidence = label
        else:
            evidence = _evidence_label(doc, start, end, label)
        title = _person_title(doc, start, span.root) if label == "PERSON" else ""
        out.append(RawMention(start, end, span.text, label, canonical, evidence, key, kind, of,
                              title))
    return _acronym_mentions(doc, out)


def _acronym_mentions(doc: Doc, mentions: list[RawMention]) -> tuple[list[RawMention], dict[str, str]]:
    """Learn "Name (ACR)" pairs; add mentions for acronym tokens the NER missed."""
    learned: dict[str, tuple[str, str]] = {}  # acronym text -> (name key, label)
    for m in mentions:
        if m.end - m.start < 2 or m.end + 2 >= len(doc):
            continue
        opening, acr, closing = doc[m.end], doc[m.end + 1], doc[m.end + 2]
        if opening.text == "(" and closing.text == ")" and is_acronym(acr.text):
            if abbreviates(acr.text.replace(".", ""), m.text):
                learned[acr.text] = (m.key, m.label)
    if not learned:
        return mentions, {}
    covered = {i for m in mentions for i in range(m.start, m.end)}
    added = [
        RawMention(t.i, t.i + 1, t.text, learned[t.text][1], "", "", normalize_alias(t.text))
        for t in doc
        if t.text in learned and t.i not in covered
    ]
    pairs = {normalize_alias(acr): key for acr, (key, _) in learned.items()}
    return sorted(mentions + added, key=lambda m: m.start), pairs


_SKIPPABLE = frozenset({"of", "the", "and", "for", "in", "on", "de", "du", "la", "le", "&", "des"})


def abbreviates(letters: str, name: str) -> bool:
    """ACR abbreviates name: its initials, or prefixes of its words in order.

    "LNA" ~ "Libyan National Army", "KFOR" ~ "Kosovo Force" (K + FOR), "UNSMIL" ~ "UN Support
    Mission in Libya"; function words may be skipped, the first word may not.
    """
    if letters == initials(name):
        return True
    words = [w.upper() for w in name.replace("-", " ").split() if w[:1].isalnum()]
    letters = letters.upper()

    def fit(li: int, wi: int) -> bool:
        if li == len(letters):
            return all(w.lower() in _SKIPPABLE for w in words[wi:])
        if wi == len(words):
            return False
        word = words[wi]
        for n in range(min(len(word), len(letters) - li), 0, -1):
            if letters[li:li + n] == word[:n] and fit(li + n, wi + 1):
                return True
        return wi > 0 and word.lower() in _SKIPPABLE and fit(li, wi + 1)

    return bool(letters) and bool(words) and fit(0, 0)
