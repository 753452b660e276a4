"""Data for the interactive citation-network page: nodes placed, links listed.

Functions over a sqlite3 connection (Datasette hands one to ``execute_fn``);
the rows come from ``litbase.store.site``. The layout is networkx's spring
layout with a fixed seed, so the same collection is drawn the same way every
time; the browser only draws, zooms and follows clicks.
"""

from __future__ import annotations

import sqlite3

import networkx as nx

from litbase.store import site

MAX_NODES = 300
LAYOUT_SEED = 7


def network_data(conn: sqlite3.Connection, pmid: int | None = None, collection: str | None = None,
                 max_nodes: int = MAX_NODES) -> dict:
    """Nodes (with x, y in 0..1, citations, community, year) and links for the page.

    Only stored articles are drawn. When there are more than ``max_nodes``,
    the most cited are kept (and the focus article always).
    """
    members = site.network_members(conn, pmid, collection)
    nodes: dict[int, dict] = {}
    for row in site.network_nodes(conn, members):
        first_author = (row["authors"] or "").split(",")[0]
        nodes[row["pmid"]] = {
            "id": row["pmid"],
            "title": row["title"],
            "year": row["year"],
            "label": " ".join(p for p in (first_author, str(row["year"] or "")) if p) or str(row["pmid"]),
            "journal": row["journal_iso"],
            "citations": row["citations_received"] or 0,
            "community": row["community"],
        }
    if len(nodes) > max_nodes:
        keep = sorted(nodes.values(), key=lambda n: (n["id"] != pmid, -n["citations"], n["id"]))
        nodes = {n["id"]: n for n in keep[:max_nodes]}
    links = _links_between(conn, set(nodes))
    _place(nodes, links)
    years = [n["year"] for n in nodes.values() if n["year"]]
    return {
        "focus": pmid,
        "collection": collection,
        "nodes": sorted(nodes.values(), key=lambda n: n["id"]),
        "links": links,
        "years": [min(years), max(years)] if years else None,
        "truncated": len(members) > len(nodes),
    }


def _links_between(conn, ids: set[int]) -> list[dict]:
    """Distinct citing -> cited links whose both ends are drawn."""
    return [{"source": a, "target": b}
            for a, b in site.links_from(conn, sorted(ids)) if b in ids and a != b]


def _place(nodes: dict[int, dict], links: list[dict]) -> None:
    """Spring layout with a fixed seed, scaled into the unit square."""
    G = nx.Graph()
    G.add_nodes_from(sorted(nodes))
    G.add_edges_from((link["source"], link["target"]) for link in links)
    if not nodes:
        return
    positions = nx.spring_layout(G, seed=LAYOUT_SEED, iterations=80) if len(nodes) > 1 else {
        next(iter(nodes)): (0.0, 0.0)}
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    for pmid, (x, y) in positions.items():
        nodes[pmid]["x"] = round((x - min(xs)) / span_x, 4)
        nodes[pmid]["y"] = round((y - min(ys)) / span_y, 4)
