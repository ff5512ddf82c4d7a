"""Soak: the real `newsduck extract` command over every document of a large real corpus.

    python bench/soak.py --corpus ../shared/eval/soak/reuters-5000.jsonl.gz
    python bench/soak.py --corpus ../shared/eval/extraction/html
    python bench/soak.py --corpus ../shared/eval/ner-dev/uner_en_ewt_dev.jsonl --limit 500
    python bench/soak.py --corpus tests/fixtures/texts --corpus tests/fixtures/gold --corpus tests/fixtures/pages

A corpus is JSON lines (.jsonl or .jsonl.gz) whose objects have a `body` or a `text` (and an `id`,
`sent_id` or `name`: the document's id), a directory of pages and texts (.html, .htm, .html.gz,
.txt; other files are ignored), or one such file. Texts are written to a temporary directory as
.txt files and pages passed by path to `newsduck extract` (the installed command, in a
subprocess), a chunk of documents per process. Prints per corpus: documents, how many were
analysed, skipped (by reason) and failed, seconds, documents/s (model loads included), peak RSS of
the extract processes; then every error with its document id and the error object. A document
that kills the process or runs longer than --doc-timeout is an error too (the chunk goes on after
it). Exits 1 when there was any error (CI runs a slice), else 0.

The corpora outside the repository (../shared/eval) are read in place, never copied into it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz", ".txt")


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    path: Path


@dataclass
class Outcome:
    documents: int = 0
    analysed: int = 0
    skipped: Counter = field(default_factory=Counter)
    errors: list[tuple[str, dict]] = field(default_factory=list)
    seconds: float = 0.0
    peak_rss_kb: int = 0
    processes: int = 0


def read_corpus(path: Path, workdir: Path, limit: int | None) -> list[Document]:
    """The documents of a corpus (see the module docstring), at most `limit`."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(PAGE_SUFFIXES))
        return [Document(str(p.relative_to(path)), p) for p in files[:limit]]
    if not path.name.lower().endswith((".jsonl", ".jsonl.gz")):
        return [Document(path.name, path)]
    opener = gzip.open if path.suffix == ".gz" else open
    docs: list[Document] = []
    with opener(path, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if limit is not None and len(docs) >= limit:
                break
            if not line.strip():
                continue
            record = json.loads(line)
            text = record.get("body") or record.get("text") or ""
            doc_id = next((str(record[k]) for k in ("id", "sent_id", "name") if record.get(k) is not None), str(number))
            file = workdir / f"{len(docs):06d}.txt"
            file.write_text(text, encoding="utf-8", errors="surrogatepass")  # as is: a lone surrogate too
            docs.append(Document(doc_id, file))
    return docs


def extract_command() -> list[str]:
    """The installed console script next to this interpreter, else the same entry point."""
    script = Path(sys.executable).with_name("newsduck")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from flows.cli import app; app()"]


def run_extract(docs: list[Document], doc_timeout: float, cwd: Path) -> tuple[list[dict], dict | None, int]:
    """One `newsduck extract` process over `docs`: the objects it printed, in order; why it stopped
    early (an error object for the document it was on), or None; its peak RSS in KB."""
    output = cwd / "extract.out"
    # the child writes through its own file description, we read through another: a shared
    # offset would let our reads move its writes
    with open(output, "wb") as out, open(output, "rb") as reader, tempfile.TemporaryFile() as err:
        paths = [str(d.path.resolve()) for d in docs]
        proc = subprocess.Popen([*extract_command(), "extract", *paths], stdout=out, stderr=err, cwd=cwd)
        objects: list[dict] = []
        pending, last = b"", time.monotonic()
        usage, timed_out = None, False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, for its rusage
            data = reader.read()
            *lines, pending = (pending + data).split(b"\n")
            if lines:
                objects += [_parse(line) for line in lines if line.strip()]
                last = time.monotonic()
            if pid:
                break
            if time.monotonic() - last > doc_timeout:
                proc.kill()
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
                timed_out = True
                break
            time.sleep(0.05)
        failure = None
        if len(objects) < len(docs):
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-3:]
            reason = "timeout" if timed_out else "crash"
            detail = (f"no output after {doc_timeout:.0f} s" if timed_out else f"exit status {proc.returncode}")
            failure = {"stage": "extract", "reason": reason, "detail": " | ".join([detail, *tail])[:600]}
        return objects, failure, usage.ru_maxrss


def _parse(line: bytes) -> dict:
    """One printed object; a line that is not one is an error of the document in turn."""
    try:
        return json.loads(line)
    except ValueError:
        return {"error": {"stage": "extract", "reason": "not_json", "detail": line[:300].decode("utf-8", "replace")}}


def soak(docs: list[Document], chunk: int, doc_timeout: float, cwd: Path) -> Outcome:
    """Every document through `newsduck extract`, `chunk` documents per process."""
    outcome = Outcome(documents=len(docs))
    started = time.perf_counter()
    queue = list(docs)
    while queue:
        batch, queue = queue[:chunk], queue[chunk:]
        objects, failure, rss = run_extract(batch, doc_timeout, cwd)
        outcome.processes += 1
        outcome.peak_rss_kb = max(outcome.peak_rss_kb, rss)
        for doc, obj in zip(batch, objects):
            if "error" in obj:
                outcome.errors.append((doc.id, obj["error"]))
            elif "skipped" in obj:
                outcome.skipped[obj["skipped"]] += 1
            else:
                outcome.analysed += 1
        if failure:  # the document it was on failed; the rest of the chunk goes on in a new process
            outcome.errors.append((batch[len(objects)].id, failure))
            queue = batch[len(objects) + 1:] + queue
        done = outcome.analysed + sum(outcome.skipped.values()) + len(outcome.errors)
        print(f"  {done}/{outcome.documents} documents, {len(outcome.errors)} errors", file=sys.stderr, flush=True)
    outcome.seconds = time.perf_counter() - started
    return outcome


def report(name: str, outcome: Outcome) -> None:
    rate = outcome.documents / outcome.seconds if outcome.seconds else 0.0
    skipped = ", ".join(f"{reason} {n}" for reason, n in outcome.skipped.most_common()) or "none"
    print(f"corpus {name}")
    print(f"  documents {outcome.documents}  analysed {outcome.analysed}  skipped {sum(outcome.skipped.values())}"
          f" ({skipped})  errors {len(outcome.errors)}")
    print(f"  {outcome.seconds:.1f} s  {rate:.2f} documents/s  peak RSS {outcome.peak_rss_kb / 1024:.0f} MB"
          f"  ({outcome.processes} extract processes)")
    for doc_id, error in outcome.errors:
        print(f"  error {doc_id} {json.dumps(error, ensure_ascii=False)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, action="append", required=True,
                        help="JSON lines (.jsonl/.jsonl.gz), a directory of pages and texts, or one file; repeatable")
    parser.add_argument("--limit", type=int, default=None, help="the first N documents of each corpus")
    parser.add_argument("--chunk", type=int, default=500, help="documents per extract process")
    parser.add_argument("--doc-timeout", type=float, default=300.0,
                        help="seconds without output before the document in progress counts as hung")
    args = parser.parse_args(argv)
    errors = 0
    for corpus in args.corpus:
        if not corpus.exists():
            parser.error(f"no corpus at {corpus}")
        workdir = Path(tempfile.mkdtemp(prefix="newsduck-soak-"))
        try:
            docs = read_corpus(corpus, workdir, args.limit)
            outcome = soak(docs, max(args.chunk, 1), args.doc_timeout, workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        report(str(corpus), outcome)
        errors += len(outcome.errors)
    print(f"errors {errors}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
