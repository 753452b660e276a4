"""The interactive network's data and page, in process; the stored map layout.

``synthetic_base`` writes a made-up base shaped like a grown collection
(synthetic, said so: surnames from a short list, topics as MeSH terms, each
article citing earlier ones mostly of its own topic, one seed citing across
topics); the browser tests draw it too.
"""

import json
import random
import sqlite3
from pathlib import Path

from test_datasette import SEED, db_path, fetch  # noqa: F401  (db_path is a fixture)

from litbase.graph.layout import map_layout, spiral, start_positions
from litbase.graph.metrics import EdgeList
from litbase.graph.tables import update_graph
from litbase.publish.network_data import first_author_surname, network_data, node_label
from litbase.store.articles import save_articles
from litbase.store.collections import add_to_collection, save_collection
from litbase.store.schema import open_db

STATIC = Path(__file__).resolve().parents[1] / "litbase" / "publish" / "static"
SURNAMES = ["Smith", "Garcia", "Nguyen", "Okafor", "Kowalski", "Tanaka", "Rossi", "Müller", "Haddad",
            "Johansson", "Patel", "O'Brien", "Silva", "Cohen", "Novak", "Kim", "Dubois", "Ivanova",
            "Mensah", "Larsen", "Fischer", "Moreau", "Costa", "Yilmaz", "Walsh", "Bauer", "Sato"]
TOPICS = ["Burnout, Professional", "Peer Group", "Mentors", "Mindfulness", "Internship and Residency"]
SYNTHETIC_SEED = 90_000_000


