"""The article page shows everything the database knows, numbered and labelled, each list with its exports.

The database: datasets/peer-support (the seed and its 50 references), plus six real
PubMed records of NLM's 2021 update file 1298 (tests/fixtures/pubmed/retractions.xml:
a retracted article and its notice, one under an expression of concern and its
notice, one with an erratum and the erratum). The links between them are synthetic,
written here (``SYNTHETIC_LINKS``), as are the similar-article scores and one PMID
PubMed does not know: no real record links these articles.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from test_datasette import fetch

from litbase.cli import cli
from litbase.publish.article_page import article_page, merged_references
from litbase.store.article_page import article_page_rows
from litbase.store.articles import save_citations, save_links
from litbase.store.frontier import save_missing

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "pubmed" / "retractions.xml"
SEED = 35392492
FIRST = 27092397  # line 1 of the seed's list
RETRACTED, RETRACTION_NOTICE = 27602157, 34093767
CONCERN, CONCERN_NOTICE = 32090497, 34096680
ERRATUM_OF, ERRATUM = 21388667, 34092359
UNKNOWN = 99999991  # synthetic: a PMID PubMed said it has no record of
WHEN = "2026-12-05T00:00:00+00:00"
SYNTHETIC_LINKS = [
    (SEED, FIRST, "icite_refs", WHEN),  # line 1 again, from a second source
    (SEED, RETRACTED, "icite_refs", WHEN),
    (SEED, CONCERN, "pubmed_refs", WHEN),
    (SEED, ERRATUM_OF, "europepmc_refs", WHEN),
    (SEED, UNKNOWN, "pubmed_refs", WHEN),
    (RETRACTED, FIRST, "pubmed_refs", WHEN),  # the retracted article cites line 1
    (ERRATUM_OF, FIRST, "icite_refs", WHEN),
]
SIMILAR = [(RETRACTED, 31000), (ERRATUM_OF, 12000), (UNKNOWN, 900)]


def invoke(*args):
    result = CliRunner().invoke(cli, [*map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def build_retraction_db(path: Path) -> Path:
    """peer-support + the six real records (collection "retractions") + the synthetic links."""
    invoke("build", path, ROOT / "datasets" / "peer-support")
    invoke("import", path, FIXTURE, "--collection", "retractions")
    db = sqlite_utils.Database(path)
    with db.conn:
        save_citations(db, SYNTHETIC_LINKS)
        save_links(db, [{"pmid": SEED, "refs": [], "cited_by": [], "similar": SIMILAR}], now=WHEN)
        save_missing(db, [UNKNOWN], "synthetic: not in PubMed")
    invoke("graph", path)  # recounts cites_retracted, as build, fetch and import do
    return path


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return build_retraction_db(tmp_path_factory.mktemp("article") / "litbase.db")


def page_of(db_path, pmid):
    rows = article_page_rows(sqlite3.connect(db_path), pmid)
    return article_page(rows)


def test_references_merged_from_every_source_numbered_and_labelled(db_path):
    page = page_of(db_path, SEED)
    refs = page["references"]
    assert [r["number"] for r in refs] == list(range(1, 56))
    # The printed list numbers the merged one: its 51 lines first, in their order.
    assert [(r["number"], r["pmid"], r["sources"]) for r in refs[:2]] == [
        (1, FIRST, ["seed page", "iCite"]), (2, 29467969, ["seed page"])]
    assert refs[46]["self_reference"] and refs[46]["pmid"] == SEED and refs[46]["number"] == 47
    # Then the works known only from PMID links, oldest first, then unknown years.
    assert [(r["number"], r["pmid"], r["sources"], r["stored"], r["missing"],
             [f["flag"] for f in r["flags"]]) for r in refs[51:]] == [
        (52, ERRATUM_OF, ["Europe PMC"], True, False, ["corrected"]),
        (53, RETRACTED, ["iCite"], True, False, ["retracted"]),
        (54, CONCERN, ["pubmed_refs"], True, False, ["expression_of_concern"]),
        (55, UNKNOWN, ["pubmed_refs"], False, True, []),
    ]
    assert page["reference_flags"] == {"retracted": 1, "corrected": 1, "expression_of_concern": 1}


def test_merge_keeps_a_line_without_pmid_and_joins_lists_by_pmid_and_doi():
    lines = [
        {"source": "reference_list", "position": 1, "citation": "A. 2001.", "pmid": 11, "doi": None},
        {"source": "reference_list", "position": 2, "citation": "B. 2002.", "pmid": None, "doi": "10.1/B"},
        {"source": "europepmc_refs", "position": 1, "citation": "B again", "pmid": None, "doi": "10.1/b"},
        {"source": "europepmc_refs", "position": 2, "citation": "C only here", "pmid": None, "doi": None},
        {"source": "europepmc_refs", "position": 3, "citation": "A again", "pmid": 11, "doi": None},
    ]
    links = [{"pmid": 11, "sources": "reference_list;icite_refs;europepmc_refs"},
             {"pmid": 12, "sources": "pubmed_refs"}]
    merged = merged_references(lines, links)
    # europepmc_refs is longer (3 lines): it numbers the list.
    assert [(r["number"], r["pmid"], r["citation"], r["positions"], r["sources"]) for r in merged] == [
        (1, None, "B again", {"europepmc_refs": 1, "reference_list": 2}, ["Europe PMC", "reference list"]),
        (2, None, "C only here", {"europepmc_refs": 2}, ["Europe PMC"]),
        (3, 11, "A again", {"europepmc_refs": 3, "reference_list": 1},
         ["Europe PMC", "reference list", "iCite"]),
        (4, 12, None, {}, ["pubmed_refs"]),
    ]


def test_citing_similar_co_cited_and_coupled_lists(db_path):
    first = page_of(db_path, FIRST)
    assert [(c["number"], c["pmid"], c["sources"], c["retracted"]) for c in first["cited_by"]] == [
        (1, SEED, ["seed page", "iCite"], False),
        (2, RETRACTED, ["pubmed_refs"], True),
        (3, ERRATUM_OF, ["iCite"], False)]
    assert first["cited_by_count"] == 3
    seed = page_of(db_path, SEED)
    assert [(s["number"], s["pmid"], s["score"], s["rank"], s["retracted"], s["missing"])
            for s in seed["similar"]] == [
        (1, RETRACTED, 31000, 1, True, False), (2, ERRATUM_OF, 12000, 2, False, False),
        (3, UNKNOWN, 900, 3, False, True)]
    assert seed["similar_count"] == 3
    # Co-citation: every work the seed, the retracted or the corrected article cite beside
    # line 1, each once; the page keeps the 20 most often, then newest.
    assert len(first["co_cited"]) == 20
    assert [(c["number"], c["pmid"], c["count"], [f["flag"] for f in c["flags"]])
            for c in first["co_cited"][:4]] == [
        (1, 32925571, 1, []), (2, 33830873, 1, []), (3, 34249197, 1, []),
        (4, CONCERN, 1, ["expression_of_concern"])]
    # Coupling: the retracted and the corrected article share line 1 with the seed.
    assert [(c["pmid"], c["count"], c["retracted"]) for c in seed["coupled"]] == [
        (RETRACTED, 1, True), (ERRATUM_OF, 1, False)]


def test_article_page_html(db_path):
    seed, retracted, first = fetch(db_path, f"/litbase/articles/{SEED}",
                                   f"/litbase/articles/{RETRACTED}", f"/litbase/articles/{FIRST}")
    assert "References (55 lines)" in seed.text
    assert ("Of these references, 1 is retracted, 1 corrected (an erratum) and 1 under an expression"
            " of concern, as far as the records stored here say.") in seed.text
    assert ('<span class="litbase-no-record">PMID 99999991 <em>(PubMed has no record of this PMID)'
            '</em></span>') in seed.text
    assert 'href="/litbase/articles/99999991"' not in seed.text
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/99999991/"' not in seed.text
    assert '<li value="53" class="litbase-ref litbase-ref-retracted">' in seed.text
    assert '<span class="litbase-flag litbase-flag-retracted">Retracted</span>' in seed.text
    assert "PubMed score 31000" in seed.text
    for query in ("references", "cited_by", "similar", "coupled"):
        for extension in ("ris", "bib", "csljson", "nbib"):
            assert f'href="/litbase/{query}.{extension}?pmid={SEED}"' in seed.text, (query, extension)
    assert f'href="/litbase/co_cited.ris?pmid={FIRST}"' in first.text
    assert '<div class="litbase-banner litbase-banner-retracted" role="alert">' in retracted.text
    assert (f'Retraction in: <a href="/litbase/articles/{RETRACTION_NOTICE}">Oncol Lett. 2021 Jul;22(1):545</a>'
            f" (PMID {RETRACTION_NOTICE}).") in retracted.text
    assert "litbase-banner-retracted" not in seed.text


def test_expression_of_concern_and_erratum_banners(db_path):
    concern, corrected = fetch(db_path, f"/litbase/articles/{CONCERN}", f"/litbase/articles/{ERRATUM_OF}")
    assert ('<div class="litbase-banner litbase-banner-expression_of_concern"><strong>Expression of concern.'
            f'</strong> Expression of concern in: <a href="/litbase/articles/{CONCERN_NOTICE}">'
            f"Int Wound J. 2021 Jun 7;:</a> (PMID {CONCERN_NOTICE}).</div>") in concern.text
    assert '<div class="litbase-banner litbase-banner-corrected"><strong>Corrected.</strong> Erratum in:' in corrected.text


def test_a_long_citing_list_shows_its_first_rows_and_says_how_many(db_path, tmp_path, monkeypatch):
    from litbase.store import article_page as store_page

    monkeypatch.setattr(store_page, "CITED_BY_SHOWN", 2)
    page = page_of(db_path, FIRST)
    assert [c["pmid"] for c in page["cited_by"]] == [SEED, RETRACTED] and page["cited_by_count"] == 3
    assert '<h2 id="cited-by">Cited by (first 2 of 3 with a PMID)</h2>' in fetch(
        db_path, f"/litbase/articles/{FIRST}").text


def test_exports_of_the_page_lists(db_path):
    similar, refs = fetch(db_path, f"/litbase/similar.ris?pmid={SEED}", f"/litbase/references.nbib?pmid={SEED}")
    assert similar.status_code == 200
    # The unknown PMID has no record to export; the two stored similar articles do.
    assert [line for line in similar.text.splitlines() if line.startswith("AN  -")] == [
        f"AN  - {RETRACTED}", f"AN  - {ERRATUM_OF}"]
    assert "N1  - Retracted publication. Retraction in: Oncol Lett. 2021 Jul;22(1):545. PMID: 34093767." in similar.text
    assert "RIN - Oncol Lett. 2021 Jul;22(1):545. PMID: 34093767" in refs.text


def test_an_article_known_only_from_links_says_where_its_references_came_from(tmp_path):
    """Issue 17: references from pubmed_refs alone no longer read "No source lists ..."."""
    path = tmp_path / "litbase.db"
    invoke("import", path, FIXTURE)
    db = sqlite_utils.Database(path)
    with db.conn:
        save_links(db, [{"pmid": CONCERN_NOTICE, "refs": [CONCERN], "cited_by": [], "similar": []}], now=WHEN)
    page = fetch(path, f"/litbase/articles/{CONCERN_NOTICE}")
    assert "No source lists this article&#39;s references" not in page.text
    assert "References (1 lines)" in page.text and "[pubmed_refs]" in page.text


def test_a_landmarks_co_cited_list_is_counted_ahead_and_read_while_current(tmp_path, monkeypatch):
    from litbase.store import site_counts

    # Every article cited by two or more is a "landmark" here (500 at real sizes).
    monkeypatch.setattr(site_counts, "COCITED_AHEAD_CITERS", 2)
    path = build_retraction_db(tmp_path / "litbase.db")  # its closing `graph` stores the site tables
    conn = sqlite3.connect(path)
    landmarks = [r[0] for r in conn.execute(
        "SELECT cited FROM citations GROUP BY cited HAVING count(DISTINCT citing) >= 2 ORDER BY cited")]
    assert FIRST in landmarks
    assert [r[0] for r in conn.execute("SELECT DISTINCT pmid FROM cocited_top ORDER BY pmid")] == landmarks
    for pmid in landmarks:
        live = article_page_rows(conn, pmid)["co_cited"]
        assert live and article_page_rows(conn, pmid, counted_ahead=True)["co_cited"] == live
    # The page reads the stored rows while the fingerprint matches (a stored count changed
    # by hand shows), and counts on request once the links changed behind the tables' back.
    with conn:
        conn.execute("UPDATE cocited_top SET count = 99 WHERE pmid = ? AND rank = 0", [FIRST])
    assert "cited together 99 times" in fetch(path, f"/litbase/articles/{FIRST}").text
    with conn:
        # The article under concern now cites line 1 and the first article co-cited with it.
        conn.executemany("INSERT INTO citations (citing, cited, source, retrieved_at) VALUES (?, ?, 'pubmed_refs', ?)",
                         [(CONCERN, FIRST, WHEN), (CONCERN, 32925571, WHEN)])
    page = fetch(path, f"/litbase/articles/{FIRST}").text
    assert "cited together 99 times" not in page and "cited together 2 times" in page
