"""Throughput and memory of the whole ingest against its ceiling, spaCy alone.

    python bench/run.py                  # N = 2,000, then N = 1,000 and 5,000 for memory (~30 min)
    python bench/run.py --n 20 --sizes   # the CI smoke test (a minute)

Generates N articles (300-2,000 words, heavy page boilerplate) and feeds listing them, serves
them on 127.0.0.1, runs `newsduck run` in a subprocess against a Prefect server started once,
and prints: articles/s, words/s, time per stage, Prefect's overhead, peak RSS of the run's
process tree; then the ceiling (the same clean bodies through `nlp.pipe` alone, same model and
components, best n_process and batch size) and the ratio; then an unchanged re-run's time as a
fraction of the first; then peak RSS for the other sizes. The figures, with the machine, go
into bench/RESULTS.md between the figure markers (the notes around them are kept).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.newsgen import generate_articles, page_html, rss  # noqa: E402
from tests.sitekit import Site  # noqa: E402

START, END = "<!-- figures:start -->", "<!-- figures:end -->"


def serve_site(n: int, seed: int = 7, per_feed: int = 50) -> tuple[Site, Path, int]:
    """A local news site with n articles and feeds of `per_feed` items; returns the catalogue."""
    site = Site()
    articles = generate_articles(n, seed=seed)
    base = site.url("")
    for a in articles:
        site.add(f"/news/{a.slug}?utm_source=rss", page_html(a))
        site.add(f"/news/{a.slug}", page_html(a))
    feeds = []
    for k in range(0, n, per_feed):
        feeds.append(site.add(f"/feeds/{k // per_feed}.xml", rss(f"Feed {k}", base, articles[k:k + per_feed]),
                              content_type="application/rss+xml", etag=f'"feed-{k}"'))
    catalogue = Path(tempfile.mkdtemp(prefix="newsduck-bench-")) / "feeds.csv"
    catalogue.write_text("url\n" + "\n".join(feeds) + "\n")
    return site, catalogue, sum(a.words for a in articles)


class TreeRss:
    """Peak resident memory of a process and all its descendants, sampled from /proc."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        self.pid, self.every, self.peak = pid, every, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, sum(_rss(p) for p in _tree(self.pid)))
            self._stop.wait(self.every)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def run_ingest(catalogue: Path, workdir: Path, api_url: str, extra_env: dict[str, str]) -> dict:
    """`newsduck run` in a subprocess; its JSON result, wall time and peak RSS of its tree."""
    env = os.environ | {
        "NEWSDUCK_DB": str(workdir / "bench.duckdb"), "NEWSDUCK_DATA_DIR": str(workdir / "data"),
        "NEWSDUCK_ALLOW_PRIVATE_HOSTS": "1", "NEWSDUCK_PER_HOST_DELAY": "0",
        # one local host serves every page: lift the per-host politeness limit, not the global one
        "NEWSDUCK_PER_HOST_CONCURRENCY": "16", "PREFECT_API_URL": api_url,
    } | extra_env
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", "from flows.cli import app; app()", "run", "--feeds", str(catalogue)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    sampler = TreeRss(proc.pid)
    out, _ = proc.communicate()
    wall = time.perf_counter() - started
    peak = sampler.stop()
    if proc.returncode != 0:
        raise SystemExit(f"newsduck run failed ({proc.returncode}):\n{out[-3000:]}")
    result = json.loads(out.strip().splitlines()[-1])
    return result | {"wall": wall, "peak_rss": peak}


def prefect_overhead(api_url: str) -> dict:
    """Seconds per flow run and per task run of Prefect itself (bench/prefect_overhead.py)."""
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "prefect_overhead.py")], cwd=ROOT, check=True,
                         env=os.environ | {"PREFECT_API_URL": api_url}, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def ceiling(db: Path, model: str, docs: int) -> dict:
    """spaCy alone over the stored clean bodies: best words/s over n_process and batch size."""
    from flows.nlp import load_pipeline

    bodies = stored_bodies(db, docs)
    words = count_words(bodies)
    nlp = load_pipeline(model)
    best = {"words_per_s": 0.0}
    tried = []
    for n_process in (1, 2):
        for batch_size in (16, 32, 64):  # 32: what the pipeline uses
            started = time.perf_counter()
            for _ in nlp.pipe(bodies, n_process=n_process, batch_size=batch_size):
                pass
            rate = words / (time.perf_counter() - started)
            tried.append((n_process, batch_size, rate))
            if rate > best["words_per_s"]:
                best = {"words_per_s": rate, "n_process": n_process, "batch_size": batch_size}
    return best | {"docs": len(bodies), "words": words, "tried": tried, "components": nlp.pipe_names}


