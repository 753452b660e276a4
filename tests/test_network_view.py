"""The interactive network's data and page, in process."""

import json
import sqlite3
from pathlib import Path

from test_datasette import SEED, db_path, fetch  # noqa: F401  (db_path is a fixture)

from litbase.graph.tables import update_graph
from litbase.publish.network_data import network_data
from litbase.store.schema import open_db
from litbase.store.articles import add_to_collection, save_articles, save_collection

STATIC = Path(__file__).resolve().parents[1] / "litbase" / "publish" / "static"


def test_article_network_json(db_path):  # noqa: F811
    response = fetch(db_path, f"/-/litbase/litbase/network.json?pmid={SEED}")
    assert response.status_code == 200
    data = response.json()
    assert data["focus"] == SEED
    assert len(data["nodes"]) == 51 and len(data["links"]) == 50
    assert {link["source"] for link in data["links"]} == {SEED}
    seed = next(n for n in data["nodes"] if n["id"] == SEED)
    assert (seed["label"], seed["year"], seed["citations"], seed["url"]) == (
        "Jain A 2022", 2022, 0, f"/litbase/articles/{SEED}")
    first = next(n for n in data["nodes"] if n["id"] == 27092397)
    assert first["citations"] == 1
    assert all(0 <= n["x"] <= 1 and 0 <= n["y"] <= 1 for n in data["nodes"])
    assert data["years"] == [1985, 2022]


def test_network_page_embeds_data_and_script(db_path):  # noqa: F811
    response = fetch(db_path, "/-/litbase/litbase/network?collection=peer-support")
    assert response.status_code == 200
    html = response.text
    assert "<h1>Citation network of the collection peer-support</h1>" in html
    assert '<script src="/-/litbase/static/network.js"></script>' in html
    data = json.loads(html.split('id="litbase-network-data">')[1].split("</script>")[0])
    assert len(data["nodes"]) == 51
    assert fetch(db_path, "/-/litbase/litbase/network?pmid=abc").status_code == 400
    script = fetch(db_path, "/-/litbase/static/network.js")
    assert (script.status_code, script.text) == (200, (STATIC / "network.js").read_text())


def test_layout_is_deterministic_and_truncates_to_the_most_cited(tmp_path):
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
    first, second = network_data(conn), network_data(conn)
    assert first == second
    small = network_data(conn, max_nodes=3)
    # 1 is cited by all six others, 2 by five, 3 by four.
    assert [n["id"] for n in small["nodes"]] == [1, 2, 3] and small["truncated"]
    assert [(link["source"], link["target"]) for link in small["links"]] == [(2, 1), (3, 1), (3, 2)]
    assert [n["id"] for n in network_data(conn, collection="c")["nodes"]] == [1, 2, 3]
    assert [n["id"] for n in network_data(conn, pmid=7, max_nodes=2)["nodes"]] == [1, 7]
