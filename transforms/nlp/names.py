"""Name strings: alias normalisation, titles, initials, fuzzy comparison of person names (pure)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from rapidfuzz import fuzz

# spaCy labels of named entities (dates, times and numbers are not entities here)
NAMED_LABELS = frozenset(
    {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
     "LANGUAGE"}
)

# Titles and roles that precede a person's name. Kept out of names and aliases: "Prime Minister
# Fayez Al Serraj" and "Serraj" are one person. Multi-word titles first (longest match wins).
PERSON_TITLES = (
    "un secretary-general", "un secretary general", "secretary-general", "secretary general",
    "secretary of state", "vice president", "vice-president", "deputy prime minister",
    "prime minister", "foreign minister", "defence minister", "defense minister",
    "interior minister", "finance minister", "deputy minister", "minister", "crown prince",
    "supreme leader", "field marshal", "lieutenant general", "lt. gen.", "lt gen", "major general",
    "maj. gen.", "maj gen", "brigadier general", "brig. gen.", "attorney general", "general",
    "gen.", "gen", "marshal", "colonel", "col.", "commander", "admiral", "adm.", "captain",
    "capt.", "sergeant", "sgt.", "president", "chancellor", "premier", "king", "queen", "prince",
    "princess", "sheikh", "emir", "sultan", "ayatollah", "imam", "pope", "cardinal", "bishop",
    "archbishop", "rabbi", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "sir", "dame",
    "lord", "lady", "senator", "sen.", "rep.", "representative", "congressman", "congresswoman",
    "governor", "gov.", "mayor", "ambassador", "special envoy", "envoy", "spokesman",
    "spokeswoman", "spokesperson", "speaker", "judge", "justice", "professor", "prof.",
    "chairman", "chairwoman", "president-elect", "warlord", "strongman", "militia leader",
    "leader",
)
# In normalize_alias (which sees no label) only titles that rarely start an organisation's name.
_ALIAS_TITLES = tuple(
    t for t in PERSON_TITLES
    if t not in {"general", "king", "queen", "prince", "justice", "leader", "speaker", "lord",
                 "lady", "representative", "commander", "captain", "judge", "cardinal"}
)

# Arabic article/particle spellings that vary between outlets: "al-Sisi", "el-Sisi", "Al Sisi".
_PARTICLES = {"el": "al"}
_INITIALS_SKIP = frozenset({"of", "the", "and", "for", "in", "on", "de", "du", "la", "le", "&"})

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u2013": "-",
                         "\u2014": "-", "\u2010": "-", "\u2011": "-"})
_POSSESSIVE = re.compile(r"(?:'s|s')$|'$")
_NON_WORD = re.compile(r"[^\w\s]")


def fold(text: str) -> str:
    """Unicode-fold: NFKD without combining marks, typographic quotes/dashes made plain."""
    text = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    return "".join(c for c in text if not unicodedata.combining(c))


def strip_title_words(words: list[str], titles: tuple[str, ...] = PERSON_TITLES) -> list[str]:
    """Drop leading title words ("Prime", "Minister") from a lowercased word list, keeping >= 1."""
    changed = True
    while changed and len(words) > 1:
        changed = False
        for title in titles:
            parts = title.split()
            if len(parts) < len(words) and words[: len(parts)] == parts:
                words = words[len(parts):]
                changed = True
                break
    return words


def normalize_alias(text: str) -> str:
    """The matching key of a surface form: casefolded, no possessive, title, dots or punctuation.

    "Haftar's" -> "haftar"; "Secretary-General Antonio Guterres" -> "antonio guterres";
    "U.N." -> "un"; "al-Qaeda" -> "al qaeda"; "the United Nations" -> "united nations".
    """
    text = fold(text).casefold().strip()
    text = _POSSESSIVE.sub("", text.strip(" .,;:!?\"'()[]")).strip()
    words = text.split()
    if words and words[0] == "the" and len(words) > 1:
        words = words[1:]
    words = strip_title_words(words, _ALIAS_TITLES)
    text = " ".join(words).replace(".", "")
    text = _NON_WORD.sub(" ", text.replace("'", ""))
    return " ".join(text.split())


def coarse_label(label: str) -> str:
    """The label family an entity id is derived from: PERSON, ORG, GPE (GPE+LOC), NORP, FAC, MISC."""
    if label in ("PERSON", "ORG", "NORP", "FAC"):
        return label
    if label in ("GPE", "LOC"):
        return "GPE"
    return "MISC"


def make_entity_id(label: str, name: str) -> str:
    """Stable id of a referent: sha1 of its coarse label and normalised canonical name, 16 hex."""
    key = f"{coarse_label(label)}|{normalize_alias(name)}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def initials(name: str) -> str:
    """Initials of the capitalised words of a name, skipping function words: LNA, UN, GNA."""
    words = fold(name).replace("-", " ").split()
    return "".join(w[0].upper() for w in words if w.lower() not in _INITIALS_SKIP and w[0].isalpha())


def name_tokens(key: str) -> list[str]:
    """Tokens of a normalised name with particle spellings unified (el -> al)."""
    return [_PARTICLES.get(t, t) for t in key.split()]


def similar_tokens(a: str, b: str, threshold: float = 80.0) -> bool:
    """Two name tokens are spelling variants: equal, or close enough and not short."""
    if a == b:
        return True
    if min(len(a), len(b)) < 4 or a[0] != b[0] and a[-1] != b[-1]:
        return False
    return fuzz.ratio(a, b) >= threshold


def spelling_variants(a: str, b: str) -> bool:
    """Two multi-word normalised names are spelling variants of one name.

    Token by token (same count, each pair a variant) and close as a whole, so "fayez al sarraj" ~
    "fayez al serraj" but "north korea" !~ "south korea" and "kim jong un" !~ "kim jong il".
    """
    ta, tb = name_tokens(a), name_tokens(b)
    if len(ta) != len(tb) or len(ta) < 2:
        return False
    if not all(similar_tokens(x, y) for x, y in zip(ta, tb, strict=True)):
        return False
    return fuzz.ratio(" ".join(ta), " ".join(tb)) >= 85.0
