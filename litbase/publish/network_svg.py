"""The citation network drawn as a static SVG: a deterministic timeline layout.

Each article sits in its publication year's column (citations point back in
time, so the picture reads left to right as the literature builds up); within
a column articles are stacked out from the middle, seeds first, then the
most linked, then by PMID. Same rows in, same picture out, so the drawing can be tested and
diffed. An interactive network page is a separate, later piece; this module
only needs ``nodes`` and ``edges``.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from markupsafe import escape

COLUMN_MIN, COLUMN_MAX = 14, 44  # horizontal distance between consecutive years, px
ROW = 16  # vertical distance between stacked articles, px
MARGIN = 30
UNDATED = "n.d."


def degrees(edges: Iterable[tuple[int, int]]) -> tuple[Counter, Counter]:
    """(times cited, references) per PMID within the edges given."""
    cited, citing = Counter(), Counter()
    for source, target in edges:
        citing[source] += 1
        cited[target] += 1
    return cited, citing


def select_nodes(nodes: list[dict], edges: list[tuple[int, int]], max_nodes: int) -> list[dict]:
    """Seeds first, then the most linked articles, up to ``max_nodes``."""
    if len(nodes) <= max_nodes:
        return nodes
    cited, citing = degrees(edges)
    ranked = sorted(nodes, key=lambda n: (not n.get("is_seed"),
                                          -(cited[n["pmid"]] + citing[n["pmid"]]), n["pmid"]))
    return ranked[:max_nodes]


def _stack_offsets(count: int) -> list[int]:
    # 0, -1, 1, -2, 2, ...: the busiest years grow out from the middle line.
    return [(i + 1) // 2 * (-1 if i % 2 else 1) for i in range(count)]


def timeline_layout(nodes: list[dict], edges: list[tuple[int, int]]) -> tuple[dict, dict]:
    """Positions {pmid: (x, y)} and the picture's size {width, height, columns}."""
    cited, citing = degrees(edges)
    columns = defaultdict(list)
    for node in nodes:
        columns[node.get("year")].append(node)
    years = sorted(y for y in columns if y is not None)
    first, last = (years[0], years[-1]) if years else (0, 0)
    span = last - first + 1
    step = max(COLUMN_MIN, min(COLUMN_MAX, 900 / span))
    tallest = max((len(c) for c in columns.values()), default=1)
    middle = MARGIN + 14 + (tallest // 2) * ROW
    undated_x = MARGIN + span * step + step
    positions, column_x = {}, {}
    for year, members in columns.items():
        x = undated_x if year is None else MARGIN + (year - first) * step
        column_x[UNDATED if year is None else year] = x
        members.sort(key=lambda n: (not n.get("is_seed"), -(cited[n["pmid"]] + citing[n["pmid"]]),
                                    n["pmid"]))
        for node, offset in zip(members, _stack_offsets(len(members))):
            positions[node["pmid"]] = (round(x, 1), middle + offset * ROW)
    width = (undated_x if None in columns else MARGIN + (span - 1) * step) + MARGIN
    height = middle + (tallest // 2 + 1) * ROW + 40
    return positions, {"width": round(width), "height": height, "columns": column_x,
                       "first": first, "last": last, "axis_y": height - 24}


def _radius(links: int) -> float:
    # Area grows with the links an article has here, capped so a seed with a
    # long reference list does not cover its neighbours.
    return round(4 + min(8, 1.2 * math.sqrt(links)), 1)


def network_svg(nodes: list[dict], edges: list[tuple[int, int]],
                link: Callable[[int], str] | None = None, max_nodes: int = 300,
                total: int | None = None) -> str:
    """Draw articles (``pmid``, ``title``, ``year``, ``is_seed``) and citing->cited edges.

    >>> svg = network_svg([{"pmid": 1, "title": "A", "year": 2020, "is_seed": True},
    ...                    {"pmid": 2, "title": None, "year": 2010}], [(1, 2)])
    >>> svg.count("<title>PMID ")
    2
    """
    # ``total``: the articles stored, when ``nodes`` are already the best-ranked few (site_counts).
    total = len(nodes) if total is None else total
    shown = select_nodes(nodes, edges, max_nodes)
    kept = {n["pmid"] for n in shown}
    edges = sorted({(a, b) for a, b in edges if a in kept and b in kept and a != b})
    positions, size = timeline_layout(shown, edges)
    cited, citing = degrees(edges)
    w, h = size["width"], size["height"]
    title = f"Citation network: {len(shown)} articles, {len(edges)} citations"
    if len(shown) < total:
        title += f" (the {len(shown)} most linked of {total} articles)"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="litbase-network" viewBox="0 0 {w} {h}"'
        f' width="{w}" height="{h}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        '<g class="edges" fill="none" stroke="#7a8ca3" stroke-opacity="0.45" stroke-width="1">',
    ]
    for source, target in edges:
        (x1, y1), (x2, y2) = positions[source], positions[target]
        bend = (y1 + y2) / 2 - min(60, abs(x1 - x2) / 4)  # arc upwards so parallel links stay apart
        out.append(f'<path d="M{x1},{y1} Q{(x1 + x2) / 2:.1f},{bend:.1f} {x2},{y2}"/>')
    out.append("</g>")
    axis_y = size["axis_y"]
    out.append('<g class="axis" font-size="10" fill="#444" text-anchor="middle">')
    for year, x in sorted(size["columns"].items(), key=lambda item: item[1]):
        if year == UNDATED or year in (size["first"], size["last"]) or year % 5 == 0:
            out.append(f'<text x="{x}" y="{axis_y}">{year}</text>')
    out.append("</g>")
    out.append('<g class="nodes">')
    for node in sorted(shown, key=lambda n: n["pmid"]):
        x, y = positions[node["pmid"]]
        known = bool(node.get("title"))
        label = node.get("title") or "Title not known"
        tip = f"PMID {node['pmid']} ({node.get('year') or UNDATED}): {label}"
        if cited[node["pmid"]]:
            tip += f"; cited {cited[node['pmid']]} times here"
        fill = "#b03a2e" if node.get("is_seed") else "#3b6ea5" if known else "#ffffff"
        circle = (f'<circle cx="{x}" cy="{y}" r="{_radius(cited[node["pmid"]] + citing[node["pmid"]])}" fill="{fill}"'
                  f' stroke="#1f3b5a" stroke-width="1.2"><title>{escape(tip)}</title></circle>')
        if link:
            circle = f'<a href="{escape(link(node["pmid"]))}">{circle}</a>'
        out.append(circle)
    out.append("</g>")
    out.append(
        f'<g class="legend" font-size="11" fill="#222">'
        f'<circle cx="{MARGIN}" cy="12" r="5" fill="#b03a2e" stroke="#1f3b5a"/>'
        f'<text x="{MARGIN + 9}" y="16">seed</text>'
        f'<circle cx="{MARGIN + 60}" cy="12" r="5" fill="#3b6ea5" stroke="#1f3b5a"/>'
        f'<text x="{MARGIN + 69}" y="16">title known</text>'
        f'<circle cx="{MARGIN + 155}" cy="12" r="5" fill="#ffffff" stroke="#1f3b5a"/>'
        f'<text x="{MARGIN + 164}" y="16">title not known yet</text>'
        f'<text x="{MARGIN + 290}" y="16">arcs: citing → cited; x: year</text></g>'
    )
    out.append("</svg>")
    return "".join(out)
