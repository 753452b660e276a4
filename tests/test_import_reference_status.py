"""The reference status an articles row carries from its first save equals what the tables give.

``store.articles.article_rows`` builds each row's references_status, _sources,
_count and completeness from the record's own lists (``own_reference_status``),
so a bulk import writes the row once instead of reading its lists back; an
article with more stored about it is recomputed from the tables. Each case
here is saved, then recomputed with ``refresh_reference_status``: nothing
may change.
"""

from __future__ import annotations

import pytest
from test_store import synthetic_article

from litbase.store.articles import save_articles, save_citations, save_links
from litbase.store.completeness import refresh_reference_status
from litbase.store.schema import open_db

STATUS = "select pmid, references_status, references_sources, references_count, completeness" \
         " from articles order by pmid"


def ref(position, pmid=None, source="reference_list", citation="A reference."):
    return {"position": position, "citation": citation, "pmid": pmid, "source": source}


CASES = {
    "no lists": [],
    "self-reference only": [ref(1, 910001)],
    "reference without PMID": [ref(1)],
    "both lists, one PMID in both": [ref(1, 910050), ref(2, 910051), ref(3),
                                    ref(1, 910050, "comments_corrections"),
                                    ref(2, 910052, "comments_corrections")],
    "a PMID named twice": [ref(1, 910060), ref(2, 910060), ref(3, 910061)],
    "a position given twice": [ref(1, 910070), ref(1, 910001), ref(2, 910071)],
    "comments only, longer than the PMIDs": [ref(1, None, "comments_corrections"),
                                            ref(2, None, "comments_corrections")],
}


@pytest.mark.parametrize("references", CASES.values(), ids=CASES.keys())
def test_the_status_built_with_the_rows_is_the_status_the_tables_give(tmp_path, references):
    db = open_db(tmp_path / "kb.db")
    with db.conn:
        save_articles(db, [synthetic_article(910001, references=references),
                           synthetic_article(910002, abstract=None, references=references[:1])])
    saved = list(db.query(STATUS))
    with db.conn:
        refresh_reference_status(db, [910001, 910002])
    assert list(db.query(STATUS)) == saved


def test_an_article_with_links_stored_before_its_record_is_recomputed(tmp_path):
    db = open_db(tmp_path / "kb.db")
    with db.conn:
        # iCite's list of what 910001 cites, stored while 910001 itself was not.
        save_citations(db, [(910001, 910090, "icite_refs", "2026-12-05T00:00:00+00:00")])
        save_articles(db, [synthetic_article(910001, references=[])])
    assert list(db.query(STATUS)) == [
        {"pmid": 910001, "references_status": "known", "references_sources": "icite_refs",
         "references_count": 1,
         "completeness": "citing and similar articles not looked up"}]


def test_a_stored_article_saved_again_keeps_what_elink_added(tmp_path):
    db = open_db(tmp_path / "kb.db")
    with db.conn:
        save_articles(db, [synthetic_article(910001, references=[])])
        save_links(db, [{"pmid": 910001, "refs": [], "cited_by": [910095], "similar": []}])
        save_articles(db, [synthetic_article(910001, references=[])])
    assert list(db.query(STATUS)) == [
        {"pmid": 910001, "references_status": "unavailable", "references_sources": None,
         "references_count": None, "completeness": "complete"}]


def test_a_pmid_twice_in_one_save_gets_the_status_of_both_lists(tmp_path):
    db = open_db(tmp_path / "kb.db")
    with db.conn:
        save_articles(db, [synthetic_article(910001, references=[ref(1, 910080)]),
                           synthetic_article(910001, references=[ref(2, 910081, "comments_corrections")])])
    assert list(db.query(STATUS)) == [
        {"pmid": 910001, "references_status": "known",
         "references_sources": "comments_corrections; reference_list", "references_count": 2,
         "completeness": "citing and similar articles not looked up"}]
