"""Serve: p50/p95 of search, table, facet and canned-query pages on the 50,000-article database.

    python benchmarks/serve.py [--db PATH] [--requests N] [--no-docs]

Two servers on the same database file, each a subprocess:

- litbase's settings: ``litbase serve DB`` (suggest_facets off, cells cut at 200
  characters, facets of ten values; litbase's metadata and plugin);
- Datasette's defaults: ``datasette DB --metadata M`` with the same metadata
  (the same configured facets, canned queries and plugin, which is installed)
  and every setting left at Datasette's default (suggest_facets on, ...).

Each page kind is requested N times in turn after two warm-up requests; then
20 client threads send mixed requests at once and errors (non-200 answers,
refused or dropped connections) are counted. The database is the one
benchmarks/ingest.py --keep leaves, else it is built with ``litbase import``.
Rewrites the "## Serve" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from machine import describe_machine, replace_section  # noqa: E402
from parse import DATA, FILES, ensure_data  # noqa: E402

DEFAULT_DB = ROOT / ".cache" / "bench" / "pubmed-50k.db"
CLIENTS, PER_CLIENT = 20, 5


def pages(name: str) -> dict[str, str]:
    return {
        "search": f"/{name}/articles?_search=residency",
        "table": f"/{name}/articles",
        "facet": f"/{name}/articles?_facet=journal_iso&_facet=language",
        "canned query": f"/{name}/search?q=residency",
    }


def build_db(path: Path) -> None:
    ensure_data()
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "litbase", "import", str(path),
                    *(str(DATA / n) for n in FILES)], check=True, capture_output=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=2).read()
            return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"{command[:3]} exited: {process.stderr.read().decode()[-500:]}")
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{command[:3]} did not start")


def get(port: int, path: str) -> tuple[float, int | str]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as answer:
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        status = type(error).__name__
    return time.perf_counter() - started, status


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_server(port: int, name: str, n: int) -> dict:
    result = {}
    for kind, path in pages(name).items():
        for _ in range(2):
            get(port, path)
        times, statuses = zip(*(get(port, path) for _ in range(n)))
        result[kind] = {"p50": statistics.median(times), "p95": percentile(times, 0.95),
                        "errors": sum(s != 200 for s in statuses)}
    errors, lock = [], threading.Lock()
    mixed = list(pages(name).values())

    def client(number: int) -> None:
        for i in range(PER_CLIENT):
            _, status = get(port, mixed[(number + i) % len(mixed)])
            if status != 200:
                with lock:
                    errors.append(status)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result["concurrent"] = {"errors": len(errors), "kinds": sorted(set(map(str, errors))),
                            "seconds": time.perf_counter() - started}
    return result


def measure(db: Path, n: int) -> dict:
    from litbase.publish.pages import database_name, metadata_for

    if not db.exists():
        build_db(db)
    name = database_name(db)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        metadata = Path(folder) / "metadata.yml"
        metadata.write_text(yaml.safe_dump(metadata_for([name]), sort_keys=False))
        datasette = str(Path(sys.executable).with_name("datasette"))
        for label, command in (
            ("litbase", [sys.executable, "-m", "litbase", "serve", str(db)]),
            ("datasette", [datasette, "serve", str(db), "--metadata", str(metadata)]),
        ):
            port = free_port()
            process = start(command + ["--port", str(port)], port)
            try:
                results[label] = measure_server(port, name, n)
            finally:
                process.terminate()
                process.wait(timeout=10)
            print(f"{label}: {results[label]}", file=sys.stderr)
    return {"servers": results, "articles": _count(db), "name": name}


def _count(db: Path) -> int:
    import sqlite3

    return sqlite3.connect(db).execute("select count(*) from articles").fetchone()[0]


def section(result: dict, n: int) -> str:
    ours, theirs = result["servers"]["litbase"], result["servers"]["datasette"]
    lines = ["| page | litbase p50 / p95 | Datasette defaults p50 / p95 | Datasette / litbase (p50) |",
             "| --- | ---: | ---: | ---: |"]
    for kind, path in pages(result["name"]).items():
        a, b = ours[kind], theirs[kind]
        errors = "" if not (a["errors"] or b["errors"]) else f" ({a['errors']}/{b['errors']} errors)"
        lines.append(f"| {kind} `{path}` | {a['p50'] * 1000:.0f} / {a['p95'] * 1000:.0f} ms | "
                     f"{b['p50'] * 1000:.0f} / {b['p95'] * 1000:.0f} ms | **{b['p50'] / a['p50']:.1f}x**{errors} |")
    conc = [f"{label}: {r['concurrent']['errors']} errors in {CLIENTS * PER_CLIENT} requests "
            f"({r['concurrent']['seconds']:.1f} s)" + (f", {r['concurrent']['kinds']}" if r['concurrent']['errors'] else "")
            for label, r in result["servers"].items()]
    return "\n".join([
        f"Command: `python benchmarks/serve.py --requests {n}`; {n} requests per page after 2 warm-ups, "
        f"one at a time, on {result['articles']:,} articles (both real files, ingested by `litbase import`).",
        "",
        "litbase: `litbase serve DB` (suggest_facets off, truncate_cells_html 200, default_facet_size 10). "
        "Datasette's defaults: `datasette serve DB --metadata M`, the same metadata (facets, canned "
        "queries) and the same installed plugin, every setting at Datasette 0.65's default.",
        "",
        *lines,
        "",
        f"{CLIENTS} concurrent clients, {PER_CLIENT} mixed requests each: " + "; ".join(conc) + ".",
        "",
        describe_machine(),
    ])


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--db", type=Path, default=DEFAULT_DB)
    options.add_argument("--requests", type=int, default=20)
    options.add_argument("--no-docs", action="store_true")
    args = options.parse_args()
    text = section(measure(args.db, args.requests), args.requests)
    print(text)
    if not args.no_docs:
        replace_section(ROOT / "docs" / "benchmarks.md", "Serve", text)


if __name__ == "__main__":
    main()
