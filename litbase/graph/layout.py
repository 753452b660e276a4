"""Where each article sits on the network map: placed by ``litbase graph``, refined by the page.

A force layout of a whole base cannot run per page (networkx's spring layout
is quadratic, and the page must answer at 500,000 articles), and a
neighbourhood laid out from nowhere would move every article each time it is
drawn. So ``litbase graph`` places every article once, as VOSviewer draws a
map of clusters:

- the largest communities (Louvain, from ``metrics``) are discs, placed by a
  spring layout of the community graph (links between communities pull them
  together) and then pushed apart until no two discs overlap;
- within a disc the members follow a spring layout of their own links, or,
  in a community too large for that, a sunflower spiral with the most cited
  in the middle;
- smaller communities and isolated articles fill a ring around the map.

The page starts from those positions (``start_positions``: an article
imported after the last ``litbase graph`` starts beside its neighbours) and
the browser relaxes them with a few steps of a force layout of just the
articles drawn, so a neighbourhood taken from a large map still reads well
and the server's work does not grow with the drawing.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from litbase.graph.metrics import EdgeList

LAYOUT_SEED = 7
MAPPED_COMMUNITIES = 120  # communities drawn as discs; the rest go to the outer ring
# A community up to this size gets a spring layout of its own (quadratic: 100 nodes x 30
# steps cost about a tenth of what 150 x 50 do); the browser relaxes what it draws anyway.
SPRING_MAX = 100
SPRING_ITERATIONS = 30
GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))


def spiral(count: int, inner: float = 0.0) -> np.ndarray:
    """``count`` points spread evenly (one unit of area each) from radius ``inner`` outwards.

    Vogel's sunflower: the i-th point at angle i times the golden angle, so
    every ring is filled without a gap or a pile-up.

    >>> spiral(3).shape
    (3, 2)
    """
    i = np.arange(count) + 0.5
    radius = np.sqrt(inner ** 2 + i / math.pi)
    angle = i * GOLDEN_ANGLE
    return np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)


def _disc_radius(size: int) -> float:
    return math.sqrt(size / math.pi) + 0.5


def _centres(edges: EdgeList, community: np.ndarray, mapped: list[int], radii: np.ndarray,
             seed: int) -> np.ndarray:
    """Disc centres: a spring layout of the community graph, then overlaps pushed apart."""
    if len(mapped) == 1:
        return np.zeros((1, 2))
    # Each link between two mapped communities, as the pair of their places in ``mapped`` (lower
    # first), counted with one bincount over all links: no per-link Python, no unique rows.
    place = np.full(int(community.max()) + 1, -1)
    place[mapped] = np.arange(len(mapped))
    a, b = place[community[edges.citing]], place[community[edges.cited]]
    between = (a != b) & (a >= 0) & (b >= 0)
    low, high = np.minimum(a[between], b[between]), np.maximum(a[between], b[between])
    counts = np.bincount(low * len(mapped) + high, minlength=len(mapped) ** 2)
    C = nx.Graph()
    C.add_nodes_from(range(len(mapped)))
    C.add_weighted_edges_from((int(key) // len(mapped), int(key) % len(mapped), int(counts[key]))
                              for key in np.flatnonzero(counts))
    layout = nx.spring_layout(C, seed=seed, weight="weight")
    spread = math.sqrt(float((radii ** 2).sum())) * 1.5
    centres = np.array([layout[i] for i in range(len(mapped))]) * spread
    return _separate(centres, radii)


def _separate(centres: np.ndarray, radii: np.ndarray, gap: float = 1.0, rounds: int = 200) -> np.ndarray:
    """Push overlapping discs apart along the line between their centres until none overlap."""
    need = radii[:, None] + radii[None, :] + gap
    np.fill_diagonal(need, 0.0)
    for _ in range(rounds):
        delta = centres[:, None, :] - centres[None, :, :]
        distance = np.sqrt((delta ** 2).sum(axis=2))
        np.fill_diagonal(distance, np.inf)
        overlap = need - distance
        if (overlap <= 1e-9).all():
            break
        push = np.where(overlap > 0, overlap / 2, 0.0) / np.maximum(distance, 1e-6)
        # Discs at the same spot move apart along a fixed direction, so the result stays deterministic.
        direction = np.where(distance[:, :, None] < 1e-6, np.array([1.0, 0.0]), delta)
        centres = centres + (push[:, :, None] * direction).sum(axis=1)
    return centres


def _members_layout(inside: np.ndarray, members: np.ndarray, received: np.ndarray, seed: int) -> np.ndarray:
    """Positions of one community's members inside a disc of radius 1, in the order of ``members``.

    ``inside`` holds the community's own links as (citing, cited) rows.
    """
    if len(members) == 1:
        return np.zeros((1, 2))
    if len(members) <= SPRING_MAX:
        H = nx.Graph()
        H.add_nodes_from(members.tolist())
        H.add_edges_from(inside.tolist())
        layout = nx.spring_layout(H, seed=seed, iterations=SPRING_ITERATIONS)
        points = np.array([layout[m] for m in members.tolist()])
        return points / max(float(np.abs(points).max()), 1e-9)
    order = np.lexsort((members, -received[members]))  # most cited first, in the middle
    points = np.empty((len(members), 2))
    points[order] = spiral(len(members))
    return points / max(float(np.abs(points).max()), 1e-9)


def map_layout(edges: EdgeList, community: np.ndarray, received: np.ndarray,
               seed: int = LAYOUT_SEED) -> np.ndarray:
    """An (x, y) in 0..1 for every node of ``edges``, in the order of ``edges.pmids``.

    ``community`` numbers communities largest first (as ``metrics.louvain``
    does); ``received`` is each node's citations within the base.

    >>> e = EdgeList.from_pairs([1, 2, 3], [(1, 2)])
    >>> p = map_layout(e, np.array([0, 0, 1]), np.array([0, 1, 0]))
    >>> p.shape, bool(((p >= 0) & (p <= 1)).all())
    ((3, 2), True)
    """
    n = len(edges.pmids)
    if n == 0:
        return np.zeros((0, 2))
    sizes = np.bincount(community)
    mapped = [c for c in range(len(sizes)) if sizes[c] >= 2][:MAPPED_COMMUNITIES] or [int(community[0])]
    radii = np.array([_disc_radius(int(sizes[c])) for c in mapped])
    centres = _centres(edges, community, mapped, radii, seed)
    positions = np.zeros((n, 2))
    by_community = np.argsort(community, kind="stable")
    starts = np.searchsorted(community[by_community], np.arange(len(sizes) + 1))
    # The links inside each community, grouped by community once (in link order within each):
    # one test of every link per community took seconds at millions of links.
    own = community[edges.citing] == community[edges.cited]
    inside = np.stack([edges.citing[own], edges.cited[own]], axis=1)
    inside_community = community[inside[:, 0]]
    inside = inside[np.argsort(inside_community, kind="stable")]
    inside_starts = np.searchsorted(np.sort(inside_community), np.arange(len(sizes) + 1))
    for i, c in enumerate(mapped):
        members = by_community[starts[c]:starts[c + 1]]
        links = inside[inside_starts[c]:inside_starts[c + 1]]
        positions[members] = centres[i] + radii[i] * _members_layout(links, members, received, seed)
    rest = ~np.isin(community, mapped)
    if rest.any():
        outer = float(np.sqrt((centres ** 2).sum(axis=1)).max() + radii.max()) + 1.0
        ring = np.flatnonzero(rest)
        ring = ring[np.lexsort((ring, -received[ring], community[ring]))]
        positions[ring] = spiral(len(ring), inner=outer)
    return _unit_square(positions)


def _unit_square(points: np.ndarray) -> np.ndarray:
    """Scale into 0..1, the same factor on both axes (a circle stays round)."""
    low = points.min(axis=0)
    span = float((points.max(axis=0) - low).max()) or 1.0
    return np.round((points - low) / span, 5)


def start_positions(nodes: list[int], stored: dict[int, tuple[float, float] | None],
                    links: list[tuple[int, int]]) -> tuple[dict[int, tuple[float, float]], str]:
    """Positions in 0..1 for the drawn ``nodes`` to start from, and how many were stored.

    The stored map positions of the drawn articles, stretched to fill the
    square; an article stored after the last ``litbase graph`` starts at the
    middle of its placed neighbours, or, with none, on a spiral around the
    middle. The second value is ``"stored"`` (all were), ``"partial"`` or
    ``"fresh"`` (none were: a base never graphed): the page relaxes the
    drawing (a few steps of a force layout) more the less was stored.

    >>> start_positions([1, 2], {1: (0.2, 0.2), 2: None}, [(2, 1)])
    ({1: (0.5, 0.5), 2: (0.5, 0.5)}, 'partial')
    """
    placed = {n: stored[n] for n in nodes if stored.get(n) is not None}
    kind = "stored" if len(placed) == len(nodes) else "partial" if placed else "fresh"
    if placed:
        points = _unit_square(np.array([placed[n] for n in sorted(placed)], dtype=float))
        # Centre the stretched square's shorter side.
        points += (1 - points.max(axis=0)) / 2
        start = {n: tuple(p) for n, p in zip(sorted(placed), points.tolist())}
    else:
        start = {}
    neighbours: dict[int, list[int]] = {}
    for a, b in links:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    # Twice: an article linked only to another newcomer follows it.
    for _ in range(2):
        for n in sorted(set(nodes) - set(start)):
            near = [start[m] for m in neighbours.get(n, []) if m in start]
            if near:
                start[n] = tuple(np.mean(near, axis=0).tolist())
    rest = sorted(set(nodes) - set(start))
    if rest:
        ring = spiral(len(rest))
        ring = 0.5 + ring / (2 * max(float(np.abs(ring).max()), 1e-9))
        start.update({n: tuple(p) for n, p in zip(rest, ring.tolist())})
    return {n: (round(float(start[n][0]), 4), round(float(start[n][1]), 4)) for n in nodes}, kind


def layout_rows(edges: EdgeList, metrics: dict[int, dict], seed: int = LAYOUT_SEED):
    """(pmid, x, y, rank) for every node, from the metrics ``citation_metrics`` computed.

    ``rank`` orders the nodes most cited first, then by PMID (0 is the most cited).
    """
    community = np.array([metrics[p]["community"] for p in edges.pmids.tolist()], dtype=np.int64)
    received = np.array([metrics[p]["citations_received"] for p in edges.pmids.tolist()], dtype=np.int64)
    positions = map_layout(edges, community, received, seed)
    rank = np.empty(len(received), dtype=np.int64)
    rank[np.lexsort((edges.pmids, -received))] = np.arange(len(received))
    return [(pmid, float(x), float(y), int(r))
            for pmid, (x, y), r in zip(edges.pmids.tolist(), positions, rank.tolist())]
