"""Every command that stores something on a collection is a row of `runs`: the methods log of `litbase report`.

fetch was recorded before; search, refresh and import are recorded the same way:
the command line (never the key or the e-mail), the collection it settled on,
how it ended and its counts.
"""

from __future__ import annotations

import json

import pytest
import sqlite_utils
from click.testing import CliRunner
from eutils_server import FakeEutilsServer
from test_fetch import seed_corpus

from litbase.cli import cli
from litbase.review.report import build_report

TERM = "peer support"
RIS = ("TY  - JOUR\nTI  - Peer support in residency\nPY  - 2022\nDO  - 10.1000/ABC\nER  - \n"
       "TY  - JOUR\nTI  - Burnout\nAN  - 5000\nER  - \n"
       "TY  - JOUR\nTI  - Resilience\nPY  - 2021\nER  - \n"
       "TY  - JOUR\nER  - \n")


@pytest.fixture
def server(monkeypatch):
    corpus = seed_corpus()
    corpus.register_term(TERM, count=3, first_pmid=7000, years=(2019, 2021))
    with FakeEutilsServer(corpus) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "SECRET-TEST-KEY")
        monkeypatch.setenv("NCBI_EMAIL", "tests@example.org")
        yield fake


def invoke(*args):
    result = CliRunner().invoke(cli, [*map(str, args)])
    assert result.exit_code == 0, result.output
    return result


def runs(db_path) -> list[tuple]:
    return [(command, line, collection, version, done, outcome, json.loads(counts))
            for command, line, collection, version, done, outcome, counts in sqlite_utils.Database(db_path).execute(
                "SELECT command, command_line, collection, litbase_version, finished_at IS NOT NULL, outcome,"
                " counts FROM runs ORDER BY id").fetchall()]


def test_search_refresh_and_import_are_runs(server, tmp_path):
    db = tmp_path / "lit.db"
    library = tmp_path / "my-library.ris"
    library.write_text(RIS)
    invoke("search", db, TERM, "--no-progress")
    invoke("fetch", db, 5000, "--no-progress", "--sources", "pubmed")
    invoke("refresh", db, "--collection", "pmid-5000", "--no-progress")
    invoke("import", db, library)
    assert runs(db) == [
        ("search", f"litbase search {db} 'peer support'", "search-peer-support", "0.1.0", 1, "ok",
         {"hits": 3, "members": 3, "records_stored": 3, "requests": 2}),
        ("fetch", f"litbase fetch {db} 5000 --sources pubmed", "pmid-5000", "0.1.0", 1, "ok",
         {"articles_linked": 1, "new_records_per_hop": {"1": 12}, "records_stored": 13, "requests": 3}),
        ("refresh", f"litbase refresh {db} --collection pmid-5000", "pmid-5000", "0.1.0", 1, "ok",
         {"articles_asked": 13, "records_stored": 0, "requests": 2}),
        ("import", f"litbase import {db} {library}", "my-library", "0.1.0", 1, "ok",
         {"file": "my-library.ris", "matched_by_doi": 0, "merged": 1, "records": 4, "records_stored": 1,
          "same_record": 0, "skipped": 0, "unmatched": 3}),
    ]
    dump = str(sqlite_utils.Database(db).execute("SELECT * FROM runs").fetchall())
    assert "SECRET-TEST-KEY" not in dump and "tests@example.org" not in dump


def test_each_file_of_an_import_is_its_own_run(tmp_path):
    db = tmp_path / "lit.db"
    first, second = tmp_path / "first.ris", tmp_path / "second.ris"
    first.write_text(RIS)
    second.write_text("TY  - JOUR\nTI  - Mentoring interns\nPY  - 2020\nER  - \n")
    invoke("import", db, first, second, "--collection", "library")
    assert [(c, coll, counts["file"], counts["records"], outcome) for c, _, coll, _, _, outcome, counts in runs(db)] == [
        ("import", "library", "first.ris", 4, "ok"), ("import", "library", "second.ris", 1, "ok")]


def test_the_report_log_lists_a_search_run(server, tmp_path):
    db = tmp_path / "lit.db"
    invoke("search", db, TERM, "--no-progress")
    [run] = build_report(sqlite_utils.Database(db).conn, "search-peer-support")["log"]["runs"]
    assert (run["command"], run["outcome"], run["counts"]["records_stored"]) == ("search", "ok", 3)
    assert [(r["endpoint"], r["requests"]) for r in run["requests"]] == [("efetch", 1), ("esearch", 1)]


def test_a_file_refused_whole_is_a_refused_run(tmp_path):
    db = tmp_path / "lit.db"
    broken = tmp_path / "broken.bib"
    broken.write_text("@article{a,\n  title = {Unclosed\n")
    result = CliRunner().invoke(cli, ["import", str(db), str(broken)])
    assert result.exit_code == 1
    assert runs(db) == [("import", f"litbase import {db} {broken}", None, "0.1.0", 1, "refused",
                         {"file": "broken.bib", "records_stored": 0})]
