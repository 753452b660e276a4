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

from litbase.graph.layout import layout_rows
from litbase.graph.metrics import (
    NODE_METRICS,
    EdgeList,
    citation_graph,
    citation_metrics,
    cocitation_counts,
    coupling_counts,
)
from litbase.graph.facets import refresh_site_tables
from litbase.store import graph_tables, network
from litbase.store.articles import utc_now
from litbase.store.retractions import update_cites_retracted
from litbase.store.schema import PAIR_ROWS_BUDGET, ensure_db_shape


def load_edges(db: sqlite_utils.Database) -> EdgeList:
    """Every stored article as a node, every link between two of them as an edge."""
    pmids = np.fromiter(graph_tables.article_pmids(db), dtype=np.int64)
    pairs = np.array(graph_tables.link_pairs(db), dtype=np.int64).reshape(-1, 2)
    return EdgeList.from_pairs(pmids, pairs)


def load_graph(db: sqlite_utils.Database) -> nx.DiGraph:
    """The stored articles (with their metrics, once computed) and links as a DiGraph."""
    metrics = graph_tables.stored_metrics(db)
    articles = (
        {**row, **{k: v for k, v in metrics.get(row["pmid"], {}).items() if k in NODE_METRICS}}
        for row in graph_tables.graph_nodes(db)
    )
    return citation_graph(articles, graph_tables.graph_links(db))


def graph_inputs(db: sqlite_utils.Database) -> str:
    """What the graph tables are computed from, in one line: if it has not
    changed since the last run, neither have they."""
    return json.dumps([*graph_tables.input_counts(db), graph_tables.seed_pmids(db)])


def update_graph(db: sqlite_utils.Database, force: bool = False) -> dict:
    """Recompute every graph table; returns what was computed, with timings.

    Unless forced, a run whose inputs match the last run's does nothing (a
    rerun of `litbase fetch` or `litbase build` that stored nothing new).
    """
    site_started = time.perf_counter()
    ensure_db_shape(db)
    # Derived like the graph tables, but it depends on retraction flags too, so it runs every time.
    update_cites_retracted(db)
    # Facet counts and the overview network, recomputed even when the graph's inputs are unchanged.
    refresh_site_tables(db)
    inputs = graph_inputs(db)
    if not force and graph_tables.last_run_inputs(db) == inputs:
        return {"skipped": True}
    started = time.perf_counter()
    edges = load_edges(db)
    loaded = time.perf_counter()
    metrics = citation_metrics(edges, seeds=graph_tables.seed_pmids(db))
    computed = time.perf_counter()
    cocited, cocitation_min = cocitation_counts(edges, budget=PAIR_ROWS_BUDGET)
    coupled, coupling_min = coupling_counts(edges, budget=PAIR_ROWS_BUDGET)
    paired = time.perf_counter()
    now = utc_now()
    graph_tables.replace_graph_tables(db, metrics, cocited, coupled, computed_at=now)
    stored = time.perf_counter()
    network.replace_layout(db, layout_rows(edges, metrics))
    laid_out = time.perf_counter()
    summary = {
        "articles": len(edges.pmids),
        "citations": len(edges.citing),
        "cocitation_pairs": len(cocited),
        "coupling_pairs": len(coupled),
        "cocitation_min_count": cocitation_min,
        "coupling_min_count": coupling_min,
        "seconds": {
            "site tables": round(started - site_started, 3),
            "load": round(loaded - started, 3),
            "metrics": round(computed - loaded, 3),
            "pairs": round(paired - computed, 3),
            "store": round(stored - paired, 3),
            "layout": round(laid_out - stored, 3),
        },
    }
    graph_tables.record_graph_run(db, {
        "computed_at": now,
        **{k: v for k, v in summary.items() if k != "seconds"},
        "seconds": round(laid_out - started, 3),
        "inputs": inputs,
    })
    return summary

