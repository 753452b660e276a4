"""`litbase fetch` end to end against the local E-utilities server.

The corpus is synthetic: seed 5000 (in PMC, with a deposited reference list
holding one entry without a PMID) cites 101-110, is cited by 301 and 302,
and PubMed calls 201-203 similar to it.
"""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import sqlite_utils
from click.testing import CliRunner
from eutils_server import Corpus, FakeEutilsServer

from litbase.cli import cli

SEED = 5000
REFS = list(range(101, 111))
CITERS = [301, 302]
SIMILAR = [(201, 90_000), (202, 80_000), (203, 70_000)]


def seed_corpus() -> Corpus:
    corpus = Corpus()
    # Copies: a test that changes this corpus (test_refresh adds a similar article) must not
    # change the module's lists, and with them every corpus built after it in the same run.
    corpus.add(SEED, title="Synthetic seed on peer support", refs=list(REFS), in_pmc=True,
               deposited_refs=True, unlinked_refs=["A book without a PMID. 2001."],
               similar=list(SIMILAR), year=2022)
    for pmid in REFS:
        corpus.add(pmid, year=2010)
    for pmid in CITERS:
        corpus.add(pmid, refs=[SEED], in_pmc=True, year=2023)
    for pmid, _ in SIMILAR:
        corpus.add(pmid, year=2021)
    return corpus


@pytest.fixture
def server(monkeypatch):
    with FakeEutilsServer(seed_corpus()) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        # An API key lifts the shared limiter to 10/s, which keeps the suite quick;
        # the tests below also prove the key is stored nowhere.
        monkeypatch.setenv("NCBI_API_KEY", "SECRET-TEST-KEY")
        monkeypatch.setenv("NCBI_EMAIL", "tests@example.org")
        yield fake


def run(*args):
    # PubMed only: iCite and Europe PMC have their own tests (test_sources.py),
    # and every request count below is PubMed's alone.
    return CliRunner().invoke(cli, ["fetch", *map(str, args), "--no-progress", "--sources", "pubmed"])


def test_depth_one_costs_three_requests(server, tmp_path):
    db_path = tmp_path / "lit.db"
    result = run(db_path, SEED)
    assert result.exit_code == 0, result.output
    assert [(r.method, r.endpoint) for r in server.requests] == [
        ("GET", "efetch"), ("GET", "elink"), ("GET", "efetch")]
    seed_fetch, link, neighbours = server.requests
    assert seed_fetch.params["id"] == str(SEED)
    assert link.params["id"] == str(SEED)  # one id; several come as repeated id= (depth 2 test)
    assert link.params["cmd"] == "neighbor_score"
    assert "linkname" not in link.params
    assert sorted(map(int, neighbours.params["id"].split(","))) == REFS + CITERS
    for request in server.requests:
        assert request.params["tool"] == "litbase"
        assert request.params["email"] == "tests@example.org"
        assert request.params["api_key"] == "SECRET-TEST-KEY"

    db = sqlite_utils.Database(db_path)
    assert sorted(r["pmid"] for r in db["articles"].rows) == sorted([SEED, *REFS, *CITERS])
    seed = db["articles"].get(SEED)
    assert seed["title"] == "Synthetic seed on peer support"
    assert (seed["references_status"], seed["references_sources"], seed["references_count"]) == (
        "known", "pubmed_refs; reference_list", 11)
    assert seed["cited_by_count"] == 2
    assert seed["pmcid"] == f"PMC{SEED}"
    links = {(r["citing"], r["cited"], r["source"]) for r in db["citations"].rows}
    assert links == (
        {(SEED, r, "pubmed_refs") for r in REFS}
        | {(SEED, r, "reference_list") for r in REFS}
        | {(c, SEED, "citedin") for c in CITERS}
        | {(c, SEED, "reference_list") for c in CITERS if False}
    )
    unlinked = list(db.query(
        "select position, citation, cited_pmid from article_references"
        " where citing = ? and cited_pmid is null", [SEED]))
    assert unlinked == [{"position": 11, "citation": "A book without a PMID. 2001.", "cited_pmid": None}]
    roles = {(r["pmid"], r["role"], r["depth"], r["seed_pmid"])
             for r in db["collections_articles"].rows}
    assert roles == ({(SEED, "seed", 0, SEED)} | {(r, "reference", 1, SEED) for r in REFS}
                     | {(c, "citing", 1, SEED) for c in CITERS})
    collection = db["collections"].get(f"pmid-{SEED}")
    assert (collection["stored_count"], json.loads(collection["seed_pmids"])) == (13, [SEED])
    # The fetch log has one row per request and never the key.
    assert db["fetches"].count == 3
    dump = "\n".join(str(row) for table in db.table_names() for row in db[table].rows)
    assert "SECRET-TEST-KEY" not in dump