def synthetic_articles(count: int, topics: int = 4, seed: int = 3) -> list[dict]:
    """``count`` synthetic articles (PMIDs 90,000,001 on) plus a seed citing fifteen of them."""
    rng = random.Random(seed)
    articles = []
    for i in range(1, count + 1):
        topic = i % topics
        year = 1990 + (i * 31 // count) + rng.randint(0, 2)
        earlier = [a for a in articles if a["year"] < year]
        same = [a["pmid"] for a in earlier if a["topic"] == topic]
        other = [a["pmid"] for a in earlier if a["topic"] != topic]
        cites = rng.sample(same, min(len(same), rng.randint(1, 4)))
        if other and rng.random() < 0.15:
            cites.append(rng.choice(other))
        surname = SURNAMES[(i * 7 + topic) % len(SURNAMES)]
        articles.append({
            "pmid": SYNTHETIC_SEED + i, "topic": topic, "year": year,
            "title": f"Synthetic article {i} on {TOPICS[topic].lower()}",
            "authors": [{"last_name": surname, "initials": "AB"}, {"last_name": "Other", "initials": "C"}],
            "mesh_headings": [{"descriptor": "Humans"}, {"descriptor": TOPICS[topic]}],
            "references": [{"pmid": p, "source": "reference_list"} for p in sorted(cites)],
        })
    cited_by_seed = rng.sample([a["pmid"] for a in articles], min(15, len(articles)))
    articles.append({
        "pmid": SYNTHETIC_SEED, "topic": None, "year": 2023, "title": "Synthetic seed article",
        "authors": [{"last_name": "Seedling", "initials": "S"}], "mesh_headings": [],
        "references": [{"pmid": p, "source": "reference_list"} for p in sorted(cited_by_seed)]})
    for article in articles:
        del article["topic"]
    return articles


def synthetic_base(path, count: int, topics: int = 4) -> Path:
    """A database of ``count`` synthetic articles and their seed, in the collection 'synthetic', graphed."""
    db = open_db(path)
    articles = synthetic_articles(count, topics)
    with db.conn:
        save_articles(db, articles)
        save_collection(db, {"name": "synthetic"})
        add_to_collection(db, "synthetic", [
            {"pmid": a["pmid"], "role": "seed" if a["pmid"] == SYNTHETIC_SEED else "import"} for a in articles])
    update_graph(db)
    return Path(path)


def test_article_network_json(db_path):  # noqa: F811
    response = fetch(db_path, f"/-/litbase/litbase/network.json?pmid={SEED}")
    assert response.status_code == 200
    data = response.json()
    assert data["focus"] == SEED
    assert len(data["nodes"]) == 51 and len(data["links"]) == 50
    assert (data["members"], data["left_out"], data["truncated"]) == (51, 0, False)
    assert {link["source"] for link in data["links"]} == {SEED}
    seed = next(n for n in data["nodes"] if n["id"] == SEED)
    assert (seed["label"], seed["year"], seed["citations"], seed["degree"], seed["seed"], seed["url"]) == (
        "Jain, 2022", 2022, 0, 50, True, f"/litbase/articles/{SEED}")
    first = next(n for n in data["nodes"] if n["id"] == 27092397)
    assert (first["label"], first["citations"], first["seed"]) == ("Moir, 2016", 1, False)
    assert [n["id"] for n in data["nodes"] if n["seed"]] == [SEED]
    assert all(0 <= n["x"] <= 1 and 0 <= n["y"] <= 1 for n in data["nodes"])
    assert (data["years"], data["layout"]) == ([1985, 2022], "stored")
    # One community (a star around the seed): named after its best-linked article with a known author.
    assert [(c["size"], c["mesh"]) for c in data["communities"]] == [(51, None)]
    assert fetch(db_path, "/-/litbase/litbase/network.json?pmid=1").status_code == 404


def test_network_page_embeds_data_controls_and_script(db_path):  # noqa: F811
    response = fetch(db_path, "/-/litbase/litbase/network?collection=peer-support")
    assert response.status_code == 200
    html = response.text
    assert "<h1>Citation network of the collection peer-support</h1>" in html
    assert '<script src="/-/litbase/static/network.js"></script>' in html
    assert '<link rel="stylesheet" href="/-/litbase/static/network.css">' in html
    for control in ("litbase-layout", "litbase-colour", "litbase-year-from", "litbase-year-to",
                    "litbase-community", "litbase-min-degree", "litbase-legend"):
        assert f'id="{control}"' in html
    assert 'id="litbase-year-from" min="1985" max="2022" value="1985"' in html
    assert "left out</strong>" not in html
    data = json.loads(html.split('id="litbase-network-data">')[1].split("</script>")[0])
    assert len(data["nodes"]) == 51
    assert fetch(db_path, "/-/litbase/litbase/network?pmid=abc").status_code == 400
    for name in ("network.js", "network.css"):
        static = fetch(db_path, f"/-/litbase/static/{name}")
        assert (static.status_code, static.text) == (200, (STATIC / name).read_text())


def test_capped_network_says_what_was_left_out(tmp_path):
    path = synthetic_base(tmp_path / "s.db", 120)
    conn = sqlite3.connect(path)
    data = network_data(conn, collection="synthetic", max_nodes=50)
    assert (data["members"], len(data["nodes"]), data["left_out"], data["truncated"]) == (121, 50, 71, True)
    # The seed is drawn although nothing cites it; the rest are the 49 most cited.
    cited = dict(conn.execute("SELECT pmid, citations_received FROM article_metrics"))
    ranked = sorted((p for p in cited if p != SYNTHETIC_SEED), key=lambda p: (-cited[p], p))[:49]
    assert sorted(n["id"] for n in data["nodes"]) == sorted([SYNTHETIC_SEED, *ranked])
    assert [n["id"] for n in data["nodes"] if n["seed"]] == [SYNTHETIC_SEED]
    # Links only between drawn articles; degree counts them.
    ids = {n["id"] for n in data["nodes"]}
    assert all(link["source"] in ids and link["target"] in ids for link in data["links"])
    degree = {n["id"]: n["degree"] for n in data["nodes"]}
    for pmid in ids:
        assert degree[pmid] == sum(pmid in (link["source"], link["target"]) for link in data["links"])


def test_clusters_are_named_by_their_shared_mesh_term(tmp_path):
    path = synthetic_base(tmp_path / "s.db", 100)
    data = network_data(sqlite3.connect(path), collection="synthetic")
    named = {c["mesh"] for c in data["communities"] if c["size"] >= 5}
    assert named and named <= set(TOPICS[:4])  # never the check tag "Humans"
    for community in data["communities"]:
        members = [n for n in data["nodes"] if n["community"] == community["id"]]
        assert community["size"] == len(members)
        top = max(n["citations"] for n in members)
        assert next(n for n in members if n["id"] == community["top"])["citations"] == top
    sizes = [c["size"] for c in data["communities"]]
    assert sizes == sorted(sizes, reverse=True)


def test_layout_is_stored_by_graph_and_deterministic(tmp_path):
    path = synthetic_base(tmp_path / "s.db", 60)
    conn = sqlite3.connect(path)
    stored = dict((p, (x, y)) for p, x, y in conn.execute("SELECT pmid, x, y FROM article_layout"))
    assert len(stored) == 61
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in stored.values())
    assert network_data(conn) == network_data(conn)
    # A rerun of `litbase graph` stores the same map.
    update_graph(open_db(path), force=True)
    again = dict((p, (x, y)) for p, x, y in conn.execute("SELECT pmid, x, y FROM article_layout"))
    assert again == stored


