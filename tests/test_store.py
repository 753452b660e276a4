"""The store: upserts keyed by PMID, child rows, reference status, the fetch log."""

import json

import pytest

from litbase.store.schema import open_db
from litbase.store.articles import (
    delete_articles,
    record_fetch,
    save_articles,
    save_links,
    stable_id,
)
from litbase.store.collections import add_to_collection, member_pmids, save_collection, update_stored_count
from litbase.store.merge import save_merged


def synthetic_article(pmid, **overrides):
    article = {
        "record_type": "article",
        "pmid": pmid,
        "title": f"Synthetic record {pmid}",
        "abstract": "BACKGROUND: Made up for a test.\nRESULTS: None.",
        "journal": {
            "title": "Journal of Synthetic Tests",
            "iso_abbreviation": "J Synth Tests",
            "issn": "1234-5678",
            "issn_type": "Print",
            "nlm_unique_id": "9999999",
        },
        "year": 2020,
        "month": 3,
        "day": None,
        "pub_date": "2020 Mar",
        "volume": "12",
        "issue": "3",
        "pages": "100-110",
        "doi": f"10.5555/synthetic.{pmid}",
        "languages": ["eng"],
        "publication_types": [{"ui": "D016428", "name": "Journal Article"}],
        "mesh_headings": [
            {"descriptor_ui": "D000001", "descriptor": "Peer Group", "major_topic": True,
             "qualifiers": ["psychology*"]},
        ],
        "keywords": ["synthetic keyword"],
        "authors": [
            {"position": 1, "last_name": "Zed", "fore_name": "Ann B", "initials": "AB",
             "orcid": "0000-0002-1825-0097", "affiliations": ["Dept A", "Dept B"]},
            {"position": 2, "collective_name": "Synthetic Study Group", "affiliations": []},
        ],
        "references": [
            {"position": 1, "citation": "Ref one.", "pmid": 900002, "source": "reference_list"},
            {"position": 2, "citation": "Ref without PMID.", "pmid": None, "doi": "10.5555/x",
             "source": "reference_list"},
            {"position": 3, "citation": "Itself.", "pmid": pmid, "source": "reference_list"},
        ],
    }
    article.update(overrides)
    return article


@pytest.fixture
def db(tmp_path):
    return open_db(tmp_path / "test.db")


def table_counts(db):
    """Rows per table; FTS5's shadow tables grow with segment merges, so they are left out."""
    return {name: db[name].count for name in db.table_names() if "_fts_" not in name}


def test_save_article_rows(db):
    with db.conn:
        assert save_articles(db, [synthetic_article(900001)]) == [900001]
    row = db["articles"].get(900001)
    assert row["title"] == "Synthetic record 900001"
    assert row["authors"] == "Zed AB, Synthetic Study Group"
    assert row["journal"] == "Journal of Synthetic Tests"
    assert row["journal_iso"] == "J Synth Tests"
    assert row["journal_id"] == "9999999"
    assert json.loads(row["mesh_terms"]) == ["Peer Group"]
    assert json.loads(row["publication_types"]) == ["Journal Article"]
    assert row["language"] == "eng"
    assert row["references_status"] == "known"
    assert row["references_sources"] == "reference_list"
    assert row["references_count"] == 2  # the self-reference is not counted
    assert list(db.query("select pmid, position, author_id, affiliation from articles_authors order by position")) == [
        {"pmid": 900001, "position": 1, "author_id": stable_id("orcid:0000-0002-1825-0097"),
         "affiliation": "Dept A; Dept B"},
        {"pmid": 900001, "position": 2, "author_id": stable_id("group:synthetic study group"),
         "affiliation": None},
    ]
    assert list(db.query("select citing, cited, source from citations")) == [
        {"citing": 900001, "cited": 900002, "source": "reference_list"}
    ]
    assert [
        (r["position"], r["cited_pmid"], r["doi"], r["is_self_reference"])
        for r in db.query("select * from article_references order by position")
    ] == [(1, 900002, None, 0), (2, None, "10.5555/x", 0), (3, 900001, None, 1)]


def test_second_save_duplicates_nothing(db):
    with db.conn:
        save_articles(db, [synthetic_article(900001), synthetic_article(900003)])
    first_counts, first_schema = table_counts(db), db.schema
    with db.conn:
        save_articles(db, [synthetic_article(900001), synthetic_article(900003)])
    assert table_counts(db) == first_counts
    assert db.schema == first_schema
    assert first_counts["articles"] == 2
    assert first_counts["articles_authors"] == 4
    assert first_counts["authors"] == 2
    assert first_counts["articles_fts"] == 2


def test_corrected_record_replaces_its_child_rows(db):
    with db.conn:
        save_articles(db, [synthetic_article(900001)])
        save_articles(db, [synthetic_article(900001, authors=[{"last_name": "Solo", "initials": "S"}],
                                              references=[])])
    assert db["articles_authors"].count == 1
    assert db["articles"].get(900001)["authors"] == "Solo S"
    # The reference list is kept: a record without one says nothing about it.
    assert db["article_references"].count == 3