def test_rerun_asks_for_nothing_and_duplicates_nothing(server, tmp_path):
    db_path = tmp_path / "lit.db"
    assert run(db_path, SEED).exit_code == 0
    db = sqlite_utils.Database(db_path)
    # graph_runs included: with nothing new stored, the graph is not recomputed.
    counts = {t: db[t].count for t in db.table_names() if t not in ("fetches", "runs") and "_fts_" not in t}
    server.clear_log()
    result = run(db_path, SEED)
    assert result.exit_code == 0, result.output
    assert server.requests == []
    assert {t: db[t].count for t in counts} == counts


def test_similar_articles_join_the_same_requests(server, tmp_path):
    db_path = tmp_path / "lit.db"
    result = run(db_path, SEED, "--similar", 2)
    assert result.exit_code == 0, result.output
    assert server.count() == 3
    db = sqlite_utils.Database(db_path)
    assert {201, 202} <= {r["pmid"] for r in db["articles"].rows}
    assert 203 not in {r["pmid"] for r in db["articles"].rows}
    assert list(db.query("select similar_pmid, score, rank from similar_articles where pmid = ?",
                         [SEED])) == [
        {"similar_pmid": 201, "score": 90_000, "rank": 1},
        {"similar_pmid": 202, "score": 80_000, "rank": 2},
        {"similar_pmid": 203, "score": 70_000, "rank": 3},
    ]


@pytest.mark.parametrize("flags, expected", [
    (["--no-references"], [*CITERS, SEED]),
    (["--direction", "forward"], [*CITERS, SEED]),
    (["--no-cited-by"], [*REFS, SEED]),
    (["--direction", "backward"], [*REFS, SEED]),
])
def test_direction_flags(server, tmp_path, flags, expected):
    db_path = tmp_path / "lit.db"
    assert run(db_path, SEED, *flags).exit_code == 0
    db = sqlite_utils.Database(db_path)
    assert sorted(r["pmid"] for r in db["articles"].rows) == sorted(expected)


def test_large_reference_list_batches_and_posts(monkeypatch, tmp_path):
    corpus = Corpus()
    refs = list(range(10_000, 11_200))  # 1,200 references
    corpus.add(SEED, refs=refs, in_pmc=True)
    for pmid in refs:
        corpus.add(pmid)
    with FakeEutilsServer(corpus) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "k")
        result = run(tmp_path / "big.db", SEED)
        assert result.exit_code == 0, result.output
        # seed record, seed links, then 1,200 records in batches of 500:
        # 5 requests, within the budget of 3 + 1,200 / 200 = 9.
        assert [(r.method, r.endpoint) for r in fake.requests] == [
            ("GET", "efetch"), ("GET", "elink"),
            ("POST", "efetch"), ("POST", "efetch"), ("POST", "efetch")]
        sizes = [len(r.params["id"].split(",")) for r in fake.requests[2:]]
        assert sizes == [500, 500, 200]
    db = sqlite_utils.Database(tmp_path / "big.db")
    assert db["articles"].count == 1_201


@pytest.mark.parametrize("bad", ["abc", "-1", "0", "12x", "1000000000"])
def test_invalid_pmid_refused_before_any_request(server, tmp_path, bad):
    result = run(tmp_path / "lit.db", SEED, bad)
    assert result.exit_code == 2
    assert f"{bad!r} is not a PMID" in result.output
    assert server.requests == []


def test_unknown_pmid_reported_and_the_rest_stored(server, tmp_path):
    db_path = tmp_path / "lit.db"
    result = run(db_path, SEED, 4_999_999)
    assert result.exit_code == 1
    assert "PubMed has no record for PMID 4999999" in result.output
    db = sqlite_utils.Database(db_path)
    assert db["articles"].count == 13
    assert [r["pmid"] for r in db["missing_pmids"].rows] == [4_999_999]


def test_records_dropped_by_efetch_are_asked_again(server, tmp_path):
    server.inject("efetch", "drop_records", times=1, k=1)
    result = run(tmp_path / "lit.db", SEED)
    assert result.exit_code == 0, result.output
    # The seed's record was dropped once, asked again alone, then the rest as usual.
    assert [r.endpoint for r in server.requests] == ["efetch", "efetch", "elink", "efetch"]
    assert sqlite_utils.Database(tmp_path / "lit.db")["articles"].count == 13


