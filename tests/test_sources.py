"""`litbase fetch --sources` end to end against local E-utilities, iCite and Europe PMC servers.

PubMed: seed 5000 (in PMC) cites 101-110 and is cited by 301, 302 (both in PMC).
iCite: the seed cites 101-108 and 120 (109, 110 missing; 120 new) and is cited
by 301 and 303 (303 is not in PMC, so PubMed cannot know it).
Europe PMC: the seed cites 101-110, a preprint and an untraced report, and is
cited by 301, 302 and 304.
"""

import pytest
import sqlite_utils
from click.testing import CliRunner
from europepmc_server import work
from test_fetch import CITERS, REFS, SEED, seed_corpus

from litbase.cli import cli

ICITE_REFS = REFS[:8] + [120]
ICITE_CITERS = [301, 303]
EPMC_CITERS = [301, 302, 304]
PREPRINT = work("PPR1", source="PPR", title="Peer support preprint", authorString="Roe R", pubYear="2021")
UNTRACED = {"source": "MED", "title": "Untraced report", "pubYear": "1999"}


@pytest.fixture
def servers(eutils_server, icite_server, europepmc_server, monkeypatch):
    eutils_server.corpus = seed_corpus()
    for pmid, year in ((120, 2005), (303, 2023), (304, 2024)):
        eutils_server.corpus.add(pmid, year=year)
    monkeypatch.setenv("LITBASE_EUTILS_URL", eutils_server.base_url)
    monkeypatch.setenv("NCBI_API_KEY", "SECRET-TEST-KEY")
    icite_server.add(SEED, references=ICITE_REFS, cited_by=ICITE_CITERS, citation_count=2, rcr=1.5,
                     percentile=62.3, research=True, clinical=False)
    europepmc_server.set_references(SEED, [*REFS, PREPRINT, UNTRACED])
    europepmc_server.set_citations(SEED, EPMC_CITERS)
    return eutils_server, icite_server, europepmc_server


def run(*args):
    return CliRunner().invoke(cli, ["fetch", *map(str, args), "--no-progress"])


def links(db):
    return {(r["citing"], r["cited"], r["source"]) for r in db["citations"].rows}


PUBMED_LINKS = ({(SEED, r, "pubmed_refs") for r in REFS} | {(SEED, r, "reference_list") for r in REFS}
                | {(c, SEED, "citedin") for c in CITERS})
ICITE_LINKS = {(SEED, r, "icite_refs") for r in ICITE_REFS} | {(c, SEED, "icite_cited_by") for c in ICITE_CITERS}
EPMC_LINKS = {(SEED, r, "europepmc_refs") for r in REFS} | {(c, SEED, "europepmc_citations") for c in EPMC_CITERS}


def test_default_sources_are_pubmed_and_icite(servers, tmp_path):
    eutils, icite, epmc = servers
    db_path = tmp_path / "lit.db"
    result = run(db_path, SEED)
    assert result.exit_code == 0, result.output
    assert [r.endpoint for r in eutils.requests] == ["efetch", "elink", "efetch"]
    # iCite's new neighbours (120 cited, 303 citing) join PubMed's in the next level's efetch.
    assert sorted(map(int, eutils.requests[2].params["id"].split(","))) == sorted(REFS + CITERS + [120, 303])
    assert [r.params["pmids"] for r in icite.requests] == [str(SEED)]
    assert epmc.requests == []
    db = sqlite_utils.Database(db_path)
    assert links(db) == PUBMED_LINKS | ICITE_LINKS
    assert all(r["retrieved_at"] for r in db["citations"].rows)
    seed = db["articles"].get(SEED)
    assert (seed["references_status"], seed["references_sources"], seed["references_count"]) == (
        "known", "icite_refs; pubmed_refs; reference_list", 11)
    assert (seed["icite_citation_count"], seed["relative_citation_ratio"], seed["nih_percentile"],
            seed["is_research_article"], seed["is_clinical"], seed["icite_provisional"]) == (
        2, 1.5, 62.3, 1, 0, 0)
    assert list(db.query("select pmid, source, status, references_count, cited_by_count from article_sources")) == [
        {"pmid": SEED, "source": "icite", "status": "found", "references_count": 9, "cited_by_count": 2}]
    roles = {(r["pmid"], r["role"]) for r in db["collections_articles"].rows}
    assert {(120, "reference"), (303, "citing")} <= roles
    # The fetch log names the iCite request too.
    assert [r["endpoint"] for r in db["fetches"].rows] == ["efetch", "elink", "icite/pubs", "efetch"]


