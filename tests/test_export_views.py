"""Every Datasette view that offers export links exports the articles its rows name
(cited_by, changes, collections, top_authors, similar, coupled, cites_retracted,
references, search); one whose rows name none says so."""

import asyncio
import json
import re

import pytest
from bib_fixtures import build_db
from datasette.app import Datasette

from litbase.imports.files import import_file
from litbase.publish.pages import metadata_for


@pytest.fixture(scope="module")
def datasette(tmp_path_factory):
    folder = tmp_path_factory.mktemp("views")
    db = build_db(folder / "lit.db")  # 990101-990105, all in collection "synthetic"
    with db.conn:
        db.conn.execute("INSERT INTO citations (citing, cited, source) VALUES"
                        " (990102, 990101, 'pubmed_refs'), (990777, 990101, 'citedin'),"
                        " (990102, 990104, 'pubmed_refs'), (990103, 990104, 'pubmed_refs')")
        db.conn.execute("INSERT INTO similar_articles (pmid, similar_pmid, score, rank)"
                        " VALUES (990101, 990105, 40, 1)")
        db.conn.execute("UPDATE articles SET is_retracted = 1 WHERE pmid = 990104")
        db.conn.execute("INSERT INTO cocitations (a, b, count) VALUES (990101, 990104, 1)")
        db.conn.execute("INSERT INTO bibliographic_coupling (a, b, count) VALUES (990102, 990103, 1)")
        db.conn.execute("INSERT INTO changes (pmid, what, related_pmid, detail, collection,"
                        " detected_at) VALUES (990103, 'new_citing', 990104, 'made up',"
                        " 'synthetic', '2026-01-01')")
    ris = folder / "nopmid.ris"
    ris.write_text("TY  - JOUR\nTI  - Editorial\nPY  - 2020\nT2  - Synthetic Reports\nER  - \n")
    import_file(db, ris, "nopmid")
    db.conn.close()
    return Datasette([str(folder / "lit.db")], metadata=metadata_for(["lit"]))


def get(datasette, path):
    return asyncio.run(datasette.client.get(path))


def links(datasette, page):
    html = get(datasette, page).text
    return sorted(set(re.findall(r'href="[^"]*\.(bib|ris|csljson|nbib)[?"]', html)))


def eprints(text):
    return [int(p) for p in re.findall(r"eprint = \{(\d+)\}", text)]


def test_cited_by_exports_the_stored_citing_articles(datasette):
    assert links(datasette, "/lit/cited_by?pmid=990101") == ["bib", "csljson", "nbib", "ris"]
    response = get(datasette, "/lit/cited_by.bib?pmid=990101")
    assert response.status_code == 200
    assert eprints(response.text) == [990102]  # 990777 cites it but is not stored


def test_changes_export_the_changed_and_the_new_citing_article(datasette):
    assert links(datasette, "/lit/changes") == ["bib", "csljson", "nbib", "ris"]
    response = get(datasette, "/lit/changes.ris?_labels=on")
    assert re.findall(r"AN  - (\d+)", response.text) == ["990103", "990104"]


def test_collections_export_their_members_with_records_without_pmid(datasette):
    assert links(datasette, "/lit/collections") == ["bib", "csljson", "nbib", "ris"]
    items = json.loads(get(datasette, "/lit/collections.csljson").text)
    assert [(i.get("PMID"), i["title"][:16]) for i in items] == [
        (None, "Editorial"),
        ("990101", "Peer support {an"), ("990102", "Peer mentoring i"),
        ("990103", "The review of sy"), ("990104", "Burnout in resid"),
        ("990105", "Unbalanced } bra")]
    one = json.loads(get(datasette, "/lit/collections.csljson?name=nopmid").text)
    assert [(i.get("PMID"), i["title"], i["container-title"]) for i in one] == [
        (None, "Editorial", "Synthetic Reports")]


def test_top_authors_exports_the_papers_it_counts(datasette):
    assert links(datasette, "/lit/top_authors") == ["bib", "csljson", "nbib", "ris"]
    response = get(datasette, "/lit/top_authors.bib")
    assert response.status_code == 200
    assert sorted(eprints(response.text)) == [990101, 990102, 990103, 990104, 990105]


def test_a_view_whose_rows_name_no_article_says_so(datasette):
    assert links(datasette, "/lit/cited_by?pmid=990105") == []
    response = get(datasette, "/lit/cited_by.bib?pmid=990105")
    assert response.status_code == 404
    assert ("Nothing to export: the rows of cited_by name no article, so there is no bibtex"
            " file to offer.") in response.text
    response = get(datasette, "/lit/journals.ris")
    assert response.status_code == 404
    assert "Nothing to export: the rows of journals name no article" in response.text
    assert links(datasette, "/lit/journals") == []


@pytest.mark.parametrize("page, exported", [
    ("/lit/similar?pmid=990101", [990105]),
    ("/lit/coupled?pmid=990102", [990103]),  # both cite 990104
    ("/lit/cites_retracted?collection=", [990102, 990103]),  # 990104 is retracted
    ("/lit/references?pmid=990102", [990101, 990104]),
    ("/lit/search?q=burnout", [990101, 990104]),  # both titles say it
    ("/lit/cocitations?count__gte=1", [990101, 990104]),  # the pairs' a and b
    ("/lit/bibliographic_coupling?count__gte=1", [990102, 990103]),
])
def test_queries_and_pair_tables_export_the_articles_their_rows_name(datasette, page, exported):
    assert links(datasette, page) == ["bib", "csljson", "nbib", "ris"]
    path, query = page.split("?")
    response = get(datasette, f"{path}.bib?{query}")
    assert response.status_code == 200
    assert sorted(eprints(response.text)) == exported