def stored_bodies(db: Path, limit: int | None = None) -> list[str]:
    """The stored clean bodies, by article id (the first `limit` of them)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return [body for (body,) in con.execute("select body from articles order by article_id limit ?",
                                                 [limit]).fetchall()]


def count_words(bodies: list[str]) -> int:
    """Words split on whitespace: the one count of the pipeline's and the ceiling's words/s."""
    return sum(len(body.split()) for body in bodies)


def machine() -> str:
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("spacy", "prefect", "duckdb", "trafilatura"))
    return f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}; {versions}"


def write_results(path: Path, text: str) -> None:
    old = path.read_text() if path.exists() else f"# Benchmark results\n\n{START}\n{END}\n"
    if START not in old:
        old = f"{old}\n{START}\n{END}\n"
    head, rest = old.split(START, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    path.write_text(f"{head}{START}\n{text}\n{END}{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="articles in the main run")
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 5000], help="other N for peak RSS")
    parser.add_argument("--ceiling-docs", type=int, default=400, help="bodies for the spaCy-alone ceiling")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "RESULTS.md")
    parser.add_argument("--env", nargs="*", default=[], help="extra NEWSDUCK_* settings for the runs, k=v")
    args = parser.parse_args()
    extra = dict(kv.split("=", 1) for kv in args.env)

    workdir = Path(tempfile.mkdtemp(prefix="newsduck-bench-"))
    os.environ.setdefault("NEWSDUCK_DATA_DIR", str(workdir / "prefect-server"))
    from flows.serve import start_local_server
    from flows.settings import Settings

    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(data_dir=workdir / "prefect-server", prefect_port=port)
    server, api_url = start_local_server(settings)
    lines: list[str] = []
    try:
        site, catalogue, _ = serve_site(args.n)
        first = run_ingest(catalogue, workdir / "main", api_url, extra)
        flow_s = first.get("seconds", {})
        words = count_words(stored_bodies(workdir / "main" / "bench.duckdb"))  # what spaCy saw
        lines += [
            f"Machine: {machine()}",
            "",
            f"## N = {args.n} articles, {words:,} words in the clean bodies",
            "",
            "| figure | value |", "|---|---|",
            f"| articles loaded | {first['articles_new']} |",
            f"| wall time (process) | {first['wall']:.1f} s |",
            f"| articles/s | {first['articles_new'] / first['wall']:.1f} |",
            f"| words/s | {words / first['wall']:,.0f} |",
            f"| peak RSS (run and its workers) | {first['peak_rss'] / 2**20:,.0f} MiB |",
        ]
        for stage, seconds in flow_s.items():
            lines.append(f"| stage {stage} | {seconds:.1f} s |")
        if flow_s.get("flow"):
            lines.append(f"| outside the flow (start-up, imports, Prefect client) | {first['wall'] - flow_s['flow']:.1f} s |")

        limit = ceiling(workdir / "main" / "bench.duckdb", Settings().model, args.ceiling_docs)
        ratio = (words / first["wall"]) / limit["words_per_s"]
        lines += [
            f"| ceiling: spaCy alone ({limit['docs']} bodies, best of n_process×batch "
            f"{[(n, b, round(r)) for n, b, r in limit['tried']]}) | {limit['words_per_s']:,.0f} words/s "
            f"(n_process={limit['n_process']}, batch={limit['batch_size']}) |",
            f"| components | {', '.join(limit['components'])} |",
            f"| **pipeline ÷ ceiling** | **{ratio:.2f}** |",
        ]
        overhead = prefect_overhead(api_url)
        tasks = 1 + 5 * -(-first["articles_new"] // int(extra.get("NEWSDUCK_BATCH_SIZE", 200))) + 1
        lines.append(f"| Prefect's own overhead (probe: empty flow and task runs) | a flow run {overhead['flow_run']:.2f} s + ~{tasks} task runs × "
                     f"{overhead['task_run'] * 1000:.0f} ms = {overhead['flow_run'] + tasks * overhead['task_run']:.1f} s "
                     f"({(overhead['flow_run'] + tasks * overhead['task_run']) / first['wall']:.1%} of the run) |")
        second = run_ingest(catalogue, workdir / "main", api_url, extra)
        lines.append(f"| unchanged re-run | {second['wall']:.1f} s = **{second['wall'] / first['wall']:.1%}** of the first "
                     f"({second['articles_new']} new) |")
        site.close()

        if args.sizes:
            lines += ["", "| N | wall | words/s | peak RSS |", "|---:|---:|---:|---:|",
                      f"| {args.n} | {first['wall']:.0f} s | {words / first['wall']:,.0f} | {first['peak_rss'] / 2**20:,.0f} MiB |"]
        for n in args.sizes:
            site, catalogue, _ = serve_site(n, seed=n)
            result = run_ingest(catalogue, workdir / f"n{n}", api_url, extra)
            n_words = count_words(stored_bodies(workdir / f"n{n}" / "bench.duckdb"))
            lines.append(f"| {n} | {result['wall']:.0f} s | {n_words / result['wall']:,.0f} | "
                         f"{result['peak_rss'] / 2**20:,.0f} MiB |")
            site.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    text = "\n".join(lines)
    write_results(args.out, text)
    print(text)


if __name__ == "__main__":
    main()