def test_reference_status_from_links(db):
    with db.conn:
        save_articles(db, [synthetic_article(900005, references=[])])
    assert db["articles"].get(900005)["references_status"] == "unknown"
    with db.conn:
        save_links(db, [{"pmid": 900005, "refs": [], "cited_by": [900009], "similar": []}])
    row = db["articles"].get(900005)
    assert (row["references_status"], row["cited_by_count"]) == ("unavailable", 1)
    with db.conn:
        save_links(db, [{"pmid": 900005, "refs": [900006, 900007], "cited_by": [],
                         "similar": [(900008, 55)]}])
    row = db["articles"].get(900005)
    assert (row["references_status"], row["references_sources"], row["references_count"]) == (
        "known", "pubmed_refs", 2)
    assert list(db.query("select pmid, similar_pmid, score, rank from similar_articles")) == [
        {"pmid": 900005, "similar_pmid": 900008, "score": 55, "rank": 1}
    ]
    # citedin links stay: they were reported by the cited side.
    assert list(db.query("select citing, cited, source from citations order by citing, cited")) == [
        {"citing": 900005, "cited": 900006, "source": "pubmed_refs"},
        {"citing": 900005, "cited": 900007, "source": "pubmed_refs"},
        {"citing": 900009, "cited": 900005, "source": "citedin"},
    ]


def test_full_text_search_covers_mesh_and_keywords(db):
    with db.conn:
        save_articles(db, [synthetic_article(900001)])
    assert [r["pmid"] for r in db["articles"].search("peer group")] == [900001]
    assert [r["pmid"] for r in db["articles"].search("synthetic keyword")] == [900001]


def test_fetch_log_never_holds_the_key(db):
    record_fetch(db, {"endpoint": "efetch", "method": "GET", "status": 200, "bytes": 10,
                      "params": {"db": "pubmed", "id": "1", "api_key": "SECRET123"}})
    row = db["fetches"].get(1)
    assert json.loads(row["params"]) == {"db": "pubmed", "id": "1"}
    assert "SECRET123" not in json.dumps(list(db.query("select * from fetches")))


def test_a_crawl_or_search_redescribes_its_collection_and_an_import_keeps_what_is_stored(db):
    with db.conn:
        save_collection(db, {"name": "c", "source": "litbase fetch", "description": "first"})
    created = db["collections"].get("c")["created_at"]
    with db.conn:
        save_collection(db, {"name": "c", "description": "second", "query": "peer"})
    row = db["collections"].get("c")
    assert (row["source"], row["description"], row["query"], row["created_at"]) == (
        "litbase fetch", "second", "peer", created)
    with db.conn:
        # An import fills only what the collection lacks.
        save_collection(db, {"name": "c", "description": "import", "seed_pmids": "[1]",
                             "source": "import of x.ris"}, keep_stored=True)
    row = db["collections"].get("c")
    assert (row["source"], row["description"], row["seed_pmids"]) == ("litbase fetch", "second", "[1]")
    with pytest.raises(ValueError, match="no column colour"):
        save_collection(db, {"name": "c", "colour": "red"})


def test_stored_count_counts_members_with_an_article(db):
    with db.conn:
        save_articles(db, [synthetic_article(900001)])
        save_collection(db, {"name": "c"})
        add_to_collection(db, "c", [{"pmid": 900001, "role": "seed"}, {"pmid": 900002, "role": "reference"}])
        assert update_stored_count(db, "c") == 1
    assert member_pmids(db, "c") == [900001, 900002]


def test_merging_keeps_stored_fields_and_their_record_source(db):
    with db.conn:
        save_articles(db, [synthetic_article(900001, volume=None)], record_source="efetch")
        merged = save_merged(db, [{"pmid": 900001, "title": "From a file", "volume": "12"},
                                  {"pmid": 900003, "title": "Only in the file"}], record_source="seed_page")
    assert merged == 1
    stored = db["articles"].get(900001)
    assert (stored["title"], stored["volume"], stored["record_source"]) == (
        "Synthetic record 900001", "12", "efetch")
    assert db["articles"].get(900003)["record_source"] == "seed_page"


def test_deleting_articles_takes_their_rows_and_logs_each(db):
    with db.conn:
        save_articles(db, [synthetic_article(900001), synthetic_article(900004)])
        assert delete_articles(db, [900001, 900005], "DeleteCitation in test", "2025-01-01T00:00:00+00:00") == 2
    assert [r["pmid"] for r in db["articles"].rows] == [900004]
    assert db["articles_authors"].count_where("pmid = 900001") == 0
    assert db["citations"].count_where("citing = 900001") == 0
    assert [(r["pmid"], r["what"]) for r in db["changes"].rows] == [(900001, "deleted"), (900005, "deleted")]
