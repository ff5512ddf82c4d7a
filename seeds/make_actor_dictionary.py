"""Write seeds/actors_phoenix.tsv.gz, the actor coder's dictionary, from PETRARCH2's Phoenix
dictionaries and newsduck's additions (seeds/actors_newsduck.txt), and seeds/gazetteer_news.jsonl,
the organisations among them as a news gazetteer for the NER.

    .venv/bin/python seeds/make_actor_dictionary.py [--petrarch DIR] [--out FILE]

DIR defaults to ../shared/reference/petrarch2 (next to the repository): openeventdata/petrarch2
@ 676801cd9cb2924bbbad09f86d15c9323e7097bf, data/dictionaries/Phoenix.Countries.actors.txt,
Phoenix.International.actors.txt, Phoenix.MilNonState.actors.txt, Phoenix.agents.txt (MIT; the
licence is copied to seeds/LICENSE.petrarch2). The output is deterministic (gzip without a
timestamp); the counts printed are entries, synonyms, codes, dated codes, agents and what was
skipped by reason.

What the coder cannot use is left out: comments, entries with no valid code, phrases of one
character or digits only, "(...)" parts of phrases (acronyms in brackets are ambiguous), codes
with a malformed date, and phrases repeated with the same codes (the International file lists
the UN three times), one-word phrases that are common nouns ("organization" for Tanzim).
Phrases are stored as lookup keys (lower case, no diacritics, no
punctuation); dates as YYYYMMDD.

The news gazetteer (ORG rows, lower-case forms matched case-insensitively; transforms/nlp/
mentions.py then wants them written as a name) takes the phrases of International and
MilNonState entries and the organisation phrases of the Countries file, and leaves out what is
unsafe: person entries (an ELI code, dated International codes, Countries office holders),
phrases that read as a person or a post (a first name of the Countries office holders or an
honorific first, a title or role word anywhere: "UN Secretary-General"),
synonyms that share no word with their entry and name no organisation (Hezbollah's entry lists
Nasrallah), Countries phrases without an organisation word, and phrases the curated gazetteer or
the country names already have. One-word forms stay in the file; the NER side only lets them
relabel a name the model already found (they are never new spans: "Care", "Apple").
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import shutil
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from transforms.coding.actors import ActorDictionary  # noqa: E402
from transforms.coding.phoenix import (  # noqa: E402
    COUNTRIES,
    ActorEntry,
    AgentEntry,
    format_actor_seed,
    parse_petrarch_actors,
    parse_petrarch_agents,
    phrase_key,
)
from transforms.nlp.names import PERSON_TITLES, strip_title_words  # noqa: E402
from transforms.nlp.syntax import (  # noqa: E402
    CROWD_NOUNS,
    GOVERNMENT_NOUNS,
    GROUP_NOUNS,
    PERSON_NOUNS,
    PLACE_NOUNS,
)

SOURCE = "openeventdata/petrarch2 @ 676801cd9cb2924bbbad09f86d15c9323e7097bf"
DEFAULT_DIR = ROOT.parent / "shared" / "reference" / "petrarch2"
OUT = ROOT / "seeds" / "actors_phoenix.tsv.gz"
ADDITIONS = ROOT / "seeds" / "actors_newsduck.txt"
LICENSE = ROOT / "seeds" / "LICENSE.petrarch2"
GAZETTEER = ROOT / "seeds" / "gazetteer.jsonl"
NEWS_GAZETTEER = ROOT / "seeds" / "gazetteer_news.jsonl"
ACTOR_FILES = (("Phoenix.Countries.actors.txt", COUNTRIES), ("Phoenix.International.actors.txt", "I"),
               ("Phoenix.MilNonState.actors.txt", "M"))
AGENT_FILE = "Phoenix.agents.txt"
AGENTS_MARK = "#### AGENTS ####"


# one-word synonyms that are ordinary nouns name nobody in particular: Phoenix lists
# "organization" for Tanzim and "youth" for a French group
COMMON_NOUNS = (GROUP_NOUNS | GOVERNMENT_NOUNS | CROWD_NOUNS | PERSON_NOUNS | PLACE_NOUNS
                | {"organization", "organisation"})


def _dedupe(entries: list[ActorEntry], skipped: Counter[str]) -> list[ActorEntry]:
    """Drop phrases an earlier entry already has with the same codes, one-word phrases that are
    common nouns, and entries left empty."""
    seen: set[tuple[str, tuple]] = set()
    out = []
    for entry in entries:
        phrases = []
        for phrase in entry.phrases:
            key = (phrase, entry.codes)
            if phrase in COMMON_NOUNS:
                skipped["one_word_common_noun"] += 1
            elif key in seen:
                skipped["phrase_repeated_with_same_codes"] += 1
            else:
                seen.add(key)
                phrases.append(phrase)
        if phrases:
            out.append(ActorEntry(tuple(phrases), entry.codes, entry.source))
    return out


def build(petrarch: Path, additions: Path) -> tuple[list[ActorEntry], list[AgentEntry], dict]:
    """The entries and agents of the seed, and the counts to print."""
    entries: list[ActorEntry] = []
    skipped: Counter[str] = Counter()
    per_file: dict[str, Counter[str]] = {}
    for name, source in ACTOR_FILES:
        lines = (petrarch / name).read_text(encoding="utf-8").splitlines()
        found, why = parse_petrarch_actors(lines, source)
        entries += found
        skipped.update(why)
        per_file[name] = _actor_counts(found)
    agents, why = parse_petrarch_agents((petrarch / AGENT_FILE).read_text(encoding="utf-8").splitlines())
    skipped.update({f"agents: {k}": v for k, v in why.items()})
    per_file[AGENT_FILE] = Counter(agents=len(agents), forms=sum(len(a.phrases) for a in agents))
    own_actors, _, own_agents = additions.read_text(encoding="utf-8").partition(AGENTS_MARK)
    found, why = parse_petrarch_actors(own_actors.splitlines(), "N")
    extra_agents, why_agents = parse_petrarch_agents(own_agents.splitlines())
    skipped.update({f"newsduck: {k}": v for k, v in (why + why_agents).items()})
    per_file[additions.name] = _actor_counts(found) + Counter(agents=len(extra_agents))
    overridden = {p for a in extra_agents for p in a.phrases}
    replaced = sum(1 for a in agents for p in a.phrases if p in overridden)
    entries = _dedupe(entries + found, skipped)
    agents += extra_agents
    return entries, agents, {"files": per_file, "skipped": skipped,
                             "agent_forms_overridden": replaced}


def _actor_counts(entries: list[ActorEntry]) -> Counter[str]:
    codes = [c for e in entries for c in e.codes]
    return Counter(entries=len(entries), synonyms=sum(len(e.phrases) - 1 for e in entries),
                   codes=len(codes), dated_codes=sum(c.dated for c in codes),
                   distinct_codes=len({c.code for c in codes}))


def _ambiguous(dictionary: ActorDictionary) -> int:
    """Phrases whose entries name different countries: the coder leaves them uncoded unless
    the date picks one."""
    n = 0
    for ids in dictionary.actors.values():
        if len(ids) > 1:
            countries = defaultdict(set)
            for i in ids:
                countries[i] = {dictionary.code_of(c.code).country or c.code[:3]
                                for c in dictionary.entries[i].codes}
            if len(set().union(*countries.values())) > 1:
                n += 1
    return n

# -- the news gazetteer ---------------------------------------------------------------------

# words that make a phrase an organisation's name (a trailing "s" is dropped before the test)
ORG_WORDS = frozenset("""
organization organisation front army brigade movement party group council committee
commission union league federation association society agency bank fund institute institution
foundation corporation corp company co inc ltd limited plc holding airline airway international
network alliance coalition conference assembly parliament congress senate ministry department
office bureau authority board service court tribunal police force guard command mission
program programme secretariat center centre college university academy church watch radio
television tv news press times post hospital crescent cross club corp division regiment
battalion militia cell jihad resistance liberation industry industrie trust partner partnership
system technologie motor petroleum energy railway communication telecom broadcasting enterprise
chemical pharmaceutical laboratorie bancorp bancorporation
""".split())
# honorifics that start a person's name, and titles or roles anywhere in a phrase ("UN
# Secretary-General", "Indian UN peacekeeper"): a person or a post, not an organisation
PERSON_START = frozenset({"sheikh", "sheik", "sayyid", "sayyed", "seyyed", "mullah", "imam", "mr",
                          "mrs", "dr", "general", "colonel", "king", "prince", "emir", "ayatollah",
                          "baroness", "lord", "sir", "ibn", "abu"})
ROLE_WORDS = frozenset({"secretary", "chief", "minister", "president", "spokesman", "spokeswoman",
                        "spokesperson", "peacekeeper", "monitor", "envoy", "ambassador", "official",
                        "representative", "rapporteur", "commissioner", "director", "chairman",
                        "head", "governor", "leader", "commander", "executive", "founder", "sec",
                        "secy", "gen"})


def surface(part: str) -> str:
    """A phrase as the news gazetteer keeps it: lower case, words with their punctuation, no
    leading "the" ("THE_UNITED_NATIONS_" -> "united nations", "AL-QAEDA" -> "al-qaeda")."""
    words = part.replace("_", " ").split()
    if words[:1] and words[0].lower() == "the":
        words = words[1:]
    return " ".join(words).lower()


def _words(phrase: str) -> list[str]:
    return [w for w in re.split(r"[\s\-/]+", phrase.replace(".", "")) if w]


def _org_word(phrase: str) -> bool:
    return any(w in ORG_WORDS or w.rstrip("s") in ORG_WORDS for w in _words(phrase))


def _office_holder(entry: ActorEntry) -> bool:
    """A Countries entry for a person: role-coded and dated ("HRVGOV 900530-991210")."""
    return any(len(c.code) > 3 for c in entry.codes) and any(c.dated for c in entry.codes)


def _kind(entry: ActorEntry) -> str:
    code = entry.codes[0].code
    if code.startswith("IGO"):
        return "igo"
    if code.startswith(("NGO", "NGM")):
        return "ngo"
    if code.startswith("MNC"):
        return "company"
    if "MED" in (code[:3], code[3:6]):
        return "media"
    if entry.source == "M" or code.startswith("IMG") or code[3:6] in ("REB", "UAF"):
        return "armed"
    return {"GOV": "government", "LEG": "government", "JUD": "government", "MIL": "security",
            "COP": "security", "SPY": "security", "PTY": "party", "OPP": "party"}.get(code[3:6], "org")


_LEGAL = {"inc", "corp", "co", "ltd", "plc", "llc"}
_LEGAL_LONG = {"incorporated", "corporation", "company", "limited"}


def _variants(phrase: str) -> list[str]:
    """Other spellings of a form: "al-qaeda" -> "al qaeda"; "humana inc" -> "humana inc.",
    "humana"; "dana holding corporation" -> "dana holding"."""
    out = []
    if "-" in phrase:
        out.append(" ".join(_words(phrase)))
    words = phrase.split()
    if len(words) > 1 and words[-1] in _LEGAL:
        out.append(phrase + ".")
    if len(words) > 1 and words[-1].rstrip(".") in _LEGAL | _LEGAL_LONG:
        out.append(" ".join(words[:-1]).rstrip(","))
    return [v for v in out if v and v != phrase]


def news_gazetteer(petrarch: Path) -> tuple[list[dict], Counter[str]]:
    """ORG rows for the news gazetteer and the phrases left out, by reason (module docstring)."""
    data = {}
    for name, source in ACTOR_FILES:
        data[source], _ = parse_petrarch_actors(
            (petrarch / name).read_text(encoding="utf-8").splitlines(), source, key_of=surface)
    titles = {w for t in PERSON_TITLES for w in t.split()[:1]}
    firsts: Counter[str] = Counter()
    for entry in data[COUNTRIES]:
        if _office_holder(entry):
            for phrase in entry.phrases:
                words = _words(phrase)
                words = strip_title_words(words, PERSON_TITLES) if words[:1] and words[0] in titles else words
                if len(words) >= 2:
                    firsts[words[0]] += 1
    org_starts = {_words(p)[0] for src in "IM" for e in data[src] for p in e.phrases if _org_word(p)}
    first_names = {w for w in firsts if w not in org_starts and w not in ORG_WORDS}
    curated = set()
    for line in GAZETTEER.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            row = json.loads(line)
            curated |= {phrase_key(f) for f in (row["name"], *row.get("aliases", ()))}
    countries = {phrase_key(p) for e in data[COUNTRIES] if any(len(c.code) == 3 for c in e.codes)
                 for p in e.phrases}
    known = curated | countries
    left_out: Counter[str] = Counter()
    rows = []
    seen: set[str] = set()
    for source in ("I", "M", COUNTRIES):
        for entry in data[source]:
            if source == COUNTRIES and (_office_holder(entry) or all(len(c.code) == 3 for c in entry.codes)):
                continue  # office holders; country names, demonyms and cities
            if any("ELI" in c.code for c in entry.codes) or source == "I" and any(c.dated for c in entry.codes):
                left_out["person entry"] += len(entry.phrases)
                continue
            primary = set(_words(entry.phrases[0]))
            forms = []
            for i, phrase in enumerate(entry.phrases):
                words = _words(phrase)
                orgish = _org_word(phrase)
                if source == COUNTRIES and not orgish:
                    left_out["Countries phrase without an organisation word"] += 1
                elif not orgish and words and (words[0] in first_names or words[0] in PERSON_START
                                               or any(w.rstrip("s") in ROLE_WORDS for w in words)):
                    left_out["reads as a person or a post"] += 1
                elif i and not orgish and len(words) > 1 and not set(words) & primary:
                    left_out["synonym unrelated to its entry"] += 1
                elif phrase_key(phrase) in known:
                    left_out["in the curated gazetteer or a country name"] += 1
                elif phrase in seen:
                    left_out["repeated"] += 1
                else:
                    seen.add(phrase)
                    forms.append(phrase)
                    for variant in _variants(phrase):
                        if variant not in seen and phrase_key(variant) not in known:
                            seen.add(variant)
                            forms.append(variant)
            if forms:
                row = {"label": "ORG", "name": forms[0], "kind": _kind(entry)}
                if forms[1:]:
                    row["aliases"] = forms[1:]
                rows.append(row)
    return rows, left_out


def write_news_gazetteer(rows: list[dict], out: Path) -> None:
    """seeds/gazetteer_news.jsonl: a header naming the source, one row per entry."""
    header = [
        "# newsduck news gazetteer (organisations), written by seeds/make_actor_dictionary.py: do not edit",
        f"# source: {SOURCE} data/dictionaries/Phoenix.International.actors.txt,",
        "#   Phoenix.MilNonState.actors.txt, Phoenix.Countries.actors.txt (MIT: seeds/LICENSE.petrarch2)",
        "# forms are lower case and matched case-insensitively; a match counts only when written as a",
        "# name, and a one-word form only relabels a name the model found (transforms/nlp/mentions.py)",
    ]
    lines = header + [json.dumps(row, ensure_ascii=False) for row in rows]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")



def write(entries: list[ActorEntry], agents: list[AgentEntry], out: Path) -> bytes:
    """Write the gzipped seed; returns its bytes (deterministic: no name, no timestamp)."""
    header = [
        "# newsduck actor dictionary, written by seeds/make_actor_dictionary.py: do not edit by hand",
        f"# source: {SOURCE} data/dictionaries/Phoenix.Countries.actors.txt,",
        "#   Phoenix.International.actors.txt, Phoenix.MilNonState.actors.txt, Phoenix.agents.txt",
        "#   (MIT License, Copyright (c) 2014 Open Event Data Alliance: seeds/LICENSE.petrarch2),",
        "#   plus seeds/actors_newsduck.txt (source N)",
        "# A<TAB>source (C countries, I international, M militant non-state, N newsduck)<TAB>codes"
        "<TAB>phrase|phrase",
        "#   a code is CODE, CODE:from-to, CODE:-before or CODE:from- (YYYYMMDD, to exclusive)",
        "# G<TAB>agent code (~XXX appended to the actor's code, XXX~ put before it)<TAB>phrase|phrase",
    ]
    text = "\n".join(header + format_actor_seed(entries, agents)) + "\n"
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as f:
        f.write(text.encode("utf-8"))
    data = buffer.getvalue()
    out.write_bytes(data)
    return data


def main(argv: list[str] | None = None) -> None:
    """Write the seed and print its counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--petrarch", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--additions", type=Path, default=ADDITIONS)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--news-gazetteer", type=Path, default=NEWS_GAZETTEER)
    args = parser.parse_args(argv)
    entries, agents, counts = build(args.petrarch, args.additions)
    data = write(entries, agents, args.out)
    if not LICENSE.exists():
        shutil.copyfile(args.petrarch / "LICENSE", LICENSE)
    dictionary = ActorDictionary(entries, agents)
    for name, c in counts["files"].items():
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    codes = [c for e in entries for c in e.codes]
    print(f"seed: {len(entries)} actor entries, {sum(len(e.phrases) for e in entries)} phrases "
          f"({sum(len(e.phrases) - 1 for e in entries)} synonyms), {len(codes)} codes "
          f"({sum(c.dated for c in codes)} dated, {len({c.code for c in codes})} distinct), "
          f"{len(dictionary.actors)} lookup keys, {len(dictionary.countries)} countries; "
          f"{len(agents)} agents ({len(dictionary.agents)} forms; "
          f"{counts['agent_forms_overridden']} Phoenix forms replaced by newsduck's)")
    print(f"phrases whose entries name different countries (uncoded unless a date decides): "
          f"{_ambiguous(dictionary)}")
    print("skipped: " + (", ".join(f"{k} {v}" for k, v in sorted(counts["skipped"].items())) or "none"))
    print(f"wrote {args.out} ({len(data):,} bytes gzipped)")
    rows, left_out = news_gazetteer(args.petrarch)
    write_news_gazetteer(rows, args.news_gazetteer)
    forms = [f for row in rows for f in (row["name"], *row.get("aliases", ()))]
    one_word = sum(1 for f in forms if len(_words(f)) == 1)
    print(f"news gazetteer: {len(rows)} organisations, {len(forms)} forms ({one_word} of one word: "
          f"relabel only), kinds " + ", ".join(f"{k} {v}" for k, v in Counter(
              r["kind"] for r in rows).most_common()))
    print("news gazetteer left out: " + ", ".join(f"{k} {v}" for k, v in left_out.most_common()))
    print(f"wrote {args.news_gazetteer} ({args.news_gazetteer.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