def test_an_article_imported_after_graph_is_drawn_beside_its_neighbours(tmp_path):
    path = synthetic_base(tmp_path / "s.db", 60)
    db = open_db(path)
    newcomer = 91_000_000
    with db.conn:
        save_articles(db, [{"pmid": newcomer, "title": "Imported later", "year": 2024,
                            "authors": [{"last_name": "Late", "initials": "L"}],
                            "references": [{"pmid": SYNTHETIC_SEED + 1, "source": "reference_list"}]}])
        add_to_collection(db, "synthetic", [{"pmid": newcomer, "role": "import"}])
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM article_layout WHERE pmid = ?", [newcomer]).fetchone() == (0,)
    data = network_data(conn, collection="synthetic")
    node = next(n for n in data["nodes"] if n["id"] == newcomer)
    assert (node["label"], node["community"], node["degree"]) == ("Late, 2024", None, 1)
    assert data["layout"] == "partial"
    # It starts where the article it cites is.
    cited = next(n for n in data["nodes"] if n["id"] == SYNTHETIC_SEED + 1)
    assert (node["x"], node["y"]) == (cited["x"], cited["y"])
    assert 0 <= node["x"] <= 1 and 0 <= node["y"] <= 1
    assert {"source": newcomer, "target": SYNTHETIC_SEED + 1} in data["links"]


# One PubMed record, written for this test (made up): an article citing the first synthetic one.
NEWCOMER = 91_000_001
NEWCOMER_XML = f"""<?xml version="1.0" encoding="utf-8"?>
<PubmedArticleSet><PubmedArticle>
<MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{NEWCOMER}</PMID>
<Article><Journal><JournalIssue><PubDate><Year>2024</Year></PubDate></JournalIssue>
<Title>Journal of synthetic test records</Title><ISOAbbreviation>J Synth Test Rec</ISOAbbreviation></Journal>
<ArticleTitle>Synthetic article imported after the graph</ArticleTitle>
<AuthorList><Author><LastName>Late</LastName><Initials>L</Initials></Author></AuthorList></Article>
</MedlineCitation>
<PubmedData><ArticleIdList><ArticleId IdType="pubmed">{NEWCOMER}</ArticleId></ArticleIdList>
<ReferenceList><Reference><Citation>Synthetic article 1.</Citation>
<ArticleIdList><ArticleId IdType="pubmed">{SYNTHETIC_SEED + 1}</ArticleId></ArticleIdList></Reference></ReferenceList>
</PubmedData></PubmedArticle></PubmedArticleSet>
"""


def test_litbase_import_into_a_graphed_base_shows_the_new_article_placed(tmp_path):
    """`litbase import` after `litbase graph`: the served network draws the newcomer beside what it cites."""
    from click.testing import CliRunner

    from litbase.cli import cli

    path = synthetic_base(tmp_path / "s.db", 60)
    record = tmp_path / "newcomer.xml"
    record.write_text(NEWCOMER_XML, encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(path), str(record)])
    assert result.exit_code == 0, result.output
    whole, page = fetch(path, "/-/litbase/s/network.json", f"/-/litbase/s/network?pmid={NEWCOMER}")
    data = whole.json()
    assert (data["members"], len(data["nodes"])) == (62, 62)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert (nodes[NEWCOMER]["label"], nodes[NEWCOMER]["degree"]) == ("Late, 2024", 1)
    assert {"source": NEWCOMER, "target": SYNTHETIC_SEED + 1} in data["links"]
    # Placed where the article it cites is, not on the ring of articles with no neighbour.
    cited = nodes[SYNTHETIC_SEED + 1]
    assert (nodes[NEWCOMER]["x"], nodes[NEWCOMER]["y"]) == (cited["x"], cited["y"])
    assert page.status_code == 200 and "Late, 2024" in page.text


def test_network_before_any_graph_run(tmp_path):
    db = open_db(tmp_path / "n.db")
    with db.conn:
        save_articles(db, [{"pmid": p, "title": f"synthetic {p}", "year": 2000 + p,
                            "references": [{"pmid": r, "source": "reference_list"} for r in range(1, p)]}
                           for p in range(1, 6)])
    data = network_data(sqlite3.connect(tmp_path / "n.db"), max_nodes=3)
    assert (data["members"], data["left_out"]) == (5, 2)
    assert [n["id"] for n in data["nodes"]] == [1, 2, 3]  # no metrics yet: by PMID
    assert all(n["community"] is None and 0 <= n["x"] <= 1 for n in data["nodes"])
    assert (data["communities"], data["layout"]) == ([], "fresh")


