"""Development-set figures on public data outside the repository: NER on Universal NER English,
events on PETRARCH2's unit-test sentences.

Usage: .venv/bin/python bench/quality_dev.py [--eval-dir ../shared/eval] [--only ner|events]
       [--misses N] [--json]

NER (`<eval-dir>/ner-dev`, UNER v1 English: PUD Wikipedia half, EWT dev, EWT test). Every sentence's
text goes through the real pipeline (`flows.nlp.analyze_texts`) on its own; the mentions are
mapped PERSON -> PER, ORG -> ORG, GPE/LOC/FAC -> LOC (other labels dropped) and scored as exact
character spans with their label: precision, recall and F1 per label and overall (micro).

Events (`<eval-dir>/events-dev/PETR.UnitTest.records.jsonl`, 284 sentences with the CAMEO events
PETRARCH2 must code, actors of fictional countries). Gold CAMEO codes become PLOVER types through
`<eval-dir>/../reference/CAMEO2PLOVER-2021.txt` (transforms.nlp.lexicon.plover_type: the code,
its 3-digit parent, its root; CAMEO 02 appeals count as REQUEST; 01 statements have no type and
are left out, as are records that expect an error). Recall of a type = the share of its gold
events for which the sentence has a predicted event of that type whose actor resolves to the
gold source; precision of a type = the share of its predicted events whose type is one of the
sentence's gold types (any predicted event in a "no events" sentence is wrong).
Read these with care: the unit tests exercise PETRARCH's program with its small validation
dictionary (PETR.Validate.verbs.txt), whose codes are often not CAMEO's: "welcomed" is 041 there
(CAMEO 041, and so PLOVER, is a phone call), "restore diplomatic ties" 064 (sharing intelligence),
test codes 9xx and 2xx have no type. A "welcomed" predicted as SUPPORT counts as wrong here.
An actor resolves through `PETR.Validate.actors.txt`: the longest dictionary phrase found in the
actor's entity (name and aliases) or, failing that, in the actor's text (words without a
trailing "_" match as prefixes, as in TABARI: GONDOR matches "Gondorian") gives a code; it
matches the gold source when its first three letters are the gold code's country part (the first
three letters, or the three after an agent prefix: "NGOARN"). PETRARCH itself knows these actors
only from that dictionary, so by default the pipeline gets the dictionary's names as extra
gazetteer entries (GPE, kind country: the dictionary does not say which names are people) for
this evaluation only; `--no-actor-gazetteer` scores the plain pipeline as well.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flows.nlp import analyze_texts, load_pipeline, read_gazetteer  # noqa: E402
from flows.settings import Settings  # noqa: E402
from transforms.nlp.gazetteer import GazetteerEntry, ruler_patterns  # noqa: E402
from transforms.nlp.lexicon import PLOVER_TYPES, parse_cameo_plover, plover_type  # noqa: E402
from transforms.records import DocAnalysis, Event  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "eval"
NER_FILES = ("uner_en_pud_wiki.jsonl", "uner_en_ewt_dev.jsonl", "uner_en_ewt_test.jsonl")
NER_LABELS = {"PERSON": "PER", "ORG": "ORG", "GPE": "LOC", "LOC": "LOC", "FAC": "LOC"}
EVENTS_FILE = "events-dev/PETR.UnitTest.records.jsonl"
ACTORS_FILE = "events-dev/PETR.Validate.actors.txt"
PLOVER_TABLE = "../reference/CAMEO2PLOVER-2021.txt"


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3),
            "tp": tp, "pred": n_pred, "gold": n_gold}


# -- NER -------------------------------------------------------------------------------------

def score_ner(ner_dir: Path, model: str, misses: int = 0) -> dict:
    """Exact-span P/R/F1 per label (PER, ORG, LOC) and overall, per file and over all files."""
    total: dict[str, Counter[str]] = defaultdict(Counter)
    per_file = {}
    examples: list[dict] = []
    for name in NER_FILES:
        path = ner_dir / name
        if not path.exists():
            continue
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
        analyses = analyze_texts([(row["text"], None) for row in rows], model)
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for row, analysis in zip(rows, analyses, strict=True):
            gold = {(e["start"], e["end"], e["label"]) for e in row["entities"]}
            pred = set()
            if isinstance(analysis, DocAnalysis):
                pred = {(m.start, m.end, NER_LABELS[m.label]) for m in analysis.mentions
                        if m.label in NER_LABELS}
            for label in ("PER", "ORG", "LOC"):
                g = {s for s in gold if s[2] == label}
                p = {s for s in pred if s[2] == label}
                counts[label].update(tp=len(g & p), pred=len(p), gold=len(g))
            if misses and gold != pred and len(examples) < misses:
                examples.append({"text": row["text"],
                                 "missed": sorted(row["text"][s:e] + "/" + lab for s, e, lab in gold - pred),
                                 "extra": sorted(row["text"][s:e] + "/" + lab for s, e, lab in pred - gold)})
        per_file[name] = _ner_table(counts)
        for label, c in counts.items():
            total[label].update(c)
    return {"files": per_file, "all": _ner_table(total), "examples": examples}


def _ner_table(counts: dict[str, Counter[str]]) -> dict[str, dict[str, float]]:
    table = {label: _prf(c["tp"], c["pred"], c["gold"]) for label, c in sorted(counts.items())}
    overall = Counter()
    for c in counts.values():
        overall.update(c)
    table["overall"] = _prf(overall["tp"], overall["pred"], overall["gold"])
    return table


# -- events ----------------------------------------------------------------------------------

_CODE = re.compile(r"\[\s*([^\]\s]+)[^\]]*\]")


def read_actor_dictionary(path: Path) -> list[tuple[str, str]]:
    """(phrase, code) pairs of a PETRARCH actor dictionary: entries, their "+" synonyms, the
    first code given (inline or on the lines after). The phrase keeps a trailing "_" (no prefix
    matching) and has "_" between words turned into spaces."""
    text = re.sub(r"<!--.*?-->", "", path.read_text(encoding="utf-8"), flags=re.S)
    pairs: list[tuple[str, str]] = []
    names: list[str] = []
    code = ""

    def flush() -> None:
        if names and code and code not in ("---", "+++", "###"):
            pairs.extend((n, code) for n in names)

    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip() or line.lstrip().startswith("<"):
            continue
        found = _CODE.search(line)
        phrase = _CODE.sub("", line).strip()
        if line[0].isspace() and found and not phrase:  # "\t[CODE date]" under an entry
            code = code or found.group(1)
            continue
        if phrase.startswith("+"):
            names.append(_phrase(phrase[1:]))
            continue
        flush()
        names, code = [_phrase(phrase)], found.group(1) if found else ""
    flush()
    return [(n, c.upper()) for n, c in pairs if n.strip("_ ")]


def _phrase(raw: str) -> str:
    words = raw.replace("_", " ").split()
    exact = raw.rstrip().endswith("_")
    return " ".join(words).lower() + ("_" if exact else "")


def resolve_actor(text: str, dictionary: list[tuple[str, str]]) -> str:
    """The code of the longest dictionary phrase in `text`, or ""."""
    words = re.findall(r"[\w.'-]+", text.lower())
    best, best_len = "", 0
    for phrase, code in dictionary:
        exact = phrase.endswith("_")
        parts = phrase.rstrip("_").split()
        n = len(parts)
        if n < best_len or n == best_len and best:
            continue
        for i in range(len(words) - n + 1):
            window = words[i:i + n]
            if window[:-1] == parts[:-1] and (
                window[-1] == parts[-1] or not exact and window[-1].startswith(parts[-1])
            ):
                best, best_len = code, n
                break
    return best


def _country(code: str) -> set[str]:
    """The country parts a gold code may have: "ARNGOV" -> ARN, "NGOARN" -> NGO or ARN."""
    return {code[:3], code[3:6]} - {""}


def actor_gazetteer(dictionary: list[tuple[str, str]]) -> list[GazetteerEntry]:
    """The dictionary's actor names (a bare 3-letter code: not "Israeli troops" [ISRMIL]) that
    the project's gazetteer lacks, one GPE/country entry each."""
    known = {form.lower() for e in read_gazetteer() for form in (e.name, *e.aliases)}
    names = {}
    for phrase, code in dictionary:
        name = " ".join(w.capitalize() for w in phrase.rstrip("_").split())
        if len(code) == 3 and code.isalpha() and name.lower() not in known and len(name) > 2:
            names.setdefault(name, GazetteerEntry(name, "GPE", "country", ()))
    return list(names.values())


