"""`litbase report`'s numbers, exact, on a crawl of the local E-utilities server and a known screening file.

Corpus and decisions: tests/report_corpus.py. The counts below are worked out
by hand from the corpus (which links each source reports) and the file.
"""

from __future__ import annotations

import pytest
import sqlite_utils
from eutils_server import FakeEutilsServer
from report_corpus import COLLECTION, SEED, crawl, load_screening, report_corpus

from litbase.review.report import UnknownCollection, build_report, collection_yield, stage_outcomes


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """The crawl, before any screening: (database path, the fetch's output, the requests it made)."""
    db_path = tmp_path_factory.mktemp("report") / "lit.db"
    with FakeEutilsServer(report_corpus()) as server, pytest.MonkeyPatch.context() as env:
        env.setenv("LITBASE_EUTILS_URL", server.base_url)
        env.setenv("NCBI_API_KEY", "SECRET-TEST-KEY")
        env.setenv("NCBI_EMAIL", "tests@example.org")
        result = crawl(db_path)
        requests = [(r.endpoint, r.params.get("id")) for r in server.requests]
    return db_path, result, requests


@pytest.fixture(scope="module")
def screened(crawled, tmp_path_factory):
    """A copy of the crawled database with the screening file recorded."""
    db_path = tmp_path_factory.mktemp("screened") / "lit.db"
    source = sqlite_utils.Database(crawled[0])
    source.conn.execute("VACUUM INTO ?", [str(db_path)])
    assert load_screening(db_path) == 28
    return db_path


def report_of(db_path, adjudicator=None):
    return build_report(sqlite_utils.Database(db_path).conn, COLLECTION, adjudicator)


def test_the_crawl_reports_the_pmid_pubmed_does_not_know(crawled):
    _, result, requests = crawled
    assert result.exit_code == 1
    assert "PubMed has no record for PMID 777" in result.output
    # seed record, seed links, hop-1 records (777 asked again alone), hop-1 links, hop-2 records
    assert requests == [("efetch", "5000"), ("elink", "5000"), ("efetch", "101,102,103,777,301,302,201"),
                        ("efetch", "777"), ("elink", ["101", "102", "103", "301", "302", "201"]),
                        ("efetch", "401,402,501")]


def test_identified_per_direction_hop_and_source(crawled):
    report = report_of(crawled[0])
    identified = report["identified"]
    assert {k: identified[k] for k in ("total", "records", "by_direction", "by_hop", "by_source")} == {
        "total": 29,
        "records": 11,
        "by_direction": {"seed": 1, "search": 0, "import": 0, "backward": 15, "forward": 12, "similar": 1,
                         "co-cited": 0, "co-citing": 0},
        "by_hop": {"0": 1, "1": 14, "2": 14},
        "by_source": {"citedin": 5, "pubmed_refs": 12, "pubmed_similar": 1, "reference_list": 10, "seed": 1},
    }
    assert identified["records_by_direction"] == {
        "seed": 1, "search": 0, "import": 0, "backward": 7, "forward": 4, "similar": 1, "co-cited": 0,
        "co-citing": 0}
    assert identified["records_by_hop"] == {"0": 1, "1": 7, "2": 6}
    assert [(w["hop"], w["direction"], w["source"], w["records"]) for w in identified["ways"]] == [
        (0, "seed", "seed", 1),
        # the seed's four references, each in PubMed's PMC links and in its deposited list
        (1, "backward", "pubmed_refs", 4),
        (1, "backward", "reference_list", 4),
        # 301 and 302 cite the seed: both in citedin and their PMC references, 301 also in its deposited list
        (1, "forward", "citedin", 2),
        (1, "forward", "pubmed_refs", 2),
        (1, "forward", "reference_list", 1),
        (1, "similar", "pubmed_similar", 1),
        # 101 -> 401, 402 (PMC); 102 -> 401 (deposited); 301 -> the seed and 101 (PMC and deposited)
        (2, "backward", "pubmed_refs", 4),
        (2, "backward", "reference_list", 3),
        # citing a hop-1 record: the seed and 301 (three sources each), 501 (citedin only)
        (2, "forward", "citedin", 3),
        (2, "forward", "pubmed_refs", 2),
        (2, "forward", "reference_list", 2),
    ]
    assert report["duplicates"] == {"total": 18, "records_found_more_than_once": 8, "across_directions": 1,
                                    "across_hops": 3, "across_sources": 8}
    assert report["removed_before_screening"] == {"duplicates": 18, "without_record": 1}


