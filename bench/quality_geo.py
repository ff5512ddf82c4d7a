"""Geocoding quality on GeoVirus (../shared/eval/geo-dev/geovirus.jsonl), and the index's cost.

Usage: .venv/bin/python bench/quality_geo.py [--eval-dir DIR] [--misses N] [--json] [--country-points]

Each of the 229 WikiNews passages goes through the real NLP stage (flows.nlp.analyze_texts, with
the GeoNames index). A gold toponym is *recognised* when a mention of one of our place entities
(GPE/LOC) overlaps its character span; its resolved point is that entity's GeoFeature.
accuracy@161km = recognised gold names whose point is within 161 km (100 miles) of the gold
point / recognised gold names (a recognised name left unresolved counts as a miss); the share
of gold names recognised is printed beside it, and the mean/median error over the resolved ones.

--country-points also scores the estimates of a country's point that flows/geodata.py chooses
among (country_point) on the gold names whose Wikipedia page is a country's: the share within
161 km of the gold point for the CIA World Factbook point and the outline's centroid
(seeds/geo_countries.tsv; a country with no outline counts as a miss), the centre of the towns' cells (region_centre), their medoid (what the
index uses) and their mean.

The index's cost is measured in a fresh process: the time to map it, and the process's resident
memory before and after mapping it and resolving every GeoVirus name (anonymous and file-backed:
the mapped pages are file-backed, shared by every worker process that maps the same file).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import urllib.parse
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from flows.nlp import analyze_texts  # noqa: E402
from flows.settings import Settings  # noqa: E402
from transforms.coding.geo import PLACE_LABELS, distance_km, fold_name  # noqa: E402

DEFAULT_DIR = ROOT.parent / "shared" / "eval"
BAR_KM = 161.0
BAR = 0.80
_KINDS = {"P": "town", "A": "region", "L": "continent"}

_COST = r"""
import json, sys, time
def status():
    out = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon", "RssFile"):
            out[key] = int(value.split()[0]) / 1024
    return out
sys.path.insert(0, sys.argv[1])
from flows import geodata
from transforms.coding.geo import PlaceMention, resolve_places
names = json.loads(sys.stdin.read())
before = status()
clock = time.perf_counter()
index = geodata.read_index(geodata.ensure_index())
load = time.perf_counter() - clock
mapped = status()
clock = time.perf_counter()
for i, name in enumerate(names):
    resolve_places([PlaceMention(str(i), name, ())], index)
lookups = (time.perf_counter() - clock) / max(1, len(names))
print(json.dumps({"load_s": load, "before": before, "mapped": mapped, "after": status(),
                  "lookup_ms": lookups * 1000, "places": len(index),
                  "keys": len(index.key_hashes),
                  "size_mb": geodata.ensure_index().stat().st_size / 1e6}))
"""


def read_geovirus(path: Path) -> list[dict]:
    """The passages of geovirus.jsonl (one JSON object a line)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(passages: list[dict], model: str) -> dict:
    """Run the pipeline over the passages and score every gold toponym."""
    analyses = analyze_texts([(p["text"], None) for p in passages], model)
    gold = recognised = resolved = within = failed = 0
    errors: list[float] = []
    by_kind: Counter[str] = Counter()  # recognised gold names by what they resolved to
    right_by_kind: Counter[str] = Counter()
    misses: Counter[str] = Counter()
    unrecognised: Counter[str] = Counter()
    for passage, analysis in zip(passages, analyses):
        if not hasattr(analysis, "mentions"):
            failed += 1
            gold += len(passage["toponyms"])
            continue
        places = {e.entity_id: e for e in analysis.entities if e.label in PLACE_LABELS}
        spans = [(m.start, m.end, places[m.entity_id]) for m in analysis.mentions
                 if m.entity_id in places]
        for top in passage["toponyms"]:
            gold += 1
            entity = next((e for s, t, e in spans if s < top["end"] and top["start"] < t), None)
            if entity is None:
                unrecognised[top["text"]] += 1
                continue
            recognised += 1
            if entity.geo is None:
                by_kind["unresolved"] += 1
                misses[f"{top['text']} -> (none)"] += 1
                continue
            resolved += 1
            kind = _KINDS[entity.geo.feature_class]
            if kind == "region" and not entity.geo.admin1:
                kind = "country"
            by_kind[kind] += 1
            d = distance_km(entity.geo.lat, entity.geo.lon, top["lat"], top["lon"])
            errors.append(d)
            if d <= BAR_KM:
                within += 1
                right_by_kind[kind] += 1
            else:
                misses[f"{top['text']} -> {entity.geo.name} ({entity.geo.country}, "
                       f"{entity.geo.feature_class}) {d:.0f} km"] += 1
    return {
        "passages": len(passages),
        "failed_passages": failed,
        "gold": gold,
        "recognised": recognised,
        "recognised_share": round(recognised / gold, 3) if gold else 0.0,
        "resolved_share_of_recognised": round(resolved / recognised, 3) if recognised else 0.0,
        "accuracy_161km": round(within / recognised, 3) if recognised else 0.0,
        "mean_error_km": round(statistics.fmean(errors), 1) if errors else None,
        "median_error_km": round(statistics.median(errors), 1) if errors else None,
        "by_kind": {k: {"names": n, "accuracy_161km": round(right_by_kind[k] / n, 3)}
                    for k, n in by_kind.most_common()},
        "misses": misses.most_common(),
        "unrecognised": unrecognised.most_common(),
    }