def test_all_three_sources_merge_with_provenance(servers, tmp_path):
    eutils, icite, epmc = servers
    db_path = tmp_path / "lit.db"
    result = run(db_path, SEED, "--sources", "pubmed,icite,europepmc")
    assert result.exit_code == 0, result.output
    assert [(r.endpoint, r.params["page"]) for r in epmc.requests] == [("references", "1"), ("citations", "1")]
    db = sqlite_utils.Database(db_path)
    assert links(db) == PUBMED_LINKS | ICITE_LINKS | EPMC_LINKS
    # One row per source that reported a link: 101 is said by four lists, 120 by iCite alone.
    assert [r["source"] for r in db.query(
        "select source from citations where citing = ? and cited = 101 order by source", [SEED])] == [
        "europepmc_refs", "icite_refs", "pubmed_refs", "reference_list"]
    assert db["articles"].get(SEED)["references_sources"] == (
        "europepmc_refs; icite_refs; pubmed_refs; reference_list")
    unlinked = list(db.query(
        "select position, citation, cited_pmid from article_references"
        " where citing = ? and source = 'europepmc_refs' and cited_pmid is null", [SEED]))
    assert unlinked == [
        {"position": 11, "citation": "Roe R. Peer support preprint. 2021. [PPR:PPR1]", "cited_pmid": None},
        {"position": 12, "citation": "Untraced report. 1999.", "cited_pmid": None}]
    assert 304 in {r["pmid"] for r in db["articles"].rows}


def test_pubmed_only_asks_nothing_else(servers, tmp_path):
    eutils, icite, epmc = servers
    result = run(tmp_path / "lit.db", SEED, "--sources", "pubmed")
    assert result.exit_code == 0, result.output
    assert [r.endpoint for r in eutils.requests] == ["efetch", "elink", "efetch"]
    assert icite.requests == epmc.requests == []
    db = sqlite_utils.Database(tmp_path / "lit.db")
    assert links(db) == PUBMED_LINKS
    assert db["article_sources"].count == 0
    assert db["articles"].get(SEED)["relative_citation_ratio"] is None


def test_rerun_asks_no_source_again(servers, tmp_path):
    db_path = tmp_path / "lit.db"
    assert run(db_path, SEED, "--sources", "pubmed,icite,europepmc").exit_code == 0
    db = sqlite_utils.Database(db_path)
    before = sorted(map(tuple, db.execute("select * from citations").fetchall()))
    for server in servers:
        server.clear_log()
    assert run(db_path, SEED, "--sources", "pubmed,icite,europepmc").exit_code == 0
    assert [s.requests for s in servers] == [[], [], []]
    assert sorted(map(tuple, db.execute("select * from citations").fetchall())) == before


def test_icite_outage_stores_nothing_half_and_resumes(servers, tmp_path):
    eutils, icite, _ = servers
    icite.inject("pubs", "503", times=5)
    db_path = tmp_path / "lit.db"
    result = run(db_path, SEED)
    assert result.exit_code == 1
    # The crawl went on with PubMed (tests/test_degrade.py has every fault); the failure is named.
    assert result.output.endswith(
        "iCite (icite/pubs) gave no usable answer in 5 attempts, the last one HTTP 503: 503 Error."
        " Its links are missing for 1 article.\nEverything PubMed gave is stored. To ask iCite again"
        f" for just those articles, run: litbase fetch {db_path} {SEED}\n"), result.output
    db = sqlite_utils.Database(db_path)
    assert [(r["pmid"], r["status"]) for r in db["article_sources"].rows] == [(SEED, "failed")]
    assert links(db) == PUBMED_LINKS
    eutils.clear_log()
    icite.clear_log()
    result = run(db_path, SEED)
    assert result.exit_code == 0, result.output
    # PubMed's part is stored: only iCite and the next level's records are asked for.
    assert [r.endpoint for r in eutils.requests] == ["efetch"]
    assert icite.count() == 1
    assert links(db) == PUBMED_LINKS | ICITE_LINKS


