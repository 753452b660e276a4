"""Data for the interactive citation-network page: nodes placed, links listed.

Pure functions over a sqlite3 connection (Datasette hands one to
``execute_fn``). The layout is networkx's spring layout with a fixed seed, so
the same collection is drawn the same way every time; the browser only
draws, zooms and follows clicks.
"""

from __future__ import annotations

import sqlite3

import networkx as nx

MAX_NODES = 300
LAYOUT_SEED = 7


def _placeholders(values) -> str:
    return ",".join("?" * len(values))


def _members(conn: sqlite3.Connection, pmid: int | None, collection: str | None) -> list[int]:
    """The articles to draw: one article and its neighbours, a collection, or everything."""
    if pmid is not None:
        rows = conn.execute(
            "SELECT ? UNION SELECT cited FROM citations WHERE citing = ?"
            " UNION SELECT citing FROM citations WHERE cited = ?",
            [pmid, pmid, pmid],
        )
    elif collection is not None:
        rows = conn.execute(
            "SELECT DISTINCT pmid FROM collections_articles WHERE collection = ?", [collection])
    else:
        rows = conn.execute("SELECT pmid FROM articles")
    return [r[0] for r in rows]


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [name]).fetchone() is not None


def network_data(conn: sqlite3.Connection, pmid: int | None = None, collection: str | None = None,
                 max_nodes: int = MAX_NODES) -> dict:
    """Nodes (with x, y in 0..1, citations, community, year) and links for the page.

    Only stored articles are drawn. When there are more than ``max_nodes``,
    the most cited are kept (and the focus article always).
    """
    members = _members(conn, pmid, collection)
    metrics_join = (
        "LEFT JOIN article_metrics m ON m.pmid = a.pmid" if _has_table(conn, "article_metrics")
        else "LEFT JOIN (SELECT NULL AS pmid, NULL AS citations_received, NULL AS community) m"
        " ON m.pmid = a.pmid"
    )
    nodes: dict[int, dict] = {}
    for start in range(0, len(members), 900):
        batch = members[start : start + 900]
        for row in conn.execute(
            f"SELECT a.pmid, a.title, a.year, a.authors, a.journal_iso,"
            f" m.citations_received, m.community FROM articles a {metrics_join}"
            f" WHERE a.pmid IN ({_placeholders(batch)})",
            batch,
        ):
            first_author = (row[3] or "").split(",")[0]
            nodes[row[0]] = {
                "id": row[0],
                "title": row[1],
                "year": row[2],
                "label": " ".join(p for p in (first_author, str(row[2] or "")) if p) or str(row[0]),
                "journal": row[4],
                "citations": row[5] or 0,
                "community": row[6],
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
    links = []
    ordered = sorted(ids)
    for start in range(0, len(ordered), 900):
        batch = ordered[start : start + 900]
        links += [
            {"source": a, "target": b}
            for a, b in conn.execute(
                f"SELECT DISTINCT citing, cited FROM citations WHERE citing IN ({_placeholders(batch)})"
                " ORDER BY citing, cited",
                batch,
            )
            if b in ids and a != b
        ]
    return links


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