@contextlib.contextmanager
def extra_gazetteer(model: str, entries: list[GazetteerEntry]) -> Iterator[None]:
    """Give the process's pipeline extra gazetteer entries for the duration of the block."""
    ruler = load_pipeline(model).get_pipe("gazetteer")
    patterns = ruler_patterns(entries)  # their ids are names the seed gazetteer does not have
    ruler.add_patterns(patterns)
    try:
        yield
    finally:
        for span_id in {p["id"] for p in patterns}:
            with contextlib.suppress(ValueError):
                ruler.remove_by_id(span_id)


def _actor_code(event: Event, analysis: DocAnalysis, dictionary: list[tuple[str, str]]) -> str:
    entity = next((e for e in analysis.entities if e.entity_id == event.actor_id), None)
    for text in ([entity.name, *entity.aliases] if entity else []) + [event.actor_text]:
        code = resolve_actor(text, dictionary)
        if code:
            return code
    return ""


def score_events(events_dir: Path, model: str, actor_names: bool = True, misses: int = 0) -> dict:
    """Recall and precision per PLOVER type over the PETRARCH2 unit-test sentences."""
    table = parse_cameo_plover((events_dir.parent / PLOVER_TABLE).read_text(encoding="utf-8"))
    dictionary = read_actor_dictionary(events_dir.parent / ACTORS_FILE)
    records = [json.loads(line) for line in
               (events_dir.parent / EVENTS_FILE).read_text(encoding="utf-8").splitlines() if line]
    skipped = Counter()
    kept = []
    for rec in records:
        if rec.get("error"):
            skipped["error_records"] += 1
            continue
        kept.append(rec)
    items = [(r["text"], date(int(r["date"][:4]), int(r["date"][4:6]), int(r["date"][6:8])))
             for r in kept]
    with extra_gazetteer(model, actor_gazetteer(dictionary)) if actor_names else contextlib.nullcontext():
        started = time.perf_counter()
        timings: Counter[str] = Counter()
        analyses = analyze_texts(items, model, timings=timings)
        seconds = time.perf_counter() - started
    found: Counter[str] = Counter()
    gold_n: Counter[str] = Counter()
    pred_n: Counter[str] = Counter()
    pred_ok: Counter[str] = Counter()
    typed_only: Counter[str] = Counter()
    notes = []
    for rec, analysis in zip(kept, analyses, strict=True):
        events = analysis.events if isinstance(analysis, DocAnalysis) else ()
        gold = []
        for g in rec["events"]:
            kind = plover_type(g["code"], table)
            if kind is None:
                skipped["gold_events_without_plover_type"] += 1
            else:
                gold.append((kind, g["source"].strip('"').upper(), g["code"]))
        gold_types = {k for k, _, _ in gold}
        predicted = [(ev.event_type, _actor_code(ev, analysis, dictionary), ev) for ev in events]
        for kind, source, code in gold:
            gold_n[kind] += 1
            hit = any(k == kind and c and c[:3] in _country(source) for k, c, _ in predicted)
            found[kind] += hit
            typed_only[kind] += any(k == kind for k, _, _ in predicted)
            if not hit and len(notes) < misses:
                notes.append({"id": rec["id"], "missed": f"{kind} {code} {source}",
                              "predicted": [(k, c, ev.trigger) for k, c, ev in predicted],
                              "text": rec["text"][:160]})
        for kind, code, ev in predicted:
            pred_n[kind] += 1
            pred_ok[kind] += kind in gold_types
            if kind not in gold_types and len(notes) < misses:
                notes.append({"id": rec["id"], "extra": f"{kind} {ev.trigger} actor={code}",
                              "gold": [(k, s, c) for k, s, c in gold], "text": rec["text"][:160]})
    per_type = {}
    for kind in PLOVER_TYPES:
        if gold_n[kind] or pred_n[kind]:
            per_type[kind] = {
                "gold": gold_n[kind], "found": found[kind], "typed": typed_only[kind],
                "recall": round(found[kind] / gold_n[kind], 3) if gold_n[kind] else None,
                "pred": pred_n[kind], "pred_ok": pred_ok[kind],
                "precision": round(pred_ok[kind] / pred_n[kind], 3) if pred_n[kind] else None,
            }
    g, f, p, ok = (sum(c.values()) for c in (gold_n, found, pred_n, pred_ok))
    return {
        "sentences": len(kept), "per_type": per_type,
        "overall": {"gold": g, "found": f, "recall": round(f / g, 3) if g else 0.0,
                    "typed_recall": round(sum(typed_only.values()) / g, 3) if g else 0.0,
                    "pred": p, "pred_ok": ok, "precision": round(ok / p, 3) if p else 0.0},
        "skipped": dict(skipped),
        "seconds": round(seconds, 2),
        "events_ms_per_doc": round(1000 * timings["events"] / max(len(kept), 1), 2),
        "notes": notes,
    }


