"""Entity-resolution and event-extraction quality against the gold set in tests/fixtures/gold/.

Usage: .venv/bin/python bench/quality_nlp.py [--gold DIR] [--per-doc] [--json] [--speed N]

Each gold document is `<name>.txt` + `<name>.json` (format: tests/fixtures/gold/README.md). The
text is run through `flows.nlp.analyze_texts` with the gold publish date, then scored.

Entity resolution (matched-cluster precision/recall). The forms of an entity are its name and
aliases after `normalize_alias`. A predicted entity *covers* a gold entity when they share a
form. A predicted entity is a true positive when it covers exactly one gold entity, has its type
(GPE and LOC count as one family, as in the entity ids) and is the first predicted entity to
claim that gold entity (predicted entities are taken by mention count, most first). Everything
else predicted is a false positive, counted by cause: `duplicate` (a second entity for a gold
referent that is already claimed: a missed merge), `wrong_merge` (covers two or more gold
entities), `wrong_type`, `spurious` (covers none). Recall = TP / gold entities. `alias_recall`
is the share of gold surface forms (names and aliases) found in the entity that claimed their
referent: how complete the merges are.

Events. A gold event is located by its `sentence` substring; a predicted event is in that
sentence when its sentence span overlaps the substring. Gold and predicted events are paired
one-to-one, greedily, within a sentence and a type (the pair agreeing on most arguments first).
`typed` P/R/F1 counts those pairs. `strict` P/R/F1 counts pairs whose actor and target also
agree: the predicted actor/target entity covers the gold-named entity (or both are empty); for
symmetric types (CONSULT, AGREE, COOPERATE, SUPPORT) a swapped actor/target is accepted.
Location, date (value at the predicted precision: "2019-04-04", "2019-03", "2019") and negation
are scored as accuracies over the typed pairs.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flows.nlp import analyze_texts  # noqa: E402
from flows.settings import Settings  # noqa: E402
from transforms.nlp.names import coarse_label, normalize_alias  # noqa: E402
from transforms.records import DocAnalysis, Entity, Event  # noqa: E402

GOLD_DIR = ROOT / "tests" / "fixtures" / "gold"
SYMMETRIC = frozenset({"CONSULT", "AGREE", "COOPERATE", "SUPPORT"})


def _forms(name: str, aliases: list[str] | tuple[str, ...]) -> set[str]:
    return {f for f in (normalize_alias(a) for a in (name, *aliases)) if f}


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3)}


def score_entities(pred: tuple[Entity, ...], gold: list[dict]) -> tuple[dict, dict[str, str], list]:
    """Entity counts for one document, predicted entity_id -> gold name (for events), and notes
    (every false positive with its cause, every gold entity no prediction claimed)."""
    gold_forms = [_forms(g["name"], g.get("aliases", [])) for g in gold]
    counts: Counter[str] = Counter()
    claimed: dict[int, Entity] = {}
    to_gold: dict[str, str] = {}
    notes: list = []
    for entity in sorted(pred, key=lambda e: (-e.mention_count, e.name)):
        forms = _forms(entity.name, entity.aliases)
        covered = [i for i, gf in enumerate(gold_forms) if forms & gf]
        if len(covered) == 1:
            to_gold[entity.entity_id] = gold[covered[0]]["name"]
        if not covered:
            cause = "spurious"
        elif len(covered) > 1:
            cause = "wrong_merge"
        elif coarse_label(entity.label) != coarse_label(gold[covered[0]]["type"]):
            cause = "wrong_type"
        elif covered[0] in claimed:
            cause = "duplicate"
        else:
            claimed[covered[0]] = entity
            counts["tp"] += 1
            continue
        counts[cause] += 1
        notes.append({cause: (entity.name, entity.label, entity.aliases),
                      "gold": [(gold[i]["name"], gold[i]["type"]) for i in covered]})
    for i, g in enumerate(gold):
        if i not in claimed:
            notes.append({"missed_entity": (g["name"], g["type"], g.get("aliases", []))})
    forms_total = sum(len(gf) for gf in gold_forms)
    forms_found = sum(len(gold_forms[i] & _forms(e.name, e.aliases)) for i, e in claimed.items())
    counts["pred"] = len(pred)
    counts["gold"] = len(gold)
    counts["gold_forms"] = forms_total
    counts["gold_forms_found"] = forms_found
    return dict(counts), to_gold, notes


def _date_string(event: Event) -> str:
    if event.event_date is None:
        return ""
    d = event.event_date
    return {"day": d.isoformat(), "month": f"{d.year:04d}-{d.month:02d}", "year": f"{d.year:04d}"}[
        event.date_precision
    ]


def score_events(text: str, pred: tuple[Event, ...], gold: list[dict],
                 to_gold: dict[str, str]) -> tuple[dict, list[dict]]:
    """Event counts for one document, and the unmatched/mismatched items for inspection."""
    counts: Counter[str] = Counter()
    used: set[int] = set()
    notes = []

    def arg(entity_id: str | None) -> str:
        return to_gold.get(entity_id or "", "?" if entity_id else "")

    for g in gold:
        pos = text.find(g["sentence"])
        if pos < 0:
            counts["gold_sentence_not_found"] += 1
            continue
        span = (pos, pos + len(g["sentence"]))
        candidates = [i for i, ev in enumerate(pred) if i not in used and ev.start < span[1]
                      and span[0] < ev.end and ev.event_type == g["type"]]
        if not candidates:
            notes.append({"missed": g["type"], "sentence": g["sentence"][:70]})
            continue

        def agreement(i: int) -> tuple[int, int]:
            ev = pred[i]
            pair = (arg(ev.actor_id), arg(ev.target_id))
            ok = pair == (g["actor"], g["target"]) or (
                g["type"] in SYMMETRIC and pair == (g["target"], g["actor"]))
            return (int(ok), int(arg(ev.actor_id) == g["actor"]) + int(arg(ev.target_id) == g["target"]))

        best = max(candidates, key=agreement)
        used.add(best)
        ev = pred[best]
        counts["typed_tp"] += 1
        strict = agreement(best)[0] == 1
        counts["strict_tp"] += strict
        counts["location_ok"] += arg(ev.location_id) == g["location"]
        counts["date_ok"] += _date_string(ev) == g["date"]
        counts["negated_ok"] += ev.negated == g["negated"]
        counts["actor_ok"] += arg(ev.actor_id) == g["actor"] or (
            g["type"] in SYMMETRIC and arg(ev.actor_id) == g["target"])
        if not strict or arg(ev.location_id) != g["location"] or _date_string(ev) != g["date"] \
                or ev.negated != g["negated"]:
            notes.append({
                "type": g["type"], "sentence": g["sentence"][:70],
                "actor": (arg(ev.actor_id), g["actor"]), "target": (arg(ev.target_id), g["target"]),
                "location": (arg(ev.location_id), g["location"]), "date": (_date_string(ev), g["date"]),
                "negated": (ev.negated, g["negated"]),
            })
    for i, ev in enumerate(pred):
        if i not in used:
            notes.append({"extra": ev.event_type, "trigger": ev.trigger,
                          "sentence": text[ev.start:ev.end][:70]})
    counts["pred"] = len(pred)
    counts["gold"] = len(gold)
    return dict(counts), notes


def load_gold(gold_dir: Path) -> list[tuple[str, str, dict]]:
    """(name, text, gold) for every <name>.json with its <name>.txt, sorted by name."""
    docs = []
    for path in sorted(gold_dir.glob("*.json")):
        txt = path.with_suffix(".txt")
        if txt.exists():
            docs.append((path.stem, txt.read_text(encoding="utf-8"),
                         json.loads(path.read_text(encoding="utf-8"))))
    return docs


def score_nlp(gold_dir: Path = GOLD_DIR, model: str | None = None) -> dict:
    """Score entity resolution and events over every gold document in gold_dir.

    Returns:
        {"documents": n, "entities": {precision, recall, f1, counts...}, "events": {"typed":
        {...}, "strict": {...}, "location_accuracy", "date_accuracy", "negation_accuracy",
        counts...}, "per_doc": {name: {...}}}
    """
    docs = load_gold(gold_dir)
    model = model or Settings().model
    items = [(text, date.fromisoformat(g["published"]) if g.get("published") else None)
             for _, text, g in docs]
    analyses: list[DocAnalysis] = analyze_texts(items, model)
    ent_total: Counter[str] = Counter()
    ev_total: Counter[str] = Counter()
    per_doc = {}
    for (name, text, gold), analysis in zip(docs, analyses, strict=True):
        ent, to_gold, ent_notes = score_entities(analysis.entities, gold.get("entities", []))
        ev, notes = score_events(text, analysis.events, gold.get("events", []), to_gold)
        ent_total.update(ent)
        ev_total.update(ev)
        per_doc[name] = {
            "entities": ent | _prf(ent.get("tp", 0), ent["pred"], ent["gold"]),
            "events": ev | {"strict": _prf(ev.get("strict_tp", 0), ev["pred"], ev["gold"])},
            "notes": ent_notes + notes,
        }
    typed = ev_total.get("typed_tp", 0)
    return {
        "documents": len(docs),
        "entities": _prf(ent_total.get("tp", 0), ent_total["pred"], ent_total["gold"]) | {
            "alias_recall": round(ent_total["gold_forms_found"] / ent_total["gold_forms"], 3)
            if ent_total["gold_forms"] else 0.0,
        } | {k: v for k, v in ent_total.items() if not k.startswith("gold_forms")},
        "events": {
            "typed": _prf(typed, ev_total["pred"], ev_total["gold"]),
            "strict": _prf(ev_total.get("strict_tp", 0), ev_total["pred"], ev_total["gold"]),
            "actor_accuracy": round(ev_total["actor_ok"] / typed, 3) if typed else 0.0,
            "location_accuracy": round(ev_total["location_ok"] / typed, 3) if typed else 0.0,
            "date_accuracy": round(ev_total["date_ok"] / typed, 3) if typed else 0.0,
            "negation_accuracy": round(ev_total["negated_ok"] / typed, 3) if typed else 0.0,
            "pred": ev_total["pred"],
            "gold": ev_total["gold"],
        },
        "per_doc": per_doc,
    }


def measure_speed(repeat: int = 64, model: str | None = None, batch_size: int = 32) -> dict:
    """Words per second of analyze_texts (1 process) on the seed article repeated, and the
    milliseconds per document spent in spaCy ("nlp") and in entities/events ("events")."""
    text = (ROOT / "tests" / "fixtures" / "texts" / "seed_article.txt").read_text(encoding="utf-8")
    model = model or Settings().model
    analyze_texts([(text, date(2019, 4, 5))], model)  # load and warm up
    timings: Counter[str] = Counter()
    started = time.perf_counter()
    analyze_texts([(text, date(2019, 4, 5))] * repeat, model, batch_size=batch_size,
                  timings=timings)
    seconds = time.perf_counter() - started
    words = len(text.split()) * repeat
    return {"docs": repeat, "words": words, "seconds": round(seconds, 2),
            "words_per_second": round(words / seconds),
            "nlp_ms_per_doc": round(1000 * timings["nlp"] / repeat, 1),
            "events_ms_per_doc": round(1000 * timings["events"] / repeat, 1)}


def main(argv: list[str] | None = None) -> None:
    """Print entity and event P/R/F1 over the gold set (and optionally throughput)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", type=Path, default=GOLD_DIR)
    parser.add_argument("--per-doc", action="store_true", help="figures and misses per document")
    parser.add_argument("--json", action="store_true", help="print the full result as JSON")
    parser.add_argument("--speed", type=int, default=0, metavar="N",
                        help="also time analyze_texts on the seed article repeated N times")
    args = parser.parse_args(argv)
    result = score_nlp(args.gold)
    if args.speed:
        result["speed"] = measure_speed(args.speed)
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return
    e, v = result["entities"], result["events"]
    print(f"gold documents: {result['documents']}")
    print(f"entities  P {e['precision']:.3f}  R {e['recall']:.3f}  F1 {e['f1']:.3f}  "
          f"(tp {e.get('tp', 0)}, pred {e['pred']}, gold {e['gold']}; fp: duplicate "
          f"{e.get('duplicate', 0)}, wrong_merge {e.get('wrong_merge', 0)}, wrong_type "
          f"{e.get('wrong_type', 0)}, spurious {e.get('spurious', 0)}; alias recall "
          f"{e['alias_recall']:.3f})")
    for kind in ("typed", "strict"):
        s = v[kind]
        print(f"events {kind:6} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}  "
              f"(pred {v['pred']}, gold {v['gold']})")
    print(f"event args (over typed matches): actor {v['actor_accuracy']:.3f}  location "
          f"{v['location_accuracy']:.3f}  date {v['date_accuracy']:.3f}  negation "
          f"{v['negation_accuracy']:.3f}")
    if "speed" in result:
        s = result["speed"]
        print(f"speed: {s['words_per_second']} words/s ({s['docs']} docs, {s['words']} words, "
              f"{s['seconds']} s, 1 process); per document: spaCy {s['nlp_ms_per_doc']} ms, "
              f"entities and events {s['events_ms_per_doc']} ms")
    if args.per_doc:
        for name, doc in result["per_doc"].items():
            de, dv = doc["entities"], doc["events"]
            print(f"\n## {name}: entities F1 {de['f1']:.3f} (tp {de.get('tp', 0)}/{de['gold']}, "
                  f"pred {de['pred']}); events strict F1 {dv['strict']['f1']:.3f} "
                  f"(typed {dv.get('typed_tp', 0)}, strict {dv.get('strict_tp', 0)}, pred "
                  f"{dv['pred']}, gold {dv['gold']})")
            for note in doc["notes"]:
                print("   ", note)


if __name__ == "__main__":
    main()