def test_neighbourhood_is_the_focus_and_its_links_capped(tmp_path):
    db = open_db(tmp_path / "n.db")
    articles = [{"pmid": p, "title": f"</script> synthetic {p}", "year": 2000 + p,
                 "references": [{"pmid": r, "source": "reference_list"} for r in range(1, p)]}
                for p in range(1, 8)]
    with db.conn:
        save_articles(db, articles)
        save_collection(db, {"name": "c"})
        add_to_collection(db, "c", [{"pmid": p, "role": "import"} for p in (1, 2, 3)])
    update_graph(db)
    conn = sqlite3.connect(tmp_path / "n.db")
    small = network_data(conn, max_nodes=3)
    # 1 is cited by all six others, 2 by five, 3 by four.
    assert [n["id"] for n in small["nodes"]] == [1, 2, 3] and small["truncated"]
    assert [(link["source"], link["target"]) for link in small["links"]] == [(2, 1), (3, 1), (3, 2)]
    assert [n["id"] for n in network_data(conn, collection="c")["nodes"]] == [1, 2, 3]
    assert [n["id"] for n in network_data(conn, pmid=7, max_nodes=2)["nodes"]] == [1, 7]
    assert network_data(conn, pmid=4)["members"] == 7


def test_labels_are_first_author_and_year():
    assert first_author_surname("Jain A, Tabatabai R") == "Jain"
    assert first_author_surname("van der Berg JM") == "van der Berg"
    assert first_author_surname("COVID-19 Study Group") == "COVID-19 Study Group"
    assert first_author_surname(None) is None
    assert node_label(5, "Moir F, Henning M", 2016) == "Moir, 2016"
    assert (node_label(5, None, 1990), node_label(5, None, None)) == ("PMID 5, 1990", "PMID 5")


def test_map_layout_keeps_communities_apart():
    # Two triangles joined by nothing, and one isolated article.
    edges = EdgeList.from_pairs(range(1, 8), [(1, 2), (2, 3), (3, 1), (4, 5), (5, 6), (6, 4)])
    points = map_layout(edges, community=__import__("numpy").array([0, 0, 0, 1, 1, 1, 2]),
                        received=__import__("numpy").array([1, 1, 1, 1, 1, 1, 0]))
    assert points.shape == (7, 2) and points.min() >= 0 and points.max() <= 1

    def spread(group):
        return max(abs(points[a] - points[b]).max() for a in group for b in group)

    between = min(abs(points[a] - points[b]).max() for a in range(3) for b in range(3, 6))
    assert between > max(spread(range(3)), spread(range(3, 6))) / 2
    assert start_positions([1, 2, 3], {1: (0.0, 0.0), 2: (0.5, 1.0), 3: None}, [(3, 1), (3, 2)]) == (
        {1: (0.25, 0.0), 2: (0.75, 1.0), 3: (0.5, 0.5)}, "partial")
    assert start_positions([1, 2], {}, [])[1] == "fresh"
    assert spiral(10).shape == (10, 2)


def test_large_networks_walk_the_rank_index_and_choose_the_same(tmp_path, monkeypatch):
    from litbase.store import network

    path = synthetic_base(tmp_path / "s.db", 80)
    conn = sqlite3.connect(path)
    ranks = [p for (p,) in conn.execute("SELECT pmid FROM article_layout ORDER BY rank")]
    cited = dict(conn.execute("SELECT pmid, citations_received FROM article_metrics"))
    assert ranks == sorted(cited, key=lambda p: (-cited[p], p))
    scanned = {kind: network_data(conn, max_nodes=30, **kwargs)
               for kind, kwargs in (("all", {}), ("collection", {"collection": "synthetic"}))}
    monkeypatch.setattr(network, "SCAN_MAX", 10)
    for kind, kwargs in (("all", {}), ("collection", {"collection": "synthetic"})):
        assert network_data(conn, max_nodes=30, **kwargs) == scanned[kind]
    # Fewer ranked members than the cap: articles stored since the last graph run fill it, by PMID.
    db = open_db(path)
    with db.conn:
        save_articles(db, [{"pmid": 92_000_000 + i, "title": f"later {i}", "year": 2024} for i in range(3)])
    data = network_data(conn, max_nodes=100)
    assert (data["members"], len(data["nodes"]), data["left_out"]) == (84, 84, 0)
    assert {92_000_000, 92_000_001, 92_000_002} <= {n["id"] for n in data["nodes"]}
