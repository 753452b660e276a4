"""Yield per hop: the `fetch` summary, and `--stop-when-yield-below` ending the snowball.

The corpus is tests/report_corpus.py's: hop 1 reaches 7 new records (101, 102,
103, 777, 201, 301, 302), hop 2 reaches 3 (401, 402, 501), hop 3 none.
"""

from __future__ import annotations

import pytest
import sqlite_utils
from eutils_server import FakeEutilsServer
from report_corpus import COLLECTION, SEED, crawl, load_screening, report_corpus

FIRST_HOPS = [("efetch", "5000"), ("elink", "5000"), ("efetch", "101,102,103,777,301,302,201"),
              ("efetch", "777")]  # 777, missing from the answer, is asked once more alone
HOP_ONE_LINKS = ("elink", ["101", "102", "103", "301", "302", "201"])


@pytest.fixture
def server(monkeypatch):
    with FakeEutilsServer(report_corpus()) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "SECRET-TEST-KEY")
        yield fake


def asked(server):
    return [(r.endpoint, r.params.get("id")) for r in server.requests]


def summary(result) -> str:
    return next(line for line in result.stderr.splitlines() if line.startswith("Records per hop"))


def members_by_hop(db_path) -> dict:
    return dict(sqlite_utils.Database(db_path).execute(
        "select hop, count(*) from (select min(depth) hop from collections_articles where collection = ?"
        " group by pmid) group by hop", [COLLECTION]).fetchall())


def test_summary_gives_new_records_per_hop_then_includes(server, tmp_path):
    db_path = tmp_path / "lit.db"
    result = crawl(db_path)
    assert result.exit_code == 1  # PMID 777
    assert summary(result) == "Records per hop (0: seeds): hop 0: 1 new; hop 1: 7 new; hop 2: 3 new."
    load_screening(db_path)
    server.clear_log()
    again = crawl(db_path)
    assert again.exit_code == 0, again.output
    assert server.requests == []
    assert summary(again) == (
        "Records per hop (0: seeds): hop 0: 1 new (1 screened, 1 included at title/abstract, 1 at full text);"
        " hop 1: 7 new (6 screened, 1 included at title/abstract, 1 at full text);"
        " hop 2: 3 new (2 screened, 1 included at title/abstract, 0 at full text).")


def test_stop_when_a_hop_brings_too_few(server, tmp_path):
    db_path = tmp_path / "lit.db"
    result = crawl(db_path, "--depth", 3, "--stop-when-yield-below", 4)
    # Hop 2 brought 3 < 4: its records are fetched, its links are not asked for.
    assert asked(server) == [*FIRST_HOPS, HOP_ONE_LINKS, ("efetch", "401,402,501")]
    assert summary(result) == (
        "Records per hop (0: seeds): hop 0: 1 new; hop 1: 7 new; hop 2: 3 new. Stopped after hop 2:"
        " it brought fewer new records than --stop-when-yield-below.")
    assert members_by_hop(db_path) == {0: 1, 1: 7, 2: 3}
    [counts] = sqlite_utils.Database(db_path).execute("select counts from runs").fetchone()
    assert counts == ('{"articles_linked": 7, "new_records_per_hop": {"1": 7, "2": 3},'
                      ' "records_stored": 10, "requests": 6}')


def test_without_the_limit_the_third_hop_is_asked(server, tmp_path):
    crawl(tmp_path / "lit.db", "--depth", 3)
    assert asked(server) == [*FIRST_HOPS, HOP_ONE_LINKS, ("efetch", "401,402,501"),
                             ("elink", ["401", "402", "501"])]


def test_a_yield_equal_to_the_limit_goes_on(server, tmp_path):
    result = crawl(tmp_path / "lit.db", "--stop-when-yield-below", 7)
    assert "Stopped" not in result.stderr
    assert members_by_hop(tmp_path / "lit.db") == {0: 1, 1: 7, 2: 3}


def test_a_stopped_crawl_continues_when_run_without_the_limit(server, tmp_path):
    db_path = tmp_path / "lit.db"
    first = crawl(db_path, "--stop-when-yield-below", 8)
    assert "Stopped after hop 1" in summary(first)
    assert members_by_hop(db_path) == {0: 1, 1: 7}
    assert asked(server) == FIRST_HOPS
    server.clear_log()
    crawl(db_path)
    # Only what the stopped run left: the hop-1 links and the hop-2 records.
    assert asked(server) == [HOP_ONE_LINKS, ("efetch", "401,402,501")]
    assert members_by_hop(db_path) == {0: 1, 1: 7, 2: 3}
    runs = sqlite_utils.Database(db_path).execute("select command_line from runs order by id").fetchall()
    assert [r[0].split(f" {SEED} ")[1] for r in runs] == [
        "--depth 2 --similar 1 --stop-when-yield-below 8 --sources pubmed", "--depth 2 --similar 1 --sources pubmed"]


def test_zero_is_refused(server, tmp_path):
    result = crawl(tmp_path / "lit.db", "--stop-when-yield-below", 0)
    assert result.exit_code == 2
    assert "Invalid value for '--stop-when-yield-below'" in result.stderr
    assert server.requests == []


def test_the_run_log_never_holds_the_key_or_the_email_given_as_options(server, tmp_path):
    from litbase.store.runs import start_run
    from litbase.store.schema import open_db

    db_path = tmp_path / "lit.db"
    crawl(db_path, "--api-key", "KEY-ON-THE-COMMAND-LINE", "--email", "me@example.org")
    [(command_line,)] = sqlite_utils.Database(db_path).execute("select command_line from runs").fetchall()
    assert command_line == f"litbase fetch {db_path} {SEED} --depth 2 --similar 1 --sources pubmed"
    with pytest.raises(ValueError, match="must not carry --api-key or --email"):
        start_run(open_db(db_path), "fetch", "litbase fetch x.db 1 --api-key K", None, "0.1.0")
