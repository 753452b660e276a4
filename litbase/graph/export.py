"""The citation graph in the formats other tools open.

GraphML and GEXF for Gephi, Cytoscape and yEd (written by networkx); a
VOSviewer map and network file pair; a CSV edge list; and node-link JSON for
the browser view.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a graph is written: commands start faster without it
    import networkx as nx

FORMATS = ("graphml", "gexf", "vosviewer", "csv", "json")


def node_link(G: nx.DiGraph) -> dict:
    """Nodes with their attributes and links citing -> cited, as plain JSON."""
    return {
        "nodes": [{"id": pmid, **attributes} for pmid, attributes in G.nodes(data=True)],
        "links": [{"source": a, "target": b, **attributes} for a, b, attributes in G.edges(data=True)],
    }


def write_vosviewer(G: nx.DiGraph, prefix: Path) -> list[Path]:
    """VOSviewer's map file (items, tab-separated, with a header) and network file (links)."""
    map_path = prefix.with_name(prefix.name + "_map.txt")
    network_path = prefix.with_name(prefix.name + "_network.txt")
    with map_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["id", "label", "description", "url", "cluster",
                         "weight<Citations>", "score<Year>"])
        for pmid, a in G.nodes(data=True):
            label = a.get("authors", "").split(",")[0] or str(pmid)
            if a.get("year"):
                label += f" ({a['year']})"
            writer.writerow([
                pmid, label, a.get("title", "").replace("\t", " "),
                f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/",
                a.get("community", 0) + 1,  # VOSviewer clusters start at 1
                G.in_degree(pmid), a.get("year") or "",
            ])
    with network_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerows((a, b, 1) for a, b in G.edges)
    return [map_path, network_path]


def write_graph(G: nx.DiGraph, path: Path, format: str) -> list[Path]:
    """Write G as FORMAT to PATH (a prefix for VOSviewer's two files); returns the files written."""
    import networkx as nx

    path = Path(path)
    if format == "graphml":
        nx.write_graphml(G, path)
    elif format == "gexf":
        nx.write_gexf(G, path)
    elif format == "vosviewer":
        return write_vosviewer(G, path)
    elif format == "csv":
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["citing", "cited", "sources"])
            writer.writerows((a, b, s.get("sources", "")) for a, b, s in G.edges(data=True))
    elif format == "json":
        path.write_text(json.dumps(node_link(G), ensure_ascii=False), encoding="utf-8")
    else:
        raise ValueError(f"unknown graph format {format!r}; choose one of {', '.join(FORMATS)}")
    return [path]
