"""The citation graph: build it, and measure each article's place in it.

Two faces of one computation. ``citation_graph(db)`` gives a networkx
``DiGraph`` (articles as nodes with their attributes, an edge from citing to
cited) for exports and for anyone who wants networkx's algorithms.
``citation_metrics(G, seeds)`` reads like networkx, but it runs on a compact
``EdgeList`` of integer indexes, because at 100,000 articles and a million
citations networkx's own PageRank takes 5.8 s and its Louvain more than 30 s,
while scipy's sparse matrices do the same work in a fraction of a second.
"""

from __future__ import annotations

import random

from dataclasses import dataclass

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

# Above this many links communities are found by igraph's C implementation of
# Leiden (Traag et al. 2019: Louvain's moves, plus a refinement that keeps
# every community connected), optimising modularity as Louvain does.
# networkx's Louvain took 33 s for one level on a 1M-link citation graph here;
# igraph's Louvain (community_multilevel) grows faster than the links do
# (1.0 s at 100,000 links, 33 s at 1M, 129 s at the 500,000-article base's
# 4.2M), where Leiden took 5.9 s at 1M and 23 s at 4.2M, with a higher modularity.
NETWORKX_LOUVAIN_MAX_EDGES = 50_000
# ... or above this many articles: networkx's Louvain visits every node, isolated or not, in
# Python (5.1 s for the 50,783 real articles with 793 links between them; igraph 0.4 s).
NETWORKX_LOUVAIN_MAX_NODES = 10_000
LOUVAIN_SEED = 42