def test_europepmc_faults_are_retried_to_the_same_result(servers, tmp_path):
    *_, epmc = servers
    epmc.inject("references", "truncate_json", times=1)
    epmc.inject("citations", "429", times=1, retry_after=0)
    result = run(tmp_path / "lit.db", SEED, "--sources", "pubmed,europepmc")
    assert result.exit_code == 0, result.output
    assert [r.status for r in epmc.requests] == [200, 200, 429, 200]
    assert links(sqlite_utils.Database(tmp_path / "lit.db")) == PUBMED_LINKS | EPMC_LINKS


def test_europepmc_404_means_no_citations(servers, tmp_path):
    *_, epmc = servers
    epmc.lists.clear()
    result = run(tmp_path / "lit.db", SEED, "--sources", "pubmed,europepmc")
    assert result.exit_code == 0, result.output
    assert [r.status for r in epmc.requests] == [404, 404]
    db = sqlite_utils.Database(tmp_path / "lit.db")
    assert list(db.query("select status, references_count, cited_by_count from article_sources")) == [
        {"status": "found", "references_count": 0, "cited_by_count": 0}]


def test_icite_not_knowing_a_pmid_is_recorded(servers, tmp_path):
    _, icite, _ = servers
    icite.records.clear()
    result = run(tmp_path / "lit.db", SEED)
    assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(tmp_path / "lit.db")
    assert list(db.query("select pmid, status, references_count from article_sources")) == [
        {"pmid": SEED, "status": "not_found", "references_count": None}]
    assert db["articles"].get(SEED)["references_sources"] == "pubmed_refs; reference_list"


@pytest.mark.parametrize("value, message", [
    ("pubmed,scopus", "unknown source 'scopus'; choose from pubmed, icite, europepmc"),
    (",", "no source named"),
])
def test_unknown_source_refused_before_any_request(servers, tmp_path, value, message):
    result = run(tmp_path / "lit.db", SEED, "--sources", value)
    assert result.exit_code == 2
    assert message in result.output
    assert [s.requests for s in servers] == [[], [], []]


def test_malformed_icite_answer_is_refused_cleanly(servers, tmp_path):
    _, icite, _ = servers
    icite.inject("pubs", "json", times=1, body={"data": [{"pmid": SEED, "references": "12 abc"}]})
    result = run(tmp_path / "lit.db", SEED)
    assert result.exit_code == 1
    assert ("iCite (icite/pubs) sent an answer litbase cannot read: 'abc' in a PMID list is not a PMID."
            " Its links are missing for 1 article.") in result.output
    db = sqlite_utils.Database(tmp_path / "lit.db")
    assert [(r["pmid"], r["status"]) for r in db["article_sources"].rows] == [(SEED, "failed")]
    assert links(db) == PUBMED_LINKS


def test_related_breaks_ties_by_relative_citation_ratio(tmp_path):
    from litbase.graph.related import related
    from litbase.store.schema import open_db
    from litbase.store.articles import save_articles

    db = open_db(tmp_path / "r.db")
    with db.conn:
        save_articles(db, [{"pmid": 1, "title": "Alpha"}, {"pmid": 2, "title": "Beta"},
                           {"pmid": 3, "title": "Gamma"}, {"pmid": 4, "title": "Delta"},
                           {"pmid": 10, "title": "Citing", "references": [
                               {"pmid": p, "source": "icite_refs"} for p in (1, 2, 3, 4)]}])
    # 2, 3 and 4 are each co-cited once with 1: a three-way tie.
    assert [r["pmid"] for r in related(db, 1)] == [2, 3, 4]
    with db.conn:
        db.conn.executemany("UPDATE articles SET relative_citation_ratio = ? WHERE pmid = ?",
                            [(0.0, 2), (3.2, 4)])
    rows = related(db, 1)
    assert [(r["pmid"], r["relative_citation_ratio"]) for r in rows] == [(4, 3.2), (2, 0.0), (3, None)]
    assert len({r["score"] for r in rows}) == 1