def score_country_points(passages: list[dict]) -> dict:
    """accuracy@161km of each estimate of a country's point on the gold names linked to a
    country (by the folded title of their Wikipedia page), see the module doc."""
    from flows import geodata

    index = geodata.load_geo_index()
    countries = geodata._read_json("countries.json")
    alpha2 = {row["iso3"]: a2 for a2, row in countries.items()}
    towns: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for city in geodata._read_json("cities500.json").values():
        towns[city["countrycode"]].append((city["latitude"], city["longitude"]))
    table = {r["alpha2"]: r for r in geodata.read_table(geodata.COUNTRIES_PATH)}
    estimates: dict[str, dict[str, tuple[float, float]]] = {}
    for a2, row in table.items():
        if not towns[a2]:
            continue
        own = {"factbook": (float(row["factbook_lat"]), float(row["factbook_lon"])),
               "towns": geodata.region_centre(towns[a2])}
        if row["shape_lat"]:
            own["outline"] = (float(row["shape_lat"]), float(row["shape_lon"]))
        points = [own[k] for k in ("factbook", "outline", "towns") if k in own]
        own["medoid"] = geodata.country_point(points)
        own["mean"] = geodata._sphere_mean(points)
        estimates[a2] = own
    within: Counter[str] = Counter()
    names = 0
    for passage in passages:
        for top in passage["toponyms"]:
            title = urllib.parse.unquote(top["wikipedia"].rsplit("/", 1)[-1]).replace("_", " ")
            a2 = next((alpha2.get(index.country_of(p)) for p, _ in index.lookup(fold_name(title))
                       if index.kind(p) == "country"), None)
            if a2 not in estimates:
                continue
            names += 1
            for kind, (lat, lon) in estimates[a2].items():
                within[kind] += distance_km(lat, lon, top["lat"], top["lon"]) <= BAR_KM
    return {"names": names, **{k: round(within[k] / names, 3) if names else 0.0
                               for k in ("factbook", "outline", "towns", "medoid", "mean")}}


def measure_index(names: list[str]) -> dict:
    """Load time and resident memory of the index in a fresh process (see the module doc)."""
    done = subprocess.run([sys.executable, "-c", _COST, str(ROOT)], input=json.dumps(names),
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--eval-dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--misses", type=int, default=15, help="print the N commonest misses")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--country-points", action="store_true",
                        help="also score the estimates of a country's point (see the module doc)")
    args = parser.parse_args(argv)
    path = args.eval_dir / "geo-dev" / "geovirus.jsonl"
    if not path.exists():
        print(f"skipped: no GeoVirus at {path} (pass --eval-dir)")
        return None
    passages = read_geovirus(path)
    result = score(passages, Settings().model)
    cost = measure_index(sorted({t["text"] for p in passages for t in p["toponyms"]}))
    result["index"] = cost
    if args.country_points:
        result["country_points"] = score_country_points(passages)
    if args.json:
        print(json.dumps(result, indent=1))
        return result
    verdict = "ok" if result["accuracy_161km"] >= BAR else f"BELOW the bar {BAR}"
    print(f"GeoVirus: {result['passages']} passages, {result['gold']} gold place names "
          f"({result['failed_passages']} passages failed)")
    print(f"  recognised {result['recognised']} ({result['recognised_share']:.1%}); "
          f"resolved {result['resolved_share_of_recognised']:.1%} of those")
    print(f"  accuracy@161km {result['accuracy_161km']:.3f} of recognised ({verdict}); "
          f"error mean {result['mean_error_km']} km, median {result['median_error_km']} km")
    print("  by what they resolved to: " + "; ".join(
        f"{k} {v['names']} ({v['accuracy_161km']:.3f})" for k, v in result["by_kind"].items()))
    b, m, a = cost["before"], cost["mapped"], cost["after"]
    print(f"  index: {cost['places']:,} places, {cost['keys']:,} name keys, "
          f"{cost['size_mb']:.1f} MB; mapped in {cost['load_s'] * 1000:.0f} ms; "
          f"{cost['lookup_ms']:.2f} ms per name resolved")
    print(f"  RSS per process: {b['VmRSS']:.0f} MB before, {m['VmRSS']:.0f} MB mapped, "
          f"{a['VmRSS']:.0f} MB after resolving {len(set(t['text'] for p in passages for t in p['toponyms']))} "
          f"names (anonymous +{a['RssAnon'] - b['RssAnon']:.0f} MB, file-backed shared "
          f"+{a['RssFile'] - b['RssFile']:.0f} MB)")
    if args.country_points:
        cp = result["country_points"]
        print(f"  country points on {cp['names']} gold names linked to a country, within 161 km: "
              + ", ".join(f"{k} {cp[k]:.3f}" for k in ("factbook", "outline", "towns", "medoid", "mean")))
    if args.misses:
        print("  commonest misses: " + "; ".join(f"{k} x{n}" for k, n in result["misses"][:args.misses]))
        print("  commonest unrecognised: "
              + "; ".join(f"{k} x{n}" for k, n in result["unrecognised"][:args.misses]))
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
