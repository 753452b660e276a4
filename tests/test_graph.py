"""Graph measures on small graphs worked out by hand, then through the database."""

import networkx as nx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from litbase.graph.metrics import (
    EdgeList,
    PageRankNotConverged,
    citation_metrics,
    cocitation_counts,
    coupling_counts,
    hops_from,
    louvain,
    pagerank,
)
from litbase.graph.tables import load_graph, update_graph
from litbase.store.schema import open_db
from litbase.store.articles import save_articles
from litbase.store.collections import add_to_collection, save_collection

# 1 and 2 both cite 3 and 4; 2 also cites 5; 5 cites 3.
EDGES = [(1, 3), (1, 4), (2, 3), (2, 4), (2, 5), (5, 3)]


class TestCounts:
    def setup_method(self):
        self.G = nx.DiGraph(EDGES)
        self.metrics = citation_metrics(self.G, seeds=[1])

    def test_citations_received_and_made(self):
        received = {p: m["citations_received"] for p, m in self.metrics.items()}
        made = {p: m["citations_made"] for p, m in self.metrics.items()}
        assert received == {1: 0, 2: 0, 3: 3, 4: 2, 5: 1}
        assert made == {1: 2, 2: 3, 3: 0, 4: 0, 5: 1}

    def test_hops_follow_links_both_ways(self):
        hops = {p: m["hops_from_seed"] for p, m in self.metrics.items()}
        # 2 is reached through 3 or 4 (1 -> 3 <- 2), 5 through 3 (1 -> 3 <- 5).
        assert hops == {1: 0, 2: 2, 3: 1, 4: 1, 5: 2}

    def test_unreachable_articles_have_no_hop_count(self):
        metrics = citation_metrics(nx.DiGraph([(1, 2), (3, 4)]), seeds=[1])
        assert [metrics[p]["hops_from_seed"] for p in (1, 2, 3, 4)] == [0, 1, None, None]

    def test_cocitation(self):
        # 1 cites {3, 4}; 2 cites {3, 4, 5}; 5 cites {3}.
        assert cocitation_counts(EdgeList.from_graph(self.G)) == ([(3, 4, 2), (3, 5, 1), (4, 5, 1)], 1)

    def test_coupling(self):
        # 1 and 2 share 3 and 4; 1 and 5 share 3; 2 and 5 share 3.
        assert coupling_counts(EdgeList.from_graph(self.G)) == ([(1, 2, 2), (1, 5, 1), (2, 5, 1)], 1)

    def test_min_count_filters_pairs(self):
        assert cocitation_counts(EdgeList.from_graph(self.G), min_count=2) == ([(3, 4, 2)], 2)

    def test_budget_keeps_the_strongest_pairs(self):
        # Three co-cited pairs; a budget of two cannot keep both count-1 pairs,
        # so the threshold rises to 2 and one pair remains.
        assert cocitation_counts(EdgeList.from_graph(self.G), budget=2) == ([(3, 4, 2)], 2)
        assert cocitation_counts(EdgeList.from_graph(self.G), budget=3) == (
            [(3, 4, 2), (3, 5, 1), (4, 5, 1)], 1)

    def test_budget_below_the_ties_at_the_top_keeps_nothing(self):
        # 1 and 2 both cite 3, 4 and 5: three pairs co-cited twice, none more.
        edges = EdgeList.from_pairs([1, 2, 3, 4, 5], [(a, b) for a in (1, 2) for b in (3, 4, 5)])
        assert cocitation_counts(edges, budget=2) == ([], 3)
        assert cocitation_counts(edges, budget=3) == ([(3, 4, 2), (3, 5, 2), (4, 5, 2)], 1)


class TestPageRank:
    def test_matches_networkx(self):
        G = nx.DiGraph(EDGES + [(4, 1), (6, 2)])
        G.add_node(7)  # isolated: rank comes only from teleporting and dangling nodes
        ours = dict(zip(EdgeList.from_graph(G).pmids.tolist(), pagerank(EdgeList.from_graph(G))))
        theirs = nx.pagerank(G)
        assert ours == pytest.approx(theirs, abs=1e-6)

    def test_most_cited_ranks_first(self):
        metrics = citation_metrics(nx.DiGraph(EDGES))
        order = sorted(metrics, key=lambda p: -metrics[p]["pagerank"])
        # 3 is cited by three, 4 by two, 5 by one; 1 and 2 by none (equal rank).
        assert order[:3] == [3, 4, 5]
        assert metrics[1]["pagerank"] == pytest.approx(metrics[2]["pagerank"])
        assert sum(m["pagerank"] for m in metrics.values()) == pytest.approx(1.0)

    def test_two_node_value_by_hand(self):
        # r1 = 0.15/2 + 0.85 * r2/2 (2 dangles); r2 = 0.15/2 + 0.85 * (r1 + r2/2)
        # solves to r1 = 0.35088, r2 = 0.64912
        assert pagerank(EdgeList.from_pairs([1, 2], [(1, 2)])).tolist() == pytest.approx(
            [0.350877, 0.649123], abs=1e-5)


