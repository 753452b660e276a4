"""`litbase refresh` against the local E-utilities server: only what can change, each change logged."""

import pytest
import sqlite_utils
from click.testing import CliRunner
from eutils_server import FakeEutilsServer
from test_fetch import CITERS, REFS, SEED, seed_corpus

from litbase.cli import cli

COLLECTION = f"pmid-{SEED}"


@pytest.fixture
def server(monkeypatch):
    with FakeEutilsServer(seed_corpus()) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "k")
        yield fake


def invoke(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def changes(db):
    return [tuple(r) for r in db.execute(
        "select pmid, what, related_pmid, detail, collection from changes order by id")]


@pytest.fixture
def fetched(server, tmp_path):
    db_path = tmp_path / "r.db"
    assert invoke("fetch", db_path, SEED, "--no-progress", "--sources", "pubmed").exit_code == 0
    server.clear_log()
    return db_path


def test_nothing_changed_is_two_requests_and_no_rows(server, fetched):
    result = invoke("refresh", fetched, "--collection", COLLECTION)
    assert result.exit_code == 0, result.output
    assert [(r.method, r.endpoint) for r in server.requests] == [("GET", "efetch"), ("GET", "elink")]
    members = sorted([SEED, *REFS, *CITERS])
    assert sorted(map(int, server.requests[0].params["id"].split(","))) == members
    assert sorted(map(int, server.requests[1].params["id"])) == members  # repeated id=
    assert changes(sqlite_utils.Database(fetched)) == []
    assert "Asked PubMed again about 13 articles (2 requests): no changes" in result.output


def test_changes_are_found_logged_and_the_collection_grows(server, fetched):
    corpus = server.corpus
    corpus.add(303, refs=[SEED], in_pmc=True, year=2024, title="A new citing article")
    corpus.get(SEED).similar.insert(0, (204, 95_000))
    corpus.get(REFS[0]).title = "Corrected title"
    corpus.get(REFS[0]).date_revised = "2024-05-01"
    corpus.get(REFS[1]).retracted_by = 999
    result = invoke("refresh", fetched, "--collection", COLLECTION)
    assert result.exit_code == 0, result.output
    assert [r.endpoint for r in server.requests] == ["efetch", "elink", "efetch"]
    assert server.requests[2].params["id"] == "303"  # the new citing article's record
    db = sqlite_utils.Database(fetched)
    assert changes(db) == [
        (REFS[0], "record_corrected", None, "title changed (record revised 2024-05-01)", COLLECTION),
        (REFS[1], "retracted", 999, "PubMed now marks this article as retracted", COLLECTION),
        (SEED, "new_citing", 303, "PubMed lists a new citing article", COLLECTION),
        (SEED, "new_similar", 204, "rank 1, score 95000", COLLECTION),
    ]
    assert db["articles"].get(REFS[0])["title"] == "Corrected title"
    assert db["articles"].get(REFS[1])["is_retracted"] == 1
    assert db["articles"].get(303)["title"] == "A new citing article"
    assert db.execute("select role, depth, seed_pmid from collections_articles where pmid = 303"
                      ).fetchall() == [("citing", 1, SEED)]
    assert ("1 new citing, 1 new similar, 1 record corrected, 1 retracted;"
            " 1 records stored for the first time") in result.output
    # A second refresh finds nothing new; the links of 303 are its baseline.
    server.clear_log()
    assert invoke("refresh", fetched, "--collection", COLLECTION).exit_code == 0
    assert [r.endpoint for r in server.requests] == ["efetch", "elink"]
    assert len(changes(db)) == 4


def test_refresh_gives_an_imported_list_its_records(server, tmp_path, monkeypatch):
    db_path = tmp_path / "l.db"
    source = tmp_path / "list.pmids"
    source.write_text(f"{SEED} {REFS[0]}\n")
    # Imported offline: the import says to run refresh, and exits 1.
    with monkeypatch.context() as offline:
        offline.setenv("LITBASE_EUTILS_URL", "http://127.0.0.1:1/")
        imported = invoke("import", db_path, source, "--collection", "mine")
    assert imported.exit_code == 1
    assert f"run: litbase refresh {db_path} --collection mine" in imported.output
    server.clear_log()
    result = invoke("refresh", db_path, "--collection", "mine")
    assert result.exit_code == 0, result.output
    # Records for both, then links for both (a first look: no change rows).
    assert [r.endpoint for r in server.requests] == ["efetch", "elink"]
    db = sqlite_utils.Database(db_path)
    assert {r["pmid"]: r["record_source"] for r in db["articles"].rows} == {
        SEED: "efetch", REFS[0]: "efetch"}
    assert changes(db) == []
    assert "2 records stored for the first time" in result.output


def test_unknown_collection_is_refused_before_any_request(server, fetched):
    result = invoke("refresh", fetched, "--collection", "nope")
    assert result.exit_code == 1
    assert f"no collection named 'nope' (known: {COLLECTION})" in result.output
    assert server.requests == []
