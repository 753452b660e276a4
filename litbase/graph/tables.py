"""Read the citation graph out of SQLite and write its measures back in.

``update_graph(db)`` is the one call site used by ``litbase graph``,
``litbase build`` and ``litbase fetch``: it recomputes ``article_metrics``,
``cocitations`` and ``bibliographic_coupling`` from scratch, in one
transaction, so Datasette never shows half of an old computation.
"""

from __future__ import annotations

import json
import time

import networkx as nx
import numpy as np
import sqlite_utils

from litbase.graph.metrics import (
    NODE_METRICS,
    EdgeList,
    citation_graph,
    citation_metrics,
    cocitation_counts,
    coupling_counts,
)
from litbase.store.schema import PAIR_ROWS_BUDGET, ensure_db_shape
from litbase.store.articles import utc_now


def seed_pmids(db: sqlite_utils.Database) -> list[int]:
    return [r[0] for r in db.conn.execute(
        "SELECT DISTINCT pmid FROM collections_articles WHERE role = 'seed' ORDER BY pmid")]


def load_edges(db: sqlite_utils.Database) -> EdgeList:
    """Every stored article as a node, every link between two of them as an edge."""
    pmids = np.fromiter((r[0] for r in db.conn.execute("SELECT pmid FROM articles")), dtype=np.int64)
    pairs = np.array(
        db.conn.execute("SELECT DISTINCT citing, cited FROM citations").fetchall(), dtype=np.int64
    ).reshape(-1, 2)
    return EdgeList.from_pairs(pmids, pairs)


def load_graph(db: sqlite_utils.Database) -> nx.DiGraph:
    """The stored articles (with their metrics, once computed) and links as a DiGraph."""
    metrics = {}
    if db["article_metrics"].exists():
        metrics = {r["pmid"]: r for r in db["article_metrics"].rows}
    articles = (
        {**row, **{k: v for k, v in metrics.get(row["pmid"], {}).items() if k in NODE_METRICS}}
        for row in db.query("SELECT pmid, title, year, journal_iso AS journal, authors, doi"
                            " FROM articles ORDER BY pmid")
    )
    links = db.conn.execute("SELECT citing, cited, source FROM citations ORDER BY citing, cited, source")
    return citation_graph(articles, links)


def graph_inputs(db: sqlite_utils.Database) -> str:
    """What the graph tables are computed from, in one line: if it has not
    changed since the last run, neither have they."""
    articles = db.conn.execute("SELECT count(*), total(pmid) FROM articles").fetchone()
    links = db.conn.execute("SELECT count(*), total(citing), total(cited) FROM citations").fetchone()
    return json.dumps([*articles, *links, seed_pmids(db)])


def update_graph(db: sqlite_utils.Database, force: bool = False) -> dict:
    """Recompute every graph table; returns what was computed, with timings.

    Unless forced, a run whose inputs match the last run's does nothing (a
    rerun of `litbase fetch` or `litbase build` that stored nothing new).
    """
    ensure_db_shape(db)
    inputs = graph_inputs(db)
    last = db.conn.execute("SELECT inputs FROM graph_runs ORDER BY id DESC LIMIT 1").fetchone()
    if not force and last is not None and last[0] == inputs:
        return {"skipped": True}
    started = time.perf_counter()
    edges = load_edges(db)
    loaded = time.perf_counter()
    metrics = citation_metrics(edges, seeds=seed_pmids(db))
    computed = time.perf_counter()
    cocited, cocitation_min = cocitation_counts(edges, budget=PAIR_ROWS_BUDGET)
    coupled, coupling_min = coupling_counts(edges, budget=PAIR_ROWS_BUDGET)
    paired = time.perf_counter()
    now = utc_now()
    with db.conn:
        db.conn.execute("DELETE FROM article_metrics")
        db.conn.executemany(
            "INSERT INTO article_metrics (pmid, citations_received, citations_made, pagerank,"
            " community, hops_from_seed, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(pmid, m["citations_received"], m["citations_made"], m["pagerank"],
              m["community"], m["hops_from_seed"], now) for pmid, m in metrics.items()],
        )
        db.conn.execute("DELETE FROM cocitations")
        db.conn.executemany("INSERT INTO cocitations (a, b, count) VALUES (?, ?, ?)", cocited)
        db.conn.execute("DELETE FROM bibliographic_coupling")
        db.conn.executemany(
            "INSERT INTO bibliographic_coupling (a, b, count) VALUES (?, ?, ?)", coupled)
    stored = time.perf_counter()
    summary = {
        "articles": len(edges.pmids),
        "citations": len(edges.citing),
        "cocitation_pairs": len(cocited),
        "coupling_pairs": len(coupled),
        "cocitation_min_count": cocitation_min,
        "coupling_min_count": coupling_min,
        "seconds": {
            "load": round(loaded - started, 3),
            "metrics": round(computed - loaded, 3),
            "pairs": round(paired - computed, 3),
            "store": round(stored - paired, 3),
        },
    }
    with db.conn:
        db["graph_runs"].insert({
            "computed_at": now,
            **{k: v for k, v in summary.items() if k != "seconds"},
            "seconds": round(stored - started, 3),
            "inputs": inputs,
        })
    return summary

