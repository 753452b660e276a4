"""The interactive network at scale: the stored layout's cost and the page's reads at 50,000 and 500,000 articles.

    python benchmarks/network.py [--sizes 50000 500000] [--keep DIR] [--blocks]
    python benchmarks/network.py --serve DB [DB ...] [--requests 20]

The bases are synthetic (made up, said so): N articles, each citing up to
four earlier ones (mostly the recently cited, so a few become hubs), one
collection holding every article with the newest as its seed. ``litbase
graph``'s metrics and map layout are computed and stored (co-citation pairs
are left out: they are not what this measures), then ``network_data`` is
timed for the whole base, the collection, and the neighbourhoods of the most
cited article and of a seed. Prints one line per figure.

``--blocks`` stands in for the communities with 50 blocks of consecutive
PMIDs (each article cites mostly the thousand before it, so blocks are real
clusters here) and counts citations with numpy, to time the layout alone
(before communities came from Leiden above 50,000 links, igraph's Louvain
did not finish within ten minutes on these 2 million links on a loaded
machine); the page's figures do not depend on how communities are found.

``--serve`` times the network pages over HTTP instead, as
``benchmarks/serve.py`` times every page (two warm-ups, then p50/p95 of N
requests): ``litbase serve DB --public`` (read-only: a benchmark base is not
migrated) for Shape of the literature, years.svg, network.svg and the
interactive network of the whole base and of its most cited article.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from pathlib import Path


from litbase.graph.layout import layout_rows
from litbase.graph.metrics import EdgeList, citation_metrics
from litbase.graph.tables import load_edges
from litbase.publish.network_data import network_data
from litbase.store import graph_tables, network
from litbase.store.articles import utc_now
from litbase.store.schema import open_db

SURNAMES = ["Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Tanaka", "Rossi", "Haddad", "Patel", "Kim"]


def synthetic(path: Path, n: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    db = open_db(path)
    articles, links = [], []
    for i in range(1, n + 1):
        articles.append((i, f"Synthetic article {i}", 1980 + i * 44 // n, f"{SURNAMES[i % 10]} A, Other B",
                         "J Synth", '["Humans", "Topic %d"]' % (i % 50)))
        for _ in range(min(i - 1, 4)):
            # Half the links go to one of the 1,000 articles before, half anywhere earlier: hubs and a long tail.
            cited = rng.randint(max(1, i - 1000), i - 1) if rng.random() < 0.5 else rng.randint(1, i - 1)
            links.append((i, cited, "reference_list"))
    with db.conn:
        db.conn.executemany("INSERT INTO articles (pmid, title, year, authors, journal_iso, mesh_terms)"
                            " VALUES (?, ?, ?, ?, ?, ?)", articles)
        db.conn.executemany("INSERT OR IGNORE INTO citations (citing, cited, source) VALUES (?, ?, ?)", links)
        db.conn.execute("INSERT INTO collections (name) VALUES ('all')")
        db.conn.executemany("INSERT INTO collections_articles (collection, pmid, role) VALUES ('all', ?, ?)",
                            [(i, "seed" if i == n else "import") for i in range(1, n + 1)])
    db.conn.close()


def block_metrics(edges: EdgeList) -> dict[int, dict]:
    """Citations counted, communities stood in by 50 blocks of consecutive PMIDs (see --blocks)."""
    import numpy as np

    n = len(edges.pmids)
    received, made = np.bincount(edges.cited, minlength=n), np.bincount(edges.citing, minlength=n)
    block = edges.pmids * 50 // (int(edges.pmids.max()) + 1)
    return {int(p): {"citations_received": int(received[i]), "citations_made": int(made[i]), "pagerank": 0.0,
                     "community": int(block[i]), "hops_from_seed": None}
            for i, p in enumerate(edges.pmids.tolist())}


def graph(path: Path, blocks: bool = False) -> dict:
    db = open_db(path)
    started = time.perf_counter()
    edges = load_edges(db)
    metrics = block_metrics(edges) if blocks else citation_metrics(edges, seeds=graph_tables.seed_pmids(db))
    measured = time.perf_counter()
    graph_tables.replace_graph_tables(db, metrics, [], [], computed_at=utc_now())
    stored = time.perf_counter()
    rows = layout_rows(edges, metrics)
    laid_out = time.perf_counter()
    network.replace_layout(db, rows)
    written = time.perf_counter()
    top = max(metrics, key=lambda p: metrics[p]["citations_received"])
    db.conn.close()
    return {"metrics": measured - started, "store metrics": stored - measured,
            "layout": laid_out - stored, "store layout": written - laid_out, "top": top}


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def serve_pages(db: Path) -> dict[str, str]:
    name = db.stem
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    pmid = conn.execute("SELECT pmid FROM article_metrics ORDER BY citations_received DESC, pmid"
                        " LIMIT 1").fetchone()[0]
    conn.close()
    return {
        "Shape of the literature": f"/-/litbase/{name}",
        "years.svg": f"/-/litbase/{name}/years.svg",
        "network.svg": f"/-/litbase/{name}/network.svg",
        "interactive network (whole base)": f"/-/litbase/{name}/network",
        "interactive network (one article)": f"/-/litbase/{name}/network?pmid={pmid}",
    }


def measure_served(db: Path, n: int) -> None:
    import os
    import statistics
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from serve import free_port, get, percentile, start

    port = free_port()
    server = start([sys.executable, "-m", "litbase", "serve", str(db), "--public", "--port", str(port)], port)
    try:
        print(f"{db.name}: load average {os.getloadavg()[0]:.2f} before", flush=True)
        for page, path in serve_pages(db).items():
            get(port, path), get(port, path)
            times, statuses = zip(*(get(port, path) for _ in range(n)))
            errors = sorted({str(s) for s in statuses if s != 200})
            print(f"{db.name}: {page}: p50 {statistics.median(times) * 1000:.0f} ms,"
                  f" p95 {percentile(times, 0.95) * 1000:.0f} ms {errors or ''}", flush=True)
        print(f"{db.name}: load average {os.getloadavg()[0]:.2f} after", flush=True)
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", type=Path, nargs="+", help="time the network pages of these bases over HTTP")
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50_000, 500_000])
    parser.add_argument("--keep", type=Path, help="keep the bases in this folder")
    parser.add_argument("--blocks", action="store_true", help="stand-in communities instead of Louvain")
    args = parser.parse_args()
    if args.serve:
        for db in args.serve:
            measure_served(db, args.requests)
        return
    folder = args.keep or Path(tempfile.mkdtemp())
    folder.mkdir(parents=True, exist_ok=True)
    for n in args.sizes:
        path = folder / f"network-{n}.db"
        if not path.exists():
            started = time.perf_counter()
            synthetic(path, n)
            print(f"{n:>8} articles: built in {time.perf_counter() - started:.1f} s", flush=True)
        figures = graph(path, args.blocks)
        top = figures.pop("top")
        for name, seconds in figures.items():
            print(f"{n:>8} articles: graph {name} {seconds:.2f} s", flush=True)
        conn = sqlite3.connect(path)
        for name, kwargs in [("whole base", {}), ("collection", {"collection": "all"}),
                             ("most cited's neighbourhood", {"pmid": top}), ("seed's neighbourhood", {"pmid": n})]:
            data = network_data(conn, **kwargs)
            seconds = timed(lambda: network_data(conn, **kwargs))
            print(f"{n:>8} articles: page data, {name}: {seconds * 1000:.0f} ms"
                  f" ({len(data['nodes'])} drawn of {data['members']}, {len(data['links'])} links)", flush=True)
        conn.close()


if __name__ == "__main__":
    main()