# -- output ----------------------------------------------------------------------------------

def print_ner(result: dict) -> None:
    print("NER, exact spans; our labels mapped PERSON->PER, ORG->ORG, GPE/LOC/FAC->LOC "
          "(others dropped)")
    header = f"{'':18}" + "".join(f"{lab:>22}" for lab in ("PER", "ORG", "LOC", "overall"))
    print(header)
    for name, table in [*result["files"].items(), ("all files", result["all"])]:
        cells = []
        for lab in ("PER", "ORG", "LOC", "overall"):
            s = table.get(lab)
            cells.append(f"{s['precision']:.3f}/{s['recall']:.3f}/{s['f1']:.3f}" if s else "-")
        print(f"{name.removeprefix('uner_en_').removesuffix('.jsonl'):18}"
              + "".join(f"{c:>22}" for c in cells))
    print("(cells: precision/recall/F1)")


def print_events(result: dict, title: str) -> None:
    o = result["overall"]
    print(f"{title}: {result['sentences']} sentences; recall {o['recall']:.3f} "
          f"({o['found']}/{o['gold']}; type alone {o['typed_recall']:.3f}), precision "
          f"{o['precision']:.3f} ({o['pred_ok']}/{o['pred']}); events stage "
          f"{result['events_ms_per_doc']} ms/sentence")
    print(f"  {'type':10} {'recall':>14} {'typed':>6} {'precision':>16}")
    for kind, s in result["per_type"].items():
        rec = f"{s['recall']:.2f} ({s['found']}/{s['gold']})" if s["recall"] is not None else "-"
        prec = f"{s['precision']:.2f} ({s['pred_ok']}/{s['pred']})" if s["precision"] is not None else "-"
        print(f"  {kind:10} {rec:>14} {s['typed']:>6} {prec:>16}")
    if result["skipped"]:
        print("  left out:", ", ".join(f"{k} {v}" for k, v in result["skipped"].items()))
    print("  (gold codes are PETRARCH's validation dictionary's, often not CAMEO's: 'welcomed' is"
          " 041 -> CONSULT, 'restore ties' 064 -> COOPERATE; see the module doc)")