class TestCommunities:
    def test_two_separate_clusters(self):
        # A 4-clique and a triangle with no link between them.
        G = nx.DiGraph([(1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4), (5, 6), (6, 7), (5, 7)])
        community = louvain(EdgeList.from_graph(G))
        # Numbered by size: the 4-clique is community 0, the triangle 1.
        assert community.tolist() == [0, 0, 0, 0, 1, 1, 1]

    def test_isolated_article_alone(self):
        edges = EdgeList.from_pairs([1, 2, 3], [(1, 2)])
        assert louvain(edges).tolist() == [0, 0, 1]


def test_edge_list_drops_links_leaving_the_collection():
    edges = EdgeList.from_pairs([10, 20, 30], [(10, 20), (10, 99), (20, 20), (30, 10), (30, 10)])
    assert list(zip(edges.citing.tolist(), edges.cited.tolist())) == [(0, 1), (2, 0)]
    assert hops_from(edges, [99]).tolist() == [-1, -1, -1]


def article(pmid, refs):
    return {"pmid": pmid, "title": f"Synthetic graph article {pmid}", "year": 2000 + pmid,
            "journal": {"iso_abbreviation": "J Synth"},
            "references": [{"pmid": r, "citation": f"ref {r}", "source": "reference_list"} for r in refs]}


def test_update_graph_writes_tables(tmp_path):
    db = open_db(tmp_path / "g.db")
    refs = {1: [3, 4], 2: [3, 4, 5], 3: [], 4: [], 5: [3, 99]}  # 99 is not stored
    with db.conn:
        save_articles(db, [article(p, r) for p, r in refs.items()])
        save_collection(db, {"name": "c"})
        add_to_collection(db, "c", [{"pmid": 1, "role": "seed", "depth": 0}])
    summary = update_graph(db)
    assert (summary["articles"], summary["citations"]) == (5, 6)
    rows = {r["pmid"]: (r["citations_received"], r["citations_made"], r["hops_from_seed"])
            for r in db["article_metrics"].rows}
    assert rows == {1: (0, 2, 0), 2: (0, 3, 2), 3: (3, 0, 1), 4: (2, 0, 1), 5: (1, 1, 2)}
    assert list(db.query("select a, b, count from cocitations order by a, b")) == [
        {"a": 3, "b": 4, "count": 2}, {"a": 3, "b": 5, "count": 1}, {"a": 4, "b": 5, "count": 1}]
    assert [tuple(r.values()) for r in db.query("select * from bibliographic_coupling order by a, b")] == [
        (1, 2, 2), (1, 5, 1), (2, 5, 1)]
    # Unchanged inputs: nothing to do. Forced: recomputed, replacing rather than adding.
    assert update_graph(db) == {"skipped": True}
    assert update_graph(db, force=True)["articles"] == 5
    assert db["article_metrics"].count == 5 and db["cocitations"].count == 3
    assert db["graph_runs"].count == 2
    # A new link changes the inputs, so the next run recomputes.
    with db.conn:
        db["citations"].insert({"citing": 4, "cited": 5, "source": "reference_list"})
    assert update_graph(db)["citations"] == 7
    G = load_graph(db)
    assert sorted(G.edges) == sorted(EDGES + [(4, 5)])
    assert G.nodes[3]["title"] == "Synthetic graph article 3"
    assert G.nodes[3]["citations_received"] == 3


# The functions whose docstrings show worked examples; each must run and hold.
@pytest.mark.parametrize("name", ["citation_graph", "pagerank", "citation_metrics",
                                  "cocitation_counts", "coupling_counts"])
def test_docstring_examples(name):
    import doctest

    import litbase.graph.metrics

    function = getattr(litbase.graph.metrics, name)
    (test,) = doctest.DocTestFinder().find(function, name, globs=vars(litbase.graph.metrics).copy())
    runner = doctest.DocTestRunner()
    result = runner.run(test)
    assert test.examples, f"{name} lost its examples"
    assert (result.failed, result.attempted) == (0, len(test.examples))


