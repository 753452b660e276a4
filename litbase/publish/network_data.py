"""Data for the interactive citation-network page: the articles drawn, placed, labelled and grouped.

Functions over a sqlite3 connection (Datasette hands one to ``execute_fn``);
the rows come from ``litbase.store.network``. The page draws one article's
neighbourhood, a collection, or a base, capped at ``max_nodes`` (the focus
and the seeds first, then the most cited), and says how many were left out.
Positions are the map ``litbase graph`` stored (``litbase.graph.layout``),
stretched over the drawn articles; the browser relaxes them with a few
steps of a force layout, then draws, labels, filters and follows clicks.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter

from litbase.graph.layout import start_positions
from litbase.store import network

MAX_NODES = 300

# MeSH check tags say who was studied, not what about: no use as a cluster's name.
CHECK_TAGS = frozenset({
    "Humans", "Animals", "Male", "Female", "Adult", "Young Adult", "Middle Aged", "Aged",
    "Aged, 80 and over", "Adolescent", "Child", "Child, Preschool", "Infant", "Infant, Newborn",
    "Pregnancy", "Mice", "Rats", "United States", "Surveys and Questionnaires", "Cross-Sectional Studies",
    "Retrospective Studies", "Prospective Studies",
})


def first_author_surname(authors: str | None) -> str | None:
    """'Jain A, Tabatabai R' -> 'Jain'; a collective name stays whole.

    >>> first_author_surname("van der Berg JM, Smith A"), first_author_surname("COVID Study Group")
    ('van der Berg', 'COVID Study Group')
    """
    first = (authors or "").split(",")[0].strip()
    if not first:
        return None
    parts = first.split()
    if len(parts) > 1 and parts[-1].isalpha() and parts[-1].isupper() and len(parts[-1]) <= 3:
        return " ".join(parts[:-1])
    return first


def node_label(pmid: int, authors: str | None, year: int | None) -> str:
    """'Jain, 2022', as Connected Papers labels a paper; the PMID when no author is known."""
    surname = first_author_surname(authors)
    if surname is None:
        return f"PMID {pmid}" if year is None else f"PMID {pmid}, {year}"
    return surname if year is None else f"{surname}, {year}"


def _mesh(value: str | None) -> list[str]:
    try:
        terms = json.loads(value) if value else []
    except ValueError:
        return []
    return [t for t in terms if isinstance(t, str) and t not in CHECK_TAGS]


def network_data(conn: sqlite3.Connection, pmid: int | None = None, collection: str | None = None,
                 max_nodes: int = MAX_NODES) -> dict:
    """Nodes (x, y in 0..1, citations, degree, community, seed), links, communities and what was left out."""
    chosen = network.network_selection(conn, pmid, collection, max_nodes)
    seeds = set(chosen["seeds"])
    rows = network.network_node_rows(conn, chosen["pmids"])
    links = network.links_among(conn, [r["pmid"] for r in rows])
    degree = Counter(end for link in links for end in link)
    nodes = {}
    for row in rows:
        nodes[row["pmid"]] = {
            "id": row["pmid"],
            "title": row["title"],
            "year": row["year"],
            "label": node_label(row["pmid"], row["authors"], row["year"]),
            "journal": row["journal_iso"],
            "citations": row["citations_received"] or 0,
            "degree": degree[row["pmid"]],
            "community": row["community"],
            "seed": row["pmid"] in seeds,
        }
    stored = {r["pmid"]: (r["x"], r["y"]) if r["x"] is not None else None for r in rows}
    positions, layout = start_positions(sorted(nodes), stored, links)
    for node_id, (x, y) in positions.items():
        nodes[node_id]["x"], nodes[node_id]["y"] = x, y
    years = [n["year"] for n in nodes.values() if n["year"]]
    return {
        "focus": pmid,
        "collection": collection,
        "nodes": sorted(nodes.values(), key=lambda n: n["id"]),
        "links": [{"source": a, "target": b} for a, b in links],
        "years": [min(years), max(years)] if years else None,
        "layout": layout,
        "communities": communities(nodes, {r["pmid"]: _mesh(r["mesh_terms"]) for r in rows}),
        "members": chosen["members"],
        "left_out": chosen["members"] - len(nodes),
        "truncated": chosen["members"] > len(nodes),
        "max_nodes": max_nodes,
    }


def communities(nodes: dict[int, dict], mesh: dict[int, list[str]]) -> list[dict]:
    """The communities drawn, largest first: how many members, the most cited one, and a name.

    The name is the MeSH term most members share (at least two, check tags
    left out), as VOSviewer names a cluster by its terms; failing that, the
    label of its most cited member.
    """
    groups: dict[int, list[dict]] = {}
    for node in nodes.values():
        if node["community"] is not None:
            groups.setdefault(node["community"], []).append(node)
    out = []
    for number, members in groups.items():
        # Most cited; among equals a seed, then one whose author is known, then the best linked.
        top = min(members, key=lambda n: (-n["citations"], not n["seed"], n["label"].startswith("PMID "),
                                          -n["degree"], n["id"]))
        terms = Counter(t for n in members for t in set(mesh.get(n["id"], [])))
        term, shared = min(terms.items(), key=lambda item: (-item[1], item[0])) if terms else (None, 0)
        out.append({
            "id": number,
            "size": len(members),
            "top": top["id"],
            "mesh": term if shared >= 2 else None,
            "name": term if shared >= 2 else top["label"],
        })
    return sorted(out, key=lambda c: (-c["size"], c["id"]))