def main(argv: list[str] | None = None) -> None:
    """Print NER and event figures on the development sets (skipped with a note when absent)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--only", choices=("ner", "events"))
    parser.add_argument("--no-actor-gazetteer", action="store_true",
                        help="also score events without the actor dictionary as gazetteer")
    parser.add_argument("--misses", type=int, default=0, metavar="N",
                        help="print up to N misses and wrong predictions")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    model = Settings().model
    out: dict = {}
    if args.only != "events":
        ner_dir = args.eval_dir / "ner-dev"
        if ner_dir.is_dir():
            out["ner"] = score_ner(ner_dir, model, args.misses)
            if not args.json:
                print_ner(out["ner"])
                for ex in out["ner"]["examples"]:
                    print("   ", ex)
        else:
            print(f"NER: skipped, no {ner_dir} (pass --eval-dir)")
    if args.only != "ner":
        events_dir = args.eval_dir / "events-dev"
        if (args.eval_dir / EVENTS_FILE).exists() and (args.eval_dir / PLOVER_TABLE).exists():
            out["events"] = score_events(events_dir, model, True, args.misses)
            if args.no_actor_gazetteer:
                out["events_plain"] = score_events(events_dir, model, False)
            if not args.json:
                print_events(out["events"], "Events, PETRARCH2 unit tests (actor dictionary as "
                                            "gazetteer)")
                for note in out["events"]["notes"]:
                    print("   ", note)
                if "events_plain" in out:
                    print_events(out["events_plain"], "Events, same, plain pipeline")
        else:
            print(f"Events: skipped, no {args.eval_dir / EVENTS_FILE} or its CAMEO2PLOVER table "
                  "(pass --eval-dir)")
    if args.json:
        print(json.dumps(out, indent=2, default=str))


if __name__ == "__main__":
    main()