class TestPageRankConvergence:
    # 1 and 2 cite 3, 3 cites both: with no damping the ranks swing between
    # (1/3, 1/3, 1/3) and (1/6, 1/6, 2/3) for ever, changing by 2/3 each step.
    SWING = EdgeList.from_pairs([1, 2, 3], [(1, 3), (2, 3), (3, 1), (3, 2)])

    def test_no_convergence_raises(self):
        with pytest.raises(PageRankNotConverged) as info:
            pagerank(self.SWING, alpha=1.0)
        assert str(info.value) == ("PageRank did not converge within 100 iterations: the ranks"
                                   " still changed by 0.667 in the last one (tolerance 3e-06)")
        assert (info.value.iterations, info.value.change, info.value.limit) == (
            100, pytest.approx(2 / 3), pytest.approx(3e-6))

    def test_it_is_the_exception_networkx_raises(self):
        with pytest.raises(nx.PowerIterationFailedConvergence):
            nx.pagerank(nx.DiGraph([(1, 3), (2, 3), (3, 1), (3, 2)]), alpha=1.0)
        with pytest.raises(nx.PowerIterationFailedConvergence):
            pagerank(self.SWING, alpha=1.0)

    def test_too_few_iterations_raise(self):
        # The damped two-node graph converges, but not in two steps.
        with pytest.raises(PageRankNotConverged, match="within 2 iterations"):
            pagerank(EdgeList.from_pairs([1, 2], [(1, 2)]), max_iter=2)


# Random graphs: every measure against a brute-force recomputation from the link list.
graphs = st.integers(min_value=1, max_value=12).flatmap(lambda n: st.tuples(
    st.just(list(range(1, n + 1))),
    st.lists(st.tuples(st.integers(1, n + 2), st.integers(1, n + 2)), max_size=40),  # n+1, n+2: outside
    st.lists(st.integers(1, n), max_size=3)))


def links_inside(pmids, pairs):
    return {(a, b) for a, b in pairs if a in pmids and b in pmids and a != b}


def brute_pairs(pmids, groups):
    """(a, b, n) for a < b appearing together in n of the groups."""
    counts = {}
    for group in groups:
        for a in group:
            for b in group:
                if a < b:
                    counts[a, b] = counts.get((a, b), 0) + 1
    return sorted((a, b, n) for (a, b), n in counts.items())


@settings(max_examples=150, deadline=None)
@given(graphs)
def test_measures_match_brute_force_on_random_graphs(graph):
    pmids, pairs, seeds = graph
    links = links_inside(set(pmids), pairs)
    edges = EdgeList.from_pairs(pmids, pairs)
    assert sorted(zip(edges.pmids[edges.citing].tolist(), edges.pmids[edges.cited].tolist())) == sorted(links)
    metrics = citation_metrics(edges, seeds=seeds)
    assert sorted(metrics) == pmids
    for p in pmids:
        assert metrics[p]["citations_received"] == sum(1 for _, b in links if b == p)
        assert metrics[p]["citations_made"] == sum(1 for a, _ in links if a == p)
    # PageRank: a probability over the articles, and networkx's own answer.
    G = nx.DiGraph(list(links))
    G.add_nodes_from(pmids)
    assert sum(m["pagerank"] for m in metrics.values()) == pytest.approx(1.0, abs=1e-12)
    assert all(m["pagerank"] > 0 for m in metrics.values())
    assert {p: m["pagerank"] for p, m in metrics.items()} == pytest.approx(nx.pagerank(G), abs=1e-5)
    # Hops: shortest paths over links taken either way.
    U = G.to_undirected()
    for p in pmids:
        reachable = [nx.shortest_path_length(U, s, p) for s in set(seeds) if nx.has_path(U, s, p)]
        assert metrics[p]["hops_from_seed"] == (min(reachable) if reachable else None)
    # Communities: numbered by size, largest first, and never joining unlinked parts.
    community = {p: m["community"] for p, m in metrics.items()}
    sizes = [list(community.values()).count(c) for c in range(max(community.values()) + 1)]
    assert all(size > 0 for size in sizes) and sizes == sorted(sizes, reverse=True)
    for component in nx.connected_components(U):
        assert not {community[p] for p in component} & {community[p] for p in set(pmids) - component}
    # Co-citation: articles cited together; coupling: articles citing the same one.
    cites = [{b for a, b in links if a == p} for p in pmids]
    cited_by = [{a for a, b in links if b == p} for p in pmids]
    assert cocitation_counts(edges) == (brute_pairs(pmids, cites), 1)
    assert coupling_counts(edges) == (brute_pairs(pmids, cited_by), 1)