@dataclass
class EdgeList:
    """Nodes as an array of PMIDs; edges as index pairs citing -> cited."""

    pmids: np.ndarray  # int64, sorted, one per node
    citing: np.ndarray  # int64 node indexes
    cited: np.ndarray

    @classmethod
    def from_pairs(cls, pmids, pairs) -> "EdgeList":
        """Keep only links whose both ends are nodes; drop self-links and repeats."""
        # list() only what is not an array yet: list() of a 5M x 2 array makes 5M little arrays.
        pmids = _sorted_unique(np.asarray(pmids if isinstance(pmids, np.ndarray) else list(pmids), dtype=np.int64))
        pairs = np.asarray(pairs if isinstance(pairs, np.ndarray) else list(pairs), dtype=np.int64).reshape(-1, 2)
        citing, citing_found = _index_of(pmids, pairs[:, 0])
        cited, cited_found = _index_of(pmids, pairs[:, 1])
        inside = citing_found & cited_found
        citing, cited = citing[inside], cited[inside]
        keep = citing != cited
        # One int64 key per link sorts as (citing, cited) does: far quicker than unique rows (axis=0).
        keys = _sorted_unique(citing[keep] * max(len(pmids), 1) + cited[keep])
        return cls(pmids, keys // max(len(pmids), 1), keys % max(len(pmids), 1))

    @classmethod
    def from_graph(cls, G: nx.DiGraph) -> "EdgeList":
        return cls.from_pairs(G.nodes, G.edges)

    def adjacency(self) -> sp.csr_matrix:
        """A[i, j] = 1 when node i cites node j."""
        n = len(self.pmids)
        data = np.ones(len(self.citing), dtype=np.float64)
        return sp.csr_matrix((data, (self.citing, self.cited)), shape=(n, n))


# Node attributes GraphML and GEXF can carry: no None values, so missing text is "" and a missing year 0.
NODE_TEXT = ("title", "journal", "authors", "doi")
NODE_METRICS = ("citations_received", "pagerank", "community", "hops_from_seed")


def citation_graph(articles, links) -> nx.DiGraph:
    """A DiGraph with articles as nodes and an edge from each citing article to each it cites.

    ``articles`` are dicts with a ``pmid`` and any of title, year, journal,
    authors, doi and the metrics; ``links`` are (citing, cited, source)
    triples. A link leaving the collection or naming its own article is left
    out; the sources that reported a link are joined on the edge.

    >>> G = citation_graph([{"pmid": 1, "title": "A"}, {"pmid": 2}],
    ...                    [(1, 2, "pubmed_refs"), (1, 2, "icite_refs"), (1, 3, "pubmed_refs")])
    >>> list(G.edges(data="sources")), G.nodes[1]["title"], G.nodes[2]["year"]
    ([(1, 2, 'pubmed_refs,icite_refs')], 'A', 0)
    """
    G = nx.DiGraph()
    for article in articles:
        attributes = {key: article.get(key) or "" for key in NODE_TEXT}
        attributes["year"] = article.get("year") or 0
        attributes.update({k: article[k] for k in NODE_METRICS if article.get(k) is not None})
        G.add_node(article["pmid"], **attributes)
    for citing, cited, source in links:
        if citing in G and cited in G and citing != cited:
            if G.has_edge(citing, cited):
                G.edges[citing, cited]["sources"] += "," + source
            else:
                G.add_edge(citing, cited, sources=source)
    return G


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """np.unique by a sort: numpy 2's np.unique hashes first, 7 s for 5M integers here, the sort 0.5 s."""
    values = np.sort(values)
    if len(values) == 0:
        return values
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def _index_of(pmids: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of values in the sorted pmids, and whether each is there at all."""
    if len(pmids) == 0:
        return np.zeros(len(values), dtype=np.int64), np.zeros(len(values), dtype=bool)
    positions = np.minimum(np.searchsorted(pmids, values), len(pmids) - 1)
    return positions, pmids[positions] == values


class PageRankNotConverged(nx.PowerIterationFailedConvergence):
    """Power iteration stopped at ``max_iter`` with the ranks still moving.

    A subclass of networkx's exception, so code written for ``nx.pagerank``
    catches it too; its message says what was reached and what was asked.
    """

    def __init__(self, iterations: int, change: float, limit: float):
        super().__init__(iterations)
        self.iterations, self.change, self.limit = iterations, change, limit

    def __str__(self) -> str:
        return (f"PageRank did not converge within {self.iterations} iterations: the ranks"
                f" still changed by {self.change:.3g} in the last one (tolerance {self.limit:.3g})")


def pagerank(edges: EdgeList, alpha: float = 0.85, tol: float = 1.0e-6, max_iter: int = 100) -> np.ndarray:
    """PageRank by power iteration on a sparse matrix, as networkx defines it.

    Dangling articles (no links out within the collection) spread their rank
    evenly over every article, as in ``networkx.pagerank``. Raises
    ``PageRankNotConverged`` when ``max_iter`` iterations do not bring the
    total change under ``len(pmids) * tol``, as networkx does, rather than
    return ranks that are still moving.

    >>> e = EdgeList.from_pairs([1, 2], [(1, 2)])
    >>> [round(float(x), 3) for x in pagerank(e)]
    [0.351, 0.649]
    """
    n = len(edges.pmids)
    if n == 0:
        return np.zeros(0)
    A = edges.adjacency()
    out_degree = np.asarray(A.sum(axis=1)).ravel()
    inverse = np.divide(1.0, out_degree, out=np.zeros(n), where=out_degree > 0)
    transition = (sp.diags(inverse) @ A).T.tocsr()  # column-stochastic where out_degree > 0
    dangling = out_degree == 0
    rank = np.full(n, 1.0 / n)
    # Each step shrinks the total change by at least alpha (the matrix is stochastic), so
    # with the defaults the change in step 100 is below 2 * 0.85**99 = 2e-7 < n * tol:
    # only a caller's own alpha, tol or max_iter can make this raise.
    change = float("inf")
    for _ in range(max_iter):
        previous = rank
        rank = alpha * (transition @ rank + rank[dangling].sum() / n) + (1 - alpha) / n
        change = float(np.abs(rank - previous).sum())
        if change < n * tol:
            return rank / rank.sum()
    raise PageRankNotConverged(max_iter, change, n * tol)


def louvain(edges: EdgeList, seed: int = LOUVAIN_SEED) -> np.ndarray:
    """A community number per node: Louvain on the undirected citation graph
    (in a large graph, Leiden, its refinement: see NETWORKX_LOUVAIN_MAX_EDGES and _NODES).

    Communities are numbered by size, largest first, so that the numbers are
    stable for the same graph. Isolated articles get a community of their own.
    """
    n = len(edges.pmids)
    if len(edges.citing) <= NETWORKX_LOUVAIN_MAX_EDGES and n <= NETWORKX_LOUVAIN_MAX_NODES:
        U = nx.Graph()
        U.add_nodes_from(range(n))
        U.add_edges_from(zip(edges.citing.tolist(), edges.cited.tolist()))
        found = np.empty(n, dtype=np.int64)
        for number, members in enumerate(nx.community.louvain_communities(U, seed=seed)):
            found[list(members)] = number
    else:
        import igraph

        # Each pair once whichever way it cites (what simplify() does, in a fifth of its time), handed
        # over as tuples: igraph reads a list of tuples twice as fast as a numpy array.
        pairs = _sorted_unique(np.minimum(edges.citing, edges.cited) * n + np.maximum(edges.citing, edges.cited))
        g = igraph.Graph(n=n, edges=list(zip((pairs // n).tolist(), (pairs % n).tolist())), directed=False)
        # igraph visits nodes in a random order drawn from its process-wide
        # generator: seed it for this call, so the same graph always gets the
        # same communities (as networkx's seed= does), then hand it back.
        igraph.set_random_number_generator(random.Random(seed))
        try:
            # Two iterations, igraph's default: iterating until nothing moves took 100 s at 300,000 links.
            found = np.asarray(g.community_leiden(objective_function="modularity", n_iterations=2).membership,
                               dtype=np.int64)
        finally:
            igraph.set_random_number_generator(random)
    return _numbered_by_size(found)


def _numbered_by_size(found: np.ndarray) -> np.ndarray:
    """Renumber communities by size, largest first, ties by their lowest node: in numpy, as
    the 500,000-article base has some 50,000 communities."""
    if len(found) == 0:
        return found
    sizes = np.bincount(found)
    lowest = np.full(len(sizes), len(found))
    np.minimum.at(lowest, found, np.arange(len(found)))
    present = np.flatnonzero(sizes)
    order = present[np.lexsort((lowest[present], -sizes[present]))]
    number = np.empty(len(sizes), dtype=np.int64)
    number[order] = np.arange(len(order))
    return number[found]


def hops_from(edges: EdgeList, seeds) -> np.ndarray:
    """Fewest links (either direction) from any seed; -1 when unreachable."""
    n = len(edges.pmids)
    seed_index, found = _index_of(edges.pmids, np.asarray(sorted(set(seeds)), dtype=np.int64))
    seed_index = seed_index[found]
    if n == 0 or len(seed_index) == 0:
        return np.full(n, -1, dtype=np.int64)
    # One search from an extra node linked to every seed, one hop further than the seeds: a
    # search per seed would hold a row of n distances for each (4 GB for 1,000 seeds at 500,000).
    source = np.full(len(seed_index), n)
    linked = sp.csr_matrix((np.ones(len(edges.citing) + len(seed_index)),
                            (np.concatenate([edges.citing, source]), np.concatenate([edges.cited, seed_index]))),
                           shape=(n + 1, n + 1))
    distances = shortest_path(linked, directed=False, unweighted=True, indices=n)[:n] - 1
    return np.where(np.isinf(distances), -1, distances).astype(np.int64)


def citation_metrics(G_or_edges, seeds=()) -> dict[int, dict]:
    """Per article: citations received and made within the collection,
    PageRank, Louvain community and hops from the seeds.

    >>> G = nx.DiGraph([(1, 2), (3, 2)])
    >>> m = citation_metrics(G, seeds=[1])
    >>> m[2]["citations_received"], m[1]["citations_made"], m[3]["hops_from_seed"]
    (2, 1, 2)
    """
    edges = G_or_edges if isinstance(G_or_edges, EdgeList) else EdgeList.from_graph(G_or_edges)
    n = len(edges.pmids)
    received = np.bincount(edges.cited, minlength=n)
    made = np.bincount(edges.citing, minlength=n)
    rank = pagerank(edges)
    community = louvain(edges)
    hops = hops_from(edges, seeds)
    return {
        int(pmid): {
            "citations_received": int(received[i]),
            "citations_made": int(made[i]),
            "pagerank": float(rank[i]),
            "community": int(community[i]),
            "hops_from_seed": int(hops[i]) if hops[i] >= 0 else None,
        }
        for i, pmid in enumerate(edges.pmids.tolist())
    }


def cocitation_counts(edges: EdgeList, min_count: int = 1, budget: int | None = None):
    """(a, b, n): articles a < b cited together by n articles of the collection.

    With a ``budget``, the weakest pairs are left out (``min_count`` is
    raised) until at most that many remain. Returns the pairs and the
    ``min_count`` used.

    >>> e = EdgeList.from_pairs([1, 2, 3, 4], [(1, 3), (1, 4), (2, 3), (2, 4)])
    >>> cocitation_counts(e)
    ([(3, 4, 2)], 1)
    """
    return _shared_pairs(_counting_adjacency(edges).T.tocsr(), edges.pmids, min_count, budget)


def coupling_counts(edges: EdgeList, min_count: int = 1, budget: int | None = None):
    """(a, b, n): articles a < b that share n references within the collection.

    Same ``budget`` rule and return value as ``cocitation_counts``.

    >>> e = EdgeList.from_pairs([1, 2, 3, 4], [(1, 3), (1, 4), (2, 3), (2, 4)])
    >>> coupling_counts(e)
    ([(1, 2, 2)], 1)
    """
    return _shared_pairs(_counting_adjacency(edges), edges.pmids, min_count, budget)


# Product entries computed at once: the whole product (A.T @ A) of the 500,000-article base
# holds hundreds of millions of entries (several GB), of which the budget keeps 500,000.
PAIR_BLOCK_WORK = 4_000_000


def _counting_adjacency(edges: EdgeList) -> sp.csr_matrix:
    """The adjacency with integer entries, so that products count exactly."""
    n = len(edges.pmids)
    data = np.ones(len(edges.citing), dtype=np.int32)
    return sp.csr_matrix((data, (edges.citing, edges.cited)), shape=(n, n))


def _lowest_fitting(histogram: np.ndarray, budget: int) -> int:
    """The lowest count t such that at most ``budget`` pairs have a count of t or more.

    A ``histogram`` (pairs by count) missing pairs under some threshold F
    gives the same answer whenever the true one is F or more: below F it can
    only fit where F fits too.
    """
    pairs_at_least = np.cumsum(histogram[::-1])[::-1]
    fits = pairs_at_least <= budget
    # When even the strongest count is shared by more pairs than the budget, none fit.
    return int(np.argmax(fits)) if fits.any() else len(pairs_at_least)


def _shared_pairs(M: sp.csr_matrix, pmids: np.ndarray, min_count: int, budget: int | None):
    """Pairs of rows i < j of ``M`` and how many columns they share (the entries of M @ M.T).

    The product is computed a block of rows at a time (each block's rows
    complete) and only pairs that can still be kept are held: a count under
    the threshold the budget already forces, from the pairs counted so far,
    can only be dropped, since more pairs only raise it. Rows with the most
    entries go first, so that the threshold rises early and rows with fewer
    entries than it (which cannot reach it) are skipped.
    """
    MT = M.T.tocsr()
    length = np.diff(M.indptr)
    work = M @ np.diff(MT.indptr).astype(np.int64)  # entries each row's product computes
    order = np.lexsort((np.arange(M.shape[0]), -length))
    histogram = np.zeros(1, dtype=np.int64)
    floor = min_count
    kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    start = 0
    while start < len(order) and length[order[start]] > 0:
        if length[order[start]] < floor:
            break  # every later row is as short or shorter: none of its pairs can be kept
        cumulative = np.cumsum(work[order[start:]])
        stop = start + max(1, int(np.searchsorted(cumulative, PAIR_BLOCK_WORK, side="right")))
        rows_of_block = order[start:stop]
        block = (M[rows_of_block] @ MT).tocoo()
        rows = rows_of_block[block.row]
        upper = rows < block.col
        rows, cols, counts = rows[upper], block.col[upper], block.data[upper].astype(np.int64)
        if budget is not None:
            # Only counts at the floor or above are needed from here on.
            at_floor = counts >= floor
            counted = np.bincount(counts[at_floor], minlength=len(histogram))
            histogram = np.pad(histogram, (0, len(counted) - len(histogram))) + counted
            floor = max(floor, _lowest_fitting(histogram, budget))
        keep = counts >= floor
        kept = [(r[c >= floor], k[c >= floor], c[c >= floor]) for r, k, c in kept]
        kept.append((rows[keep], cols[keep], counts[keep]))
        start = stop
    rows, cols, counts = (np.concatenate([part[i] for part in kept]) if kept else np.zeros(0, dtype=np.int64)
                          for i in range(3))
    order = np.lexsort((cols, rows))
    pairs = list(zip(pmids[rows[order]].tolist(), pmids[cols[order]].tolist(), counts[order].tolist()))
    return pairs, floor
