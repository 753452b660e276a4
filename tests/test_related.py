"""related: ranking worked out by hand; graph exports read back by their readers."""

import csv
import json

import networkx as nx
import pytest
from click.testing import CliRunner

from litbase.cli import cli
from litbase.graph.tables import update_graph
from litbase.graph.related import related, text_query
from litbase.store.schema import open_db
from litbase.store.articles import save_articles, save_links


def article(pmid, refs, title, mesh=()):
    return {"pmid": pmid, "title": title, "year": 2010 + pmid % 10,
            "mesh_headings": [{"descriptor": m} for m in mesh],
            "references": [{"pmid": r, "source": "reference_list"} for r in refs]}


@pytest.fixture
def db(tmp_path):
    """1 is the article of interest.

    10 and 11 each cite 1 and 2; 12 cites 1 and 3      -> co-citation: 2 twice, 3 once
    1 cites 20 and 21; 4 cites 20 and 21; 5 cites 20   -> coupling: 4 twice, 5 once
    PubMed calls 6 similar to 1 (score 100) and 3 (50)
    1, 7 and 3 share the words "resident peer support" -> text
    """
    db = open_db(tmp_path / "r.db")
    rows = [
        article(1, [20, 21], "Resident peer support groups", ["Peer Group"]),
        article(2, [], "Unrelated chemistry"),
        article(3, [], "Peer support for residents", ["Peer Group"]),
        article(4, [20, 21], "Cardiology outcomes"),
        article(5, [20], "Orthopaedic outcomes"),
        article(6, [], "Enzyme kinetics"),
        article(7, [], "Resident peer support in surgery"),
        article(10, [1, 2], "Citing paper A"), article(11, [1, 2], "Citing paper B"),
        article(12, [1, 3], "Citing paper C"),
        article(20, [], "Shared reference X"), article(21, [], "Shared reference Y"),
    ]
    with db.conn:
        save_articles(db, rows)
        save_links(db, [{"pmid": 1, "refs": [], "cited_by": [], "similar": [(6, 100), (3, 50)]}])
    update_graph(db)
    return db


def by_pmid(rows):
    return {r["pmid"]: r for r in rows}


def test_components_are_counted(db):
    rows = by_pmid(related(db, 1, limit=50))
    assert (rows[2]["cocitation"], rows[3]["cocitation"]) == (2, 1)
    assert (rows[4]["coupling"], rows[5]["coupling"]) == (2, 1)
    assert (rows[6]["pubmed_similarity"], rows[3]["pubmed_similarity"]) == (100, 50)
    assert rows[2]["text"] == 0 and rows[7]["text"] > 0 and rows[3]["text"] > 0
    # Each share is the value over the strongest candidate's.
    assert (rows[3]["cocitation_share"], rows[5]["coupling_share"], rows[3]["pubmed_similarity_share"]) == (
        0.5, 0.5, 0.5)
    assert 1 not in rows


def test_article_with_three_signals_ranks_first(db):
    rows = related(db, 1, limit=3)
    # 3 is co-cited once (0.5), PubMed-similar (0.5) and shares the most words:
    # no other candidate has more than one signal at full strength.
    assert rows[0]["pmid"] == 3
    assert rows[0]["rank"] == 1
    assert rows[0]["score"] == pytest.approx(
        rows[0]["cocitation_share"] + rows[0]["pubmed_similarity_share"] + rows[0]["text_share"])
    assert [r["rank"] for r in rows] == [1, 2, 3]


def test_text_query_quotes_words_and_drops_stopwords():
    assert text_query('The "AND" of peer support', ["NEAR"], ["Peer Group"]) == (
        '"peer" OR "support" OR "near" OR "group"')


def test_related_command_json_and_table(db, tmp_path):
    result = CliRunner().invoke(cli, ["related", str(tmp_path / "r.db"), "1", "--json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["pmid"] for r in rows] == [3, related(db, 1, limit=2)[1]["pmid"]]
    table = CliRunner().invoke(cli, ["related", str(tmp_path / "r.db"), "1", "--limit", "1"])
    assert table.output.splitlines()[0] == (
        "rank\tpmid\tscore\tcocitation\tcoupling\tpubmed_similarity\ttext\tyear\ttitle")
    assert table.output.splitlines()[1].startswith("1\t3\t")
    missing = CliRunner().invoke(cli, ["related", str(tmp_path / "r.db"), "999"])
    assert missing.exit_code == 1 and "PMID 999 is not in" in missing.output


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_gephi_formats_read_back(db, tmp_path, fmt):
    path = tmp_path / f"g.{fmt}"
    result = CliRunner().invoke(cli, ["graph-export", str(tmp_path / "r.db"), str(path), "--format", fmt])
    assert result.exit_code == 0, result.output
    G = (nx.read_graphml if fmt == "graphml" else nx.read_gexf)(path)
    assert G.number_of_nodes() == 12
    assert G.number_of_edges() == 11
    assert G.has_edge("10", "1")
    assert G.nodes["1"]["title"] == "Resident peer support groups"


def test_vosviewer_csv_and_json(db, tmp_path):
    runner = CliRunner()
    base = str(tmp_path / "r.db")
    assert runner.invoke(cli, ["graph-export", base, str(tmp_path / "net"), "--format", "vosviewer"]).exit_code == 0
    map_rows = list(csv.DictReader((tmp_path / "net_map.txt").open(), delimiter="\t"))
    assert map_rows[0].keys() == {"id", "label", "description", "url", "cluster",
                                  "weight<Citations>", "score<Year>"}
    item = next(r for r in map_rows if r["id"] == "1")
    assert (item["weight<Citations>"], item["url"], item["score<Year>"]) == (
        "3", "https://pubmed.ncbi.nlm.nih.gov/1/", "2011")
    links = (tmp_path / "net_network.txt").read_text().splitlines()
    assert len(links) == 11 and "10\t1\t1" in links
    assert runner.invoke(cli, ["graph-export", base, str(tmp_path / "e.csv"), "--format", "csv"]).exit_code == 0
    edges = list(csv.DictReader((tmp_path / "e.csv").open()))
    assert {"citing": "10", "cited": "1", "sources": "reference_list"} in edges
    assert runner.invoke(cli, ["graph-export", base, str(tmp_path / "g.json"), "--format", "json"]).exit_code == 0
    data = json.loads((tmp_path / "g.json").read_text())
    assert len(data["nodes"]) == 12 and {"source": 10, "target": 1, "sources": "reference_list"} in data["links"]
