"""Actor-country accuracy on PETRARCH2's unit-test sentences: does the pipeline find the gold
sources and targets as event actors/targets, and code them to the gold country?

Usage: .venv/bin/python bench/quality_actors.py [--eval-dir ../shared/eval] [--misses N] [--json]

Data (`<eval-dir>/events-dev`): PETR.UnitTest.records.jsonl (sentences, each gold event with a
source and a target CAMEO actor code of fictional countries: "GONMIL", "ARN") and the
dictionaries those codes come from, PETR.Validate.actors.txt and PETR.Validate.agents.txt, read
with transforms.coding.actors (the same readers and coder as the Phoenix seed). As in
bench/quality_dev.py, the pipeline gets the dictionary's country names as extra gazetteer
entries for this run (spaCy cannot know "Gondor"); each sentence is parsed on its own and
analysed with transforms.nlp.analyze.analyze_doc at the record's date with the Validate
dictionary as the actor dictionary.

How it counts. A gold slot is the source or the target of a gold event (records expecting an
error are left out). Its gold country is the first 3-letter block of its code that is a country
of the dictionary ("GONMIL" -> GON, "NGOARN" -> ARN), or IGO; a slot whose code has none
("XYZGOV", '"INJURY TOLL"') is left out and counted. The slot's actor is located in the sentence
by the dictionary phrases that code to that country at the record's date ("Gondor", "Minas
Tirith"); a slot with no such phrase in the sentence cannot be found (counted). A predicted event
side (actor or target) *covers* the slot when a mention of its entity overlaps one of those
phrases, or, for a side without an entity ("Soldiers from Gondor"), its text does (so in
"Mordor, Rohan and Bree welcomed ...", whose one event has Mordor as its actor, Rohan and Bree
are not found: the events stage makes one event per named actor, not one per conjunct). The side's country is its actor_country, else the first country block of its
actor_code (a prefix code: "NGOARN").
- found: slots covered by some predicted side;
- correct: found slots covered by a side coded to the gold country;
- accuracy over found = correct / found, over all = correct / all slots;
- side accuracy = covering sides coded to the country of the slot they cover / covering sides
  (the same side covering the same country counted once per sentence).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.quality_dev import actor_gazetteer, extra_gazetteer, read_actor_dictionary  # noqa: E402
from flows.nlp import load_pipeline, read_lexicon  # noqa: E402
from flows.settings import Settings  # noqa: E402
from spacy.tokens import Doc  # noqa: E402
from transforms.coding.actors import ActorDictionary  # noqa: E402
from transforms.coding.phoenix import (  # noqa: E402
    COUNTRIES,
    NULL_CODE,
    parse_petrarch_actors,
    parse_petrarch_agents,
    words_of,
)
from transforms.nlp.analyze import analyze_doc  # noqa: E402
from transforms.records import DocAnalysis  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "eval"
RECORDS = "events-dev/PETR.UnitTest.records.jsonl"
ACTORS = "events-dev/PETR.Validate.actors.txt"
AGENTS = "events-dev/PETR.Validate.agents.txt"
BAR = 0.80


def read_dictionary(eval_dir: Path) -> ActorDictionary:
    """The unit tests' actor and agent dictionaries through the coder's PETRARCH readers."""
    entries, _ = parse_petrarch_actors(
        (eval_dir / ACTORS).read_text(encoding="utf-8").splitlines(), COUNTRIES)
    agents, _ = parse_petrarch_agents((eval_dir / AGENTS).read_text(encoding="utf-8").splitlines())
    return ActorDictionary(entries, agents)


def country(code: str | None, d: ActorDictionary) -> str | None:
    """The first block of a code that is a dictionary country, or IGO."""
    blocks = [(code or "")[i:i + 3] for i in range(0, len(code or ""), 3)]
    return next((b for b in blocks if b in d.countries or b == "IGO"), None)


def actor_spans(doc: Doc, when: date, d: ActorDictionary) -> list[tuple[int, int, str]]:
    """(start char, end char, country) of every dictionary actor phrase in a parsed sentence."""
    words: list[tuple[str, bool, int, int]] = []
    for t in doc:
        words += [(w, t.text[:1].isupper(), t.idx, t.idx + len(t.text)) for w in words_of(t.text)]
    plain = [w[0] for w in words]
    out, i = [], 0
    while i < len(words):
        found = d.longest(plain, i, agents=False) if words[i][1] else None
        if found is None:
            i += 1
            continue
        end, key = found
        code = d.resolve(d.actors[key], when)
        c = country(code, d) if code and code != NULL_CODE else None
        if c:
            out.append((words[i][2], words[end - 1][3], c))
        i = end
    return out


def _sides(sentence: str, analysis: DocAnalysis, d: ActorDictionary):
    """(spans, country, label) of every predicted event side."""
    out = []
    for i, ev in enumerate(analysis.events):
        for side, text, eid, c, code in (
            ("actor", ev.actor_text, ev.actor_id, ev.actor_country, ev.actor_code),
            ("target", ev.target_text, ev.target_id, ev.target_country, ev.target_code),
        ):
            if not text and not eid:
                continue
            spans = [(m.start, m.end) for m in analysis.mentions if eid and m.entity_id == eid]
            at = sentence.find(text) if text and not spans else -1
            if at >= 0:  # an unnamed side ("Soldiers from Gondor"): its text
                spans.append((at, at + len(text)))
            out.append((spans, c or country(code, d), f"{i}:{side}:{text}"))
    return out


def score(eval_dir: Path, model: str, misses: int = 0) -> dict:
    """Slot and side counts over the unit-test records (see the module docstring)."""
    d = read_dictionary(eval_dir)
    records = [json.loads(line) for line in
               (eval_dir / RECORDS).read_text(encoding="utf-8").splitlines() if line]
    records = [r for r in records if not r.get("error")]
    nlp = load_pipeline(model)
    lexicon = read_lexicon()
    counts: Counter[str] = Counter()
    notes: list[dict] = []
    gazetteer = actor_gazetteer(read_actor_dictionary(eval_dir / ACTORS))
    with extra_gazetteer(model, gazetteer):
        docs = list(nlp.pipe([r["text"] for r in records], batch_size=32))
    for rec, doc in zip(records, docs, strict=True):
        when = date(int(rec["date"][:4]), int(rec["date"][4:6]), int(rec["date"][6:8]))
        analysis = analyze_doc(doc, when, lexicon, d)
        spans = actor_spans(doc, when, d)
        sides = _sides(rec["text"], analysis, d)
        covering_seen: set[tuple[str, str]] = set()
        for ev in rec["events"]:
            for slot in ("source", "target"):
                gold = country(ev[slot].strip('"').upper(), d)
                if gold is None:
                    counts["slots_without_dictionary_country"] += 1
                    continue
                counts["slots"] += 1
                places = [(s, e) for s, e, c in spans if c == gold]
                if not places:
                    counts["not_in_sentence"] += 1
                    continue
                covering = [(label, c) for ss, c, label in sides
                            if any(a < e and s < b for a, b in ss for s, e in places)]
                if not covering:
                    if len(notes) < misses:
                        notes.append({"id": rec["id"], "missed": f"{slot} {ev[slot]}",
                                      "sides": [(lab, c) for _, c, lab in sides],
                                      "text": rec["text"][:150]})
                    continue
                counts["found"] += 1
                ok = any(c == gold for _, c in covering)
                counts["correct"] += ok
                for label, c in covering:
                    if (label, gold) not in covering_seen:
                        covering_seen.add((label, gold))
                        counts["covering_sides"] += 1
                        counts["covering_sides_correct"] += c == gold
                if not ok and len(notes) < misses:
                    notes.append({"id": rec["id"], "wrong": f"{slot} {ev[slot]}",
                                  "covering": covering, "text": rec["text"][:150]})
    found, total = counts["found"], counts["slots"]
    return {
        "records": len(records), "counts": dict(counts),
        "accuracy_over_found": round(counts["correct"] / found, 3) if found else 0.0,
        "accuracy_over_all": round(counts["correct"] / total, 3) if total else 0.0,
        "side_accuracy": round(counts["covering_sides_correct"] / counts["covering_sides"], 3)
        if counts["covering_sides"] else 0.0,
        "notes": notes,
    }


def print_result(result: dict) -> None:
    c = result["counts"]
    print(f"Actor countries, PETRARCH2 unit tests ({result['records']} records, Validate "
          f"dictionaries): accuracy {result['accuracy_over_found']:.3f} over gold actors found as an "
          f"event side ({c.get('correct', 0)}/{c.get('found', 0)}; bar {BAR:.2f}), "
          f"{result['accuracy_over_all']:.3f} over all gold actors ({c.get('correct', 0)}/"
          f"{c.get('slots', 0)}); side accuracy {result['side_accuracy']:.3f} "
          f"({c.get('covering_sides_correct', 0)}/{c.get('covering_sides', 0)})")
    print(f"  left out: {c.get('slots_without_dictionary_country', 0)} gold codes without a "
          f"dictionary country; {c.get('not_in_sentence', 0)} gold actors no dictionary phrase "
          f"of the sentence names")


def main(argv: list[str] | None = None) -> None:
    """Print the actor-country figures (skipped with a note when the data is absent)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--misses", type=int, default=0, metavar="N")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if not (args.eval_dir / RECORDS).exists():
        print(f"Actor countries: skipped, no {args.eval_dir / RECORDS} (pass --eval-dir)")
        return
    result = score(args.eval_dir, Settings().model, args.misses)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print_result(result)
    for note in result["notes"]:
        print("   ", note)


if __name__ == "__main__":
    main()