def test_before_screening_everything_awaits(crawled):
    report = report_of(crawled[0])
    assert report["screened"]["total"] == 0
    assert report["screened"]["awaiting"] == {"title_abstract": 10, "full_text": 0}
    assert report["included"]["total"] == report["excluded"]["total"] == 0
    assert report["agreement"] == {}
    assert report["yield"] == [
        {"hop": 0, "new_records": 1, "screened": 0, "included": {"title_abstract": 0, "full_text": 0}},
        {"hop": 1, "new_records": 7, "screened": 0, "included": {"title_abstract": 0, "full_text": 0}},
        {"hop": 2, "new_records": 3, "screened": 0, "included": {"title_abstract": 0, "full_text": 0}},
    ]


def test_screening_counts_by_consensus(screened):
    report = report_of(screened)
    assert report["screened"] == {
        "total": 9,
        "by_stage": {"title_abstract": 9, "full_text": 4},
        "awaiting": {"title_abstract": 1, "full_text": 0},  # 501 not screened yet
        "undecided": {"title_abstract": {"maybe": 1, "conflict": 2}, "full_text": {"maybe": 0, "conflict": 1}},
    }
    assert report["excluded"] == {
        "total": 4,
        "by_stage": {"title_abstract": 3, "full_text": 1},
        # In the collection's order of reasons; 201's is ana's (ben gave none), 402's is ben's latest.
        "by_reason": {"title_abstract": {"wrong population": 1, "wrong study design": 1, "not peer support": 1},
                      "full_text": {"wrong study design": 1}},
    }
    assert report["included"] == {
        "total": 2,
        "by_stage": {"title_abstract": 3, "full_text": 2},
        "by_hop": {"0": {"title_abstract": 1, "full_text": 1}, "1": {"title_abstract": 1, "full_text": 1},
                   "2": {"title_abstract": 1, "full_text": 0}},
    }
    assert report["conflicts"] == {"total": 3, "by_stage": {"title_abstract": 2, "full_text": 1},
                                   "pmids": {"title_abstract": [103, 301], "full_text": [401]}}
    assert report["yield"][1] == {"hop": 1, "new_records": 7, "screened": 6,
                                  "included": {"title_abstract": 1, "full_text": 1}}


def test_agreement_per_stage(screened):
    agreement = report_of(screened)["agreement"]
    # Title/abstract: 7 of 9 agree; ana 4 include, 4 exclude, 1 maybe; ben 4, 3, 2: expected 30/81.
    # Not named as adjudicator, cy is a third reviewer: Fleiss' kappa over the one record all three decided
    # (103: ana exclude, ben and cy include).
    assert agreement["title_abstract"] == {
        "reviewers": ["ana", "ben", "cy"], "records": 1, "method": "fleiss", "observed": 0.3333,
        "expected": 0.5556, "kappa": -0.5, "adjudicated": 0,
        "table": {"ratings_per_category": {"include": 2, "exclude": 1, "maybe": 0}, "raters_per_record": 3},
    }
    with_adjudicator = report_of(screened, adjudicator="cy")["agreement"]
    assert with_adjudicator["title_abstract"] == {
        "reviewers": ["ana", "ben"], "records": 9, "method": "cohen", "observed": 0.7778, "expected": 0.3704,
        "kappa": 0.6471, "adjudicated": 1,
        "table": {"include": {"include": 3, "exclude": 0, "maybe": 1},
                  "exclude": {"include": 1, "exclude": 3, "maybe": 0},
                  "maybe": {"include": 0, "exclude": 0, "maybe": 1}},
    }
    assert {k: v for k, v in with_adjudicator["full_text"].items() if k != "table"} == {
        "reviewers": ["ana", "ben"], "records": 4, "method": "cohen", "observed": 0.75, "expected": 0.5,
        "kappa": 0.5, "adjudicated": 0}


def test_an_adjudicator_settles_a_conflict(screened):
    report = report_of(screened, adjudicator="cy")
    assert report["screened"]["undecided"]["title_abstract"] == {"maybe": 1, "conflict": 1}
    assert report["included"]["by_stage"] == {"title_abstract": 4, "full_text": 2}
    assert report["conflicts"]["pmids"] == {"title_abstract": [301], "full_text": [401]}
    assert "or by the latest decision of the adjudicator (cy) when they decided it" in report["rule"]


def test_stage_outcomes_rule():
    rows = [
        {"id": 1, "pmid": 1, "reviewer": "a", "decision": "exclude", "reason": "x"},
        {"id": 2, "pmid": 1, "reviewer": "b", "decision": "exclude", "reason": None},
        {"id": 3, "pmid": 2, "reviewer": "a", "decision": "exclude", "reason": None},
        {"id": 4, "pmid": 3, "reviewer": "a", "decision": "include", "reason": None},
        {"id": 5, "pmid": 3, "reviewer": "b", "decision": "exclude", "reason": "y"},
        {"id": 6, "pmid": 3, "reviewer": "c", "decision": "exclude", "reason": "z"},
    ]
    assert stage_outcomes(rows) == {1: {"status": "exclude", "reason": "x"},
                                    2: {"status": "exclude", "reason": "no reason given"},
                                    3: {"status": "conflict", "reason": None}}
    assert stage_outcomes(rows, adjudicator="c")[3] == {"status": "exclude", "reason": "z"}


