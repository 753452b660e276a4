"""Graph measures on small graphs worked out by hand, then through the database."""

import networkx as nx
import pytest

from litbase.graph.metrics import (
    EdgeList,
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


def test_docstring_examples():
    import doctest

    import litbase.graph.metrics

    result = doctest.testmod(litbase.graph.metrics)
    assert (result.failed, result.attempted) == (0, 11)