def test_server_faults_are_retried_to_the_same_result(server, tmp_path):
    server.inject("efetch", "429", times=1, retry_after=0)
    server.inject("elink", "503", times=1)
    server.inject("efetch", "truncate", times=1)
    result = run(tmp_path / "lit.db", SEED)
    assert result.exit_code == 0, result.output
    assert [r.endpoint for r in server.requests] == [
        "efetch", "efetch", "efetch", "elink", "elink", "efetch"]
    assert sqlite_utils.Database(tmp_path / "lit.db")["articles"].count == 13


def test_error_inside_http_200_is_reported(server, tmp_path):
    server.inject("elink", "error200", times=5, message="Invalid uid list")
    result = run(tmp_path / "lit.db", SEED)
    assert result.exit_code == 1
    # NCBI rejected the request itself: asked once, and the line says a rerun will not help.
    assert result.output == ("Error: PubMed (elink) answered with an error: Invalid uid list. Everything"
                             " fetched so far is stored; asking again will not help: check the PMIDs.\n")
    assert [r.endpoint for r in server.requests] == ["efetch", "elink"]
    # The seed's record, fetched before the failure, is kept.
    assert sqlite_utils.Database(tmp_path / "lit.db")["articles"].count == 1


def test_depth_two_with_a_budget(monkeypatch, tmp_path):
    corpus = Corpus.random_graph(300, mean_refs=6, seed=7)
    seed = max(corpus.articles, key=lambda p: len(corpus.get(p).refs) + len(corpus.cited_by(p)))
    with FakeEutilsServer(corpus) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "k")
        result = run(tmp_path / "d2.db", seed, "--depth", 2, "--max-articles", 40)
        assert result.exit_code == 0, result.output
        assert "Stopped at --max-articles 40" in result.output
        db = sqlite_utils.Database(tmp_path / "d2.db")
        members = list(db.query("select distinct pmid from collections_articles"))
        assert len(members) == 40
        assert db["articles"].count == 40
        asked = fake.count()
        fake.clear_log()
        # A larger budget continues from there, asking only for the new articles.
        result = run(tmp_path / "d2.db", seed, "--depth", 2, "--max-articles", 60)
        assert result.exit_code == 0, result.output
        assert db["articles"].count == 60
        fetched = [int(p) for r in fake.requests if r.endpoint == "efetch"
                   for p in r.params["id"].split(",")]
        assert len(fetched) == len(set(fetched)) == 20
    assert asked <= 3 + 2  # efetch seed, elink seed, efetch level 1, elink level 1, efetch level 2


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_kill_nine_loses_nothing_and_rerun_finishes(tmp_path):
    corpus = Corpus()
    refs = list(range(20_000, 21_500))
    corpus.add(SEED, refs=refs, in_pmc=True)
    for pmid in refs:
        corpus.add(pmid)
    db_path = tmp_path / "killed.db"
    with FakeEutilsServer(corpus) as fake:
        env = {**os.environ, "LITBASE_EUTILS_URL": fake.base_url, "NCBI_API_KEY": "k"}
        command = [sys.executable, "-m", "litbase", "fetch", str(db_path), str(SEED), "--no-progress",
                   "--sources", "pubmed"]
        process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE)
        # Kill when the second batch of references is asked for: the limiter
        # spaces requests 0.1 s apart, so the first batch is being stored or is.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if sum(r.endpoint == "efetch" for r in fake.requests) >= 3:
                break
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        db = sqlite_utils.Database(db_path)
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored_before = {r[0] for r in db.execute("select pmid from articles")}
        assert SEED in stored_before and len(stored_before) < 1_501
        fake.clear_log()
        finished = subprocess.run(command, env=env, capture_output=True, text=True)
        assert finished.returncode == 0, finished.stderr
        fetched = [int(p) for r in fake.requests if r.endpoint == "efetch"
                   for p in r.params["id"].split(",")]
        # The rerun asks only for what the killed run had not stored.
        assert sorted(fetched) == sorted(set(refs) - stored_before)
        assert db.execute("select count(*), count(distinct pmid) from articles").fetchone() == (1_501, 1_501)
        assert db.execute(
            "select count(*) from (select citing, cited, source from citations"
            " group by 1, 2, 3 having count(*) > 1)").fetchone()[0] == 0
