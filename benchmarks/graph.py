"""Graph metrics at 100,000 articles and 1,000,000 citations, beside networkx's PageRank.

    python benchmarks/graph.py [--articles 100000] [--citations 1000000] [--bases DB ...]

Builds a synthetic citation database (deterministic: topics with 85% of
references inside the topic, older articles cited more), then, each in a fresh
process so that peak memory is its own:

- litbase's ``update_graph``: citation counts, PageRank, Louvain communities,
  hops from a seed, co-citation and coupling pair tables, stored in SQLite;
- the anchor: ``networkx.pagerank`` alone on a DiGraph of the same edges;
- ``litbase related`` for the seed article.

With ``--bases``, also ``litbase graph``'s whole work (``update_graph``,
forced: site tables, metrics, pairs, layout, stored) on a copy of each
benchmark base (benchmarks/synthetic.py: the 50,000 and 500,000 bases), in a
process of its own, with the time of each step.

Prints a markdown table and rewrites the "## Graph" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from machine import describe_machine, replace_section  # noqa: E402

FIRST_PMID = 10_000_000


def synthetic_edges(n: int, m: int, topics: int = 300, within: float = 0.85, seed: int = 1):
    """(citing, cited) PMID arrays: later articles cite earlier ones, mostly in their topic."""
    rng = np.random.default_rng(seed)
    topic = rng.integers(0, topics, n)
    citing = rng.integers(n // 100, n, m)
    by_topic = np.lexsort((np.arange(n), topic))  # articles grouped by topic, by age inside
    topic_start = np.searchsorted(topic[by_topic], np.arange(topics))
    rank_in_topic = np.empty(n, dtype=np.int64)
    rank_in_topic[by_topic] = np.arange(n) - topic_start[topic[by_topic]]
    pick = rng.random(m) ** 2  # squared: older articles collect more citations
    same_topic = rng.random(m) < within
    k = rank_in_topic[citing]
    inside = by_topic[topic_start[topic[citing]] + (pick * k).astype(np.int64)]
    anywhere = (pick * citing).astype(np.int64)
    cited = np.where(same_topic & (k > 0), inside, anywhere)
    keep = cited != citing
    return citing[keep] + FIRST_PMID, cited[keep] + FIRST_PMID


def build_database(path: Path, n: int, m: int) -> int:
    from litbase.store.schema import open_db

    db = open_db(path)
    # Draw a surplus, then keep m distinct links in a seeded random order.
    citing, cited = synthetic_edges(n, int(m * 1.5))
    pairs = np.unique(np.stack([citing, cited], axis=1), axis=0)
    pairs = pairs[np.sort(np.random.default_rng(2).permutation(len(pairs))[:m])]
    with db.conn:
        db.conn.executemany(
            "INSERT INTO articles (pmid, title, year, record_source) VALUES (?, ?, ?, 'benchmark')",
            ((FIRST_PMID + i, f"Synthetic benchmark article {i} on topic {i % 300}", 1990 + i * 35 // n)
             for i in range(n)),
        )
        db.conn.executemany(
            "INSERT INTO citations (citing, cited, source) VALUES (?, ?, 'benchmark')",
            pairs.tolist(),
        )
        seed = FIRST_PMID + n - 1
        db.conn.execute("INSERT INTO collections (name) VALUES ('benchmark')")
        db.conn.execute(
            "INSERT INTO collections_articles (collection, pmid, role, depth) VALUES ('benchmark', ?, 'seed', 0)",
            [seed],
        )
    return len(pairs)


def child(task: str, db_path: str) -> None:
    """Run one task in this process and print its figures as JSON."""
    import sqlite_utils

    db = sqlite_utils.Database(db_path)
    started = time.perf_counter()
    if task in ("litbase", "litbase-forced"):
        from litbase.graph.tables import update_graph

        result = update_graph(db, force=task == "litbase-forced")
    elif task == "networkx-pagerank":
        import networkx as nx

        G = nx.DiGraph()
        G.add_nodes_from(r[0] for r in db.conn.execute("SELECT pmid FROM articles"))
        G.add_edges_from(db.conn.execute("SELECT citing, cited FROM citations"))
        built = time.perf_counter()
        nx.pagerank(G)
        result = {"build_seconds": round(built - started, 3),
                  "pagerank_seconds": round(time.perf_counter() - built, 3)}
    elif task == "related":
        from litbase.graph.related import related

        # The worst case: the most cited article has the most co-cited partners.
        top = db.conn.execute(
            "SELECT cited FROM citations GROUP BY cited ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
        rows = related(db, top, limit=20)
        result = {"rows": len(rows), "pmid": top}
    result["wall_seconds"] = round(time.perf_counter() - started, 3)
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result))


def run_child(task: str, db_path: Path) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", task, str(db_path)],
        check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--citations", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, metavar=("TASK", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--bases", type=Path, nargs="*", default=[],
                        help="benchmark bases to run litbase graph on (each copied first, never written)")
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    bases = [graph_base(path) for path in args.bases]
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "graph.db"
        started = time.perf_counter()
        edges = build_database(db_path, args.articles, args.citations)
        print(f"built {args.articles} articles, {edges} citations in {time.perf_counter() - started:.1f} s",
              file=sys.stderr)
        ours = run_child("litbase", db_path)
        anchor = run_child("networkx-pagerank", db_path)
        rel = run_child("related", db_path)
    metrics_s = ours["seconds"]["load"] + ours["seconds"]["metrics"]
    rows = [
        ("litbase: counts, PageRank, Louvain, hops (load + compute)", f"{metrics_s:.2f} s",
         f"{ours['peak_mb']:.0f} MB (whole run)", "10 s, 1.5 GB"),
        ("litbase: co-citation + coupling pairs (compute)", f"{ours['seconds']['pairs']:.2f} s",
         f"{ours['cocitation_pairs']:,} + {ours['coupling_pairs']:,} pairs", ""),
        ("litbase: storing metrics and pair tables", f"{ours['seconds']['store']:.2f} s", "", ""),
        ("litbase update_graph, all of the above", f"{ours['wall_seconds']:.2f} s", f"{ours['peak_mb']:.0f} MB", ""),
        ("networkx.pagerank alone (anchor 5.8 s, 1.3 GB)", f"{anchor['pagerank_seconds']:.2f} s "
         f"(+{anchor['build_seconds']:.1f} s to build the DiGraph)", f"{anchor['peak_mb']:.0f} MB", "anchor"),
        (f"litbase related, the most cited article ({rel['rows']} shown)", f"{rel['wall_seconds']:.3f} s", f"{rel['peak_mb']:.0f} MB", "1 s"),
    ]
    table = ["| work | time | memory / size | goal |", "| --- | --- | --- | --- |"]
    table += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    section = "\n".join([
        f"Command: `python benchmarks/graph.py --articles {args.articles} --citations {args.citations}`",
        "",
        f"Graph: {args.articles:,} articles, {edges:,} distinct citations (synthetic: 300 topics, 85% of "
        "references inside the topic, older articles cited more). Each row ran in its own process; "
        "memory is that process's peak RSS.",
        "",
        *table,
        *bases_table(bases),
    ])
    print(section)
    if not args.no_docs:
        replace_section(ROOT / "docs" / "benchmarks.md", "Graph", section + "\n\n" + describe_machine())


def graph_base(path: Path) -> dict:
    """``litbase graph``'s work on a copy of the base at ``path``, timed step by step."""
    import os
    import shutil

    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / path.name
        shutil.copyfile(path, copy)
        load = os.getloadavg()[0]
        result = run_child("litbase-forced", copy)
    result.update(name=path.name, load_before=load, load_after=os.getloadavg()[0])
    print(f"{path.name}: {result}", file=sys.stderr, flush=True)
    return result


def bases_table(bases: list[dict]) -> list[str]:
    if not bases:
        return []
    steps = list(bases[0]["seconds"])
    lines = ["", "`litbase graph` on the benchmark bases (benchmarks/synthetic.py; a copy of each, forced;"
             " each in its own process):", "",
             "| base | articles | links between them | " + " | ".join(steps) + " | whole run | peak memory"
             " | load average before / after |",
             "| --- | ---: | ---: | " + " | ".join("---:" for _ in steps) + " | ---: | ---: | --- |"]
    for b in bases:
        lines.append(f"| {b['name']} | {b['articles']:,} | {b['citations']:,} | "
                     + " | ".join(f"{b['seconds'][step]:.1f} s" for step in steps)
                     + f" | **{b['wall_seconds']:.1f} s** | {b['peak_mb']:.0f} MB"
                     f" | {b['load_before']:.1f} / {b['load_after']:.1f} |")
    return lines


if __name__ == "__main__":
    main()