@settings(max_examples=150, deadline=None)
@given(graphs, st.integers(min_value=0, max_value=8))
def test_budget_keeps_every_pair_above_the_threshold_and_no_more_than_the_budget(graph, budget):
    pmids, pairs, _ = graph
    links = links_inside(set(pmids), pairs)
    every = brute_pairs(pmids, [{b for a, b in links if a == p} for p in pmids])
    kept, min_count = cocitation_counts(EdgeList.from_pairs(pmids, pairs), budget=budget)
    assert kept == [pair for pair in every if pair[2] >= min_count]
    if len(every) <= budget:
        assert min_count == 1
    else:
        # The lowest threshold that fits: one lower would keep more than the budget.
        assert len(kept) <= budget
        assert len([pair for pair in every if pair[2] >= min_count - 1]) > budget


def test_igraph_louvain_gives_the_same_communities_every_run(monkeypatch):
    """Above NETWORKX_LOUVAIN_MAX_EDGES igraph runs Leiden; seeded, a graph always splits the same way."""
    import random as stdlib_random

    import litbase.graph.metrics as metrics

    monkeypatch.setattr(metrics, "NETWORKX_LOUVAIN_MAX_EDGES", 0)
    # 40 ring-shaped groups of 12 joined by one link each: many equally good
    # orders for Louvain to visit, so an unseeded run splits them differently.
    G = nx.DiGraph()
    for group in range(40):
        ring = [group * 12 + i + 1 for i in range(12)]
        G.add_edges_from(zip(ring, ring[1:] + ring[:1]))
        G.add_edge(ring[0], ((group + 1) % 40) * 12 + 7)
    edges = EdgeList.from_graph(G)
    runs = []
    for state in (1, 2, 3):
        stdlib_random.seed(state)  # whatever the process's generator holds
        runs.append(louvain(edges).tolist())
    assert runs[0] == runs[1] == runs[2]
    assert len(set(runs[0])) > 1
    # After the call igraph draws from Python's own generator again, as it does by default.
    import igraph

    stdlib_random.seed(5)
    drawn = igraph.Graph.Erdos_Renyi(n=30, m=40).get_edgelist()
    stdlib_random.seed(5)
    assert igraph.Graph.Erdos_Renyi(n=30, m=40).get_edgelist() == drawn


RISING = [(1, 4), (1, 5), (1, 6), (1, 7), (1, 8), (2, 4), (2, 5), (3, 4), (3, 5)]


def test_threshold_rising_drops_pairs_kept_before():
    assert cocitation_counts(EdgeList.from_pairs(range(1, 9), RISING), budget=4) == ([(4, 5, 3)], 2)


@settings(max_examples=150, deadline=None)
@given(graphs, st.integers(min_value=0, max_value=8), st.integers(min_value=1, max_value=3))
# Article 1 cites 4-8, 2 and 3 cite 4 and 5: the first row (4) keeps four pairs of count 1 or 3 within
# a budget of four; the second (5) adds three of count 1, the threshold rises to 2 and the kept
# count-1 pairs must go: only (4, 5, 3) is left (test_threshold_rising_drops_pairs_kept_before).
@example(([1, 2, 3, 4, 5, 6, 7, 8], RISING, []), 4, 1)
def test_pairs_counted_block_by_block_are_those_of_one_block(graph, budget, min_count):
    """A block of one row at a time (the threshold rising between blocks, rows shorter than it skipped)
    keeps the same pairs and threshold as the whole product in one block."""
    import litbase.graph.metrics as metrics

    pmids, pairs, _ = graph
    edges = EdgeList.from_pairs(pmids, pairs)
    original = metrics.PAIR_BLOCK_WORK
    try:
        metrics.PAIR_BLOCK_WORK = 10 ** 9
        whole = [count(edges, min_count, budget) for count in (cocitation_counts, coupling_counts)]
        metrics.PAIR_BLOCK_WORK = 1
        assert [count(edges, min_count, budget) for count in (cocitation_counts, coupling_counts)] == whole
    finally:
        metrics.PAIR_BLOCK_WORK = original
