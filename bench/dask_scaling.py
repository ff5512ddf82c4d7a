"""Throughput of the ingest with cleaning and NLP on the local worker processes, and on a Dask
LocalCluster of 1 and of 2 worker processes (one thread each), over the same generated site.

    python bench/dask_scaling.py --n 400

Each configuration is a fresh `newsduck run` (new database) in a subprocess against one Prefect
server; the Dask runs start their LocalCluster inside the run (its start is in the wall time).
Prints a markdown table: wall time, articles/s, words/s, and the flow's CPU-stage wall seconds.
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import machine, run_ingest, serve_site  # noqa: E402

CONFIGS = {
    "local worker processes (2)": {"NEWSDUCK_TASK_RUNNER": "local"},
    "Dask, 1 worker": {"NEWSDUCK_TASK_RUNNER": "dask", "NEWSDUCK_DASK_WORKERS": "1"},
    "Dask, 2 workers": {"NEWSDUCK_TASK_RUNNER": "dask", "NEWSDUCK_DASK_WORKERS": "2"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=400, help="articles per run")
    parser.add_argument("--only", nargs="*", default=list(CONFIGS), help="configurations to run")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="newsduck-dask-bench-"))
    from flows.serve import start_local_server
    from flows.settings import Settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server, api_url = start_local_server(Settings(data_dir=workdir / "prefect-server", prefect_port=port))
    lines = [f"Machine: {machine()}", "", f"N = {args.n} generated articles", "",
             "| configuration | wall | articles/s | words/s | clean + NLP wall (in the flow) |",
             "|---|---:|---:|---:|---:|"]
    try:
        site, catalogue, words = serve_site(args.n)
        for k, name in enumerate(args.only):
            result = run_ingest(catalogue, workdir / f"run{k}", api_url, CONFIGS[name])
            seconds = result.get("seconds", {})
            cpu = seconds.get("clean_wall", 0) + seconds.get("nlp_wall", 0)
            lines.append(f"| {name} | {result['wall']:.1f} s | {result['articles_new'] / result['wall']:.1f} | "
                         f"{words / result['wall']:,.0f} | {cpu:.1f} s |")
            print(lines[-1], flush=True)
        site.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
