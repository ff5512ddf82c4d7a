"""Write a WARC of generated news pages for benchmarking `newsduck backfill --warc`.

    python bench/make_warc.py /tmp/bench.warc.gz --records 1000

The file holds exactly --records WARC records in a crawl-like mix: a warcinfo record, HTML
article responses (some captured twice, some carrying an earlier article's body under another
URL), non-HTML responses, 404s and redirects, request, metadata and revisit records. A JSON
manifest beside it says how many articles a backfill must end with, and why.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.backfillkit import Record, story, write_warc  # noqa: E402
from tests.sitekit import news_page  # noqa: E402

_SUBJECTS = ["The finance minister", "A spokesman for the army", "Local officials", "The opposition leader",
             "Aid workers", "Diplomats in the capital", "The central bank governor", "Union leaders",
             "Residents", "The governor of the province", "Analysts", "The foreign ministry"]
_VERBS = ["said", "warned", "told reporters", "insisted", "announced", "confirmed", "denied", "added"]
_CLAUSES = ["that talks would resume next week", "that the budget had been cut by a fifth",
            "that thousands of families had fled the fighting", "that the vote would go ahead as planned",
            "that prices had doubled since January", "that the agreement was still on the table",
            "that no decision had been taken", "that the border would stay closed until further notice",
            "that the shipment had reached the port", "that an inquiry had been opened",
            "that the ceasefire was holding in most districts", "that the loan would be repaid by 2027"]


def paragraphs(i: int, rnd: random.Random, words: int) -> tuple[str, list[str]]:
    """Story i's title and paragraphs, padded with generated reporting to about `words` words."""
    title, body = story(i)
    body = list(body)
    while sum(len(p.split()) for p in body) < words:
        sentences = [f"{rnd.choice(_SUBJECTS)} {rnd.choice(_VERBS)} {rnd.choice(_CLAUSES)}." for _ in range(3)]
        body.insert(rnd.randrange(1, len(body) + 1), " ".join(sentences) + f" (item {i}.{len(body)})")
    return title, body


def build(records: int, seed: int = 7, host: str = "https://news.example.com") -> tuple[list[Record], dict]:
    """The record mix and what a backfill of it must produce."""
    rnd = random.Random(seed)
    n_html = int(records * 0.76)
    mix = {"request": int(records * 0.10), "metadata": int(records * 0.05), "not_html": int(records * 0.02),
           "http_404": int(records * 0.01), "http_301": int(records * 0.01)}
    mix["revisit"] = records - 1 - n_html - sum(mix.values())  # the warcinfo record is the 1
    recaptured, same_body = n_html // 70, n_html // 70
    out: list[Record] = []
    urls: list[str] = []
    pages: list[str] = []
    for i in range(n_html - recaptured - same_body):
        day = 1 + i % 28
        title, body = paragraphs(i, rnd, rnd.randint(350, 700))
        url = f"{host}/2024/02/{day:02d}/{'-'.join(title.lower().split()[:6])}-{i}"
        page = news_page(title, body, f"2024-02-{day:02d}T{8 + i % 10:02d}:{i % 60:02d}:00Z")
        out.append(Record("response", url, page.encode(), date=f"2024-02-{day:02d}T20:00:00Z"))
        urls.append(url)
        pages.append(page)
    for k in range(recaptured):  # the same URL captured again: already present
        out.append(Record("response", urls[k * 3], pages[k * 3].encode(), date="2024-02-28T21:00:00Z"))
    for k in range(same_body):  # an earlier story under another URL: one article, two URLs
        out.append(Record("response", f"{host}/amp/story-{k}", pages[k * 5 + 1].encode(),
                          date="2024-02-28T22:00:00Z"))
    for k in range(mix["not_html"]):
        kind = ("application/pdf", b"%PDF-1.7\n") if k % 2 else ("image/jpeg", b"\xff\xd8\xff\xe0 jpeg")
        out.append(Record("response", f"{host}/files/{k}", kind[1] * 50, kind[0]))
    for k in range(mix["http_404"]):
        out.append(Record("response", f"{host}/gone/{k}", b"<html>not found</html>", status="404 Not Found"))
    for k in range(mix["http_301"]):
        out.append(Record("response", f"{host}/moved/{k}", b"", status="301 Moved Permanently"))
    for kind in ("request", "metadata", "revisit"):
        out += [Record(kind, rnd.choice(urls)) for _ in range(mix[kind])]
    rnd.shuffle(out)
    expected = {
        "records": len(out) + 1,
        "html_responses": n_html,
        "articles": n_html - recaptured - same_body,
        "already_present": recaptured,
        "duplicate_bodies": same_body,
        "skipped": {"warcinfo": 1, **mix},
    }
    return out, expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    records, expected = build(args.records, args.seed)
    write_warc(args.path, records, gzip=args.path.suffix == ".gz")
    manifest = args.path.with_name(args.path.name + ".json")
    manifest.write_text(json.dumps(expected, indent=2) + "\n")
    print(json.dumps({"path": str(args.path), "bytes": args.path.stat().st_size, **expected}))


if __name__ == "__main__":
    main()