def test_collection_yield_matches_the_report(screened):
    conn = sqlite_utils.Database(screened).conn
    assert collection_yield(conn, COLLECTION) == {"screening_started": True,
                                                  "hops": report_of(screened)["yield"]}


def test_unknown_collection_names_the_known_ones(crawled):
    with pytest.raises(UnknownCollection, match=r"no collection named 'nope' \(known: pmid-5000\)"):
        build_report(sqlite_utils.Database(crawled[0]).conn, "nope")


def test_log_names_the_run_without_secrets(crawled):
    log = report_of(crawled[0])["log"]
    [run] = log["runs"]
    assert run["command"] == "fetch"
    assert run["command_line"] == (f"litbase fetch {crawled[0]} {SEED} --depth 2 --similar 1 --sources pubmed")
    assert (run["litbase_version"], run["outcome"]) == ("0.1.0", "incomplete")  # PMID 777 has no record
    assert run["counts"] == {"articles_linked": 7, "records_stored": 10, "requests": 6,
                             "new_records_per_hop": {"1": 7, "2": 3}}
    assert [(r["endpoint"], r["outcome"], r["requests"]) for r in run["requests"]] == [
        ("efetch", "ok", 4), ("elink", "ok", 2)]
    assert [(r["source"], r["records"]) for r in log["records"]] == [("efetch", 10)]
    dump = str(sqlite_utils.Database(crawled[0]).execute("select * from runs").fetchall())
    assert "SECRET-TEST-KEY" not in dump and "tests@example.org" not in dump


def test_a_search_collection_counts_as_database_search(tmp_path):
    from litbase.review.methods import methods_paragraph
    from litbase.review.prisma_svg import diagram_boxes
    from litbase.store.collections import add_to_collection, save_collection
    from litbase.store.schema import open_db

    db = open_db(tmp_path / "search.db")
    with db.conn:
        save_collection(db, {"name": "peer", "source": "litbase search", "query": "peer support[tiab]",
                             "query_count": 3})
        add_to_collection(db, "peer", [{"pmid": p, "role": "search", "depth": 0} for p in (11, 12, 13)])
    report = build_report(db.conn, "peer")
    assert report["identified"]["by_direction"]["search"] == 3
    assert (report["identified"]["total"], report["duplicates"]["total"]) == (3, 0)
    assert report["identified"]["by_source"] == {"pubmed_search": 3}
    assert report["removed_before_screening"] == {"duplicates": 0, "without_record": 3}  # no records stored
    identified = diagram_boxes(report)[0][0]
    assert identified.lines == ["Records identified (n = 3)", "Database search (PubMed) (n = 3)",
                                "By hop: hop 0 (n = 3)"]
    assert methods_paragraph(report) == (
        "Citation searching started from the PubMed search 'peer support[tiab]' (3 records found when run)"
        " (the commands run are not recorded; reported by litbase 0.1.0). It identified 3 records (database search (PubMed): 3), counting a"
        " record once for each direction, hop and source that found it; after 0 duplicates were removed,"
        " 3 records remained. 3 records had no PubMed record and could not be screened."
        " Screening has not started.")


def test_citing_articles_refresh_added_to_a_search_collection_count_as_forward(tmp_path):
    from litbase.store.articles import save_citations
    from litbase.store.collections import add_to_collection, save_collection
    from litbase.store.schema import open_db

    db = open_db(tmp_path / "refreshed.db")
    with db.conn:
        save_collection(db, {"name": "peer", "source": "litbase search", "query": "peer", "query_count": 2})
        add_to_collection(db, "peer", [{"pmid": p, "role": "search", "depth": 0} for p in (11, 12)])
        # as refresh stores a new citing article of a search result: depth 1, its seed the result
        add_to_collection(db, "peer", [{"pmid": 21, "role": "citing", "depth": 1, "seed_pmid": 11}])
        save_citations(db, [(21, 11, "citedin", "2026-12-01T00:00:00+00:00"),
                            (21, 12, "citedin", "2026-12-01T00:00:00+00:00")])
    identified = build_report(db.conn, "peer")["identified"]
    # Refresh asks about every search result: 21 cites both, one forward identification at hop 1.
    assert [(w["hop"], w["direction"], w["source"], w["records"]) for w in identified["ways"]] == [
        (0, "search", "pubmed_search", 2), (1, "forward", "citedin", 1)]
