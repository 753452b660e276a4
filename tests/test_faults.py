"""Fault injection: whatever the E-utilities server does, `litbase fetch` loses nothing.

Every scenario runs the same depth-2 crawl (with --similar 2) against the local
server misbehaving on purpose, and ends in one of two ways:

- the same database as a clean run, compared row for row (tests/db_dump.py
  leaves out the volatile columns fetched_at, updated_at, retrieved_at,
  links_fetched_at, computed_at, added_at, created_at, first_seen,
  last_checked, detected_at, imported_at, started_at and the logs `fetches`
  and `graph_runs`);
- or a non-zero exit whose message says what could not be fetched, and a
  rerun against a healthy server that then reaches the clean database.
"""

from __future__ import annotations

import functools

import pytest
from click.testing import CliRunner
from db_dump import differences, dump, duplicate_rows
from eutils_server import Corpus, FakeEutilsServer

import litbase.cli
import litbase.cli.options
from litbase.sources.eutils import EutilsClient

CORPUS = Corpus.random_graph(200, mean_refs=6, seed=3)
SEED = max(CORPUS.articles, key=lambda p: len(CORPUS.get(p).refs) + len(CORPUS.cited_by(p)))
# A short read timeout so that an answer slower than it is a fault worth seconds, not minutes.
TIMEOUT = (2.0, 1.0)
SLOW_DELAY = 3.0  # > the read timeout
# Requests of the clean crawl: seed record, seed links, level-1 records and
# links, level-2 records; then a second pass for the three level-2 articles whose
# deposited reference lists cite the seed: their links and their neighbours' records.
CLEAN_REQUESTS = ["efetch", "elink", "efetch", "elink", "efetch", "elink", "efetch"]
CLEAN_ARTICLES = 144


@pytest.fixture(autouse=True)
def short_timeout(monkeypatch):
    monkeypatch.setattr(litbase.cli.options, "EutilsClient", functools.partial(EutilsClient, timeout=TIMEOUT))


@pytest.fixture
def server(monkeypatch):
    with FakeEutilsServer(CORPUS) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "fault-test-key")  # 10/s keeps the suite quick
        yield fake


def fetch(db_path, *extra):
    return CliRunner().invoke(litbase.cli.cli, [
        "fetch", str(db_path), str(SEED), "--depth", "2", "--similar", "2",
        "--no-progress", "--sources", "pubmed", *extra])


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """The database of a run with no faults, dumped."""
    db_path = tmp_path_factory.mktemp("clean") / "clean.db"
    with pytest.MonkeyPatch.context() as mp, FakeEutilsServer(CORPUS) as fake:
        mp.setenv("LITBASE_EUTILS_URL", fake.base_url)
        mp.setenv("NCBI_API_KEY", "fault-test-key")
        mp.setattr(litbase.cli.options, "EutilsClient", functools.partial(EutilsClient, timeout=TIMEOUT))
        result = fetch(db_path)
        assert result.exit_code == 0, result.output
        assert [r.endpoint for r in fake.requests] == CLEAN_REQUESTS
    rows = dump(db_path)
    assert len(rows["articles"]) - 1 == CLEAN_ARTICLES  # the crawl is big enough to matter, and fixed
    return rows


def asked(server, endpoint) -> list[int]:
    """Every PMID sent to an endpoint, in order (elink repeats id=, efetch joins with commas)."""
    out = []
    for r in server.requests:
        if r.endpoint == endpoint:
            values = r.params["id"] if isinstance(r.params["id"], list) else [r.params["id"]]
            out += [int(p) for v in values for p in v.split(",")]
    return out


def assert_same_as_clean(db_path, clean):
    assert duplicate_rows(db_path) == {}
    diff = differences(dump(db_path), clean)
    assert diff == [], "\n".join(diff)


# (endpoint, kind, times, options): faults a retry gets past.
RECOVERABLE = {
    "429 with Retry-After": ("efetch", "429", 2, {"retry_after": 1}),
    "429 without Retry-After": ("elink", "429", 2, {}),
    "500 HTML page": ("efetch", "500", 2, {}),
    "502 HTML page": ("elink", "502", 2, {}),
    "503 HTML page": ("*", "503", 3, {}),
    "connection reset": ("*", "reset", 3, {}),
    "slower than the read timeout": ("efetch", "slow", 1, {"delay": SLOW_DELAY}),
    "truncated XML in an HTTP 200": ("efetch", "truncate", 2, {"mode": "xml"}),
    "truncated elink XML": ("elink", "truncate", 1, {"mode": "xml"}),
    "body shorter than Content-Length": ("efetch", "truncate", 1, {}),
    "transient <ERROR> inside HTTP 200": ("elink", "error200", 2, {}),
    "efetch returns fewer articles": ("efetch", "drop_records", 1, {"k": 3}),
}


@pytest.mark.parametrize("endpoint, kind, times, options", RECOVERABLE.values(), ids=RECOVERABLE.keys())
def test_recoverable_fault_gives_the_clean_database(server, tmp_path, clean, endpoint, kind, times, options):
    server.inject(endpoint, kind, times=times, **options)
    db_path = tmp_path / "faulty.db"
    result = fetch(db_path)
    assert result.exit_code == 0, result.output
    assert_same_as_clean(db_path, clean)
    faulty = [r for r in server.requests if r.status != 200]
    if kind == "drop_records":
        # The first efetch came back three records short; exactly those were asked again, alone.
        assert [r.endpoint for r in server.requests] == ["efetch", "efetch"] + CLEAN_REQUESTS[1:]
    elif kind in ("slow", "truncate", "error200"):
        # Answered with 200 but unusable (late, cut short, an error): each is one extra request.
        assert len(server.requests) == len(CLEAN_REQUESTS) + times
    else:
        assert len(faulty) == times
        assert len(server.requests) == len(CLEAN_REQUESTS) + times
    if options.get("retry_after"):
        # The next attempt waited as long as the server asked.
        log = server.requests
        first = next(i for i, r in enumerate(log) if r.status == 429)
        assert log[first + 1].time - log[first].time >= options["retry_after"]


# Faults that outlast the client's five attempts, or errors retrying cannot fix.
PERSISTENT = {
    "503 five times": ("efetch", "503", 5, {}, "PubMed (efetch) gave no usable answer in 5 attempts, the last one"
                       " HTTP 503: 503 Error Fake NCBI failure."),
    "reset five times": ("elink", "reset", 5, {}, "PubMed (elink) gave no usable answer in 5 attempts, the last one"
                         " ConnectionError:"),
    "429 five times": ("elink", "429", 5, {"retry_after": 0}, "the last one HTTP 429"),
    "permanent <ERROR> inside HTTP 200": ("elink", "error200", 1, {"message": "Invalid uid list"},
                                          "PubMed (elink) answered with an error: Invalid uid list."),
}
# What each line ends with: what is stored, and what to do.
RESUME = "Everything fetched so far is stored; run the same command again to resume."
PERMANENT_TODO = "Everything fetched so far is stored; asking again will not help: check the PMIDs."


@pytest.mark.parametrize("endpoint, kind, times, options, message", PERSISTENT.values(), ids=PERSISTENT.keys())
def test_persistent_fault_is_reported_and_a_rerun_completes(server, tmp_path, clean, endpoint, kind, times,
                                                            options, message):
    # Let the first two requests through so the failure strikes mid-crawl.
    server.inject(endpoint, "ok", times=1)  # an unknown kind is a no-op that consumes one request
    server.inject(endpoint, kind, times=times, **options)
    db_path = tmp_path / "faulty.db"
    result = fetch(db_path)
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.endswith((PERMANENT_TODO if kind == "error200" else RESUME) + "\n")
    assert result.output.count("\n") == 1  # one line
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert duplicate_rows(db_path) == {}
    stored = {r[0] for r in dump(db_path)["articles"][1:]}
    assert SEED in stored and len(stored) < CLEAN_ARTICLES
    server.clear_log()
    rerun = fetch(db_path)
    assert rerun.exit_code == 0, rerun.output
    assert_same_as_clean(db_path, clean)
    # The rerun asked only for what the failed run had not stored.
    assert not set(asked(server, "efetch")) & stored


def test_a_finished_crawl_run_again_asks_for_nothing(server, tmp_path, clean):
    # Level-2 records carry deposited reference lists that cite the seed, which
    # PubMed's citedin (PMC only) did not list; the crawl's second pass follows them,
    # so a rerun has nothing left to do (before it did: 2 more requests, 3 more articles).
    db_path = tmp_path / "twice.db"
    assert fetch(db_path).exit_code == 0
    server.clear_log()
    result = fetch(db_path)
    assert result.exit_code == 0, result.output
    assert server.requests == []
    assert_same_as_clean(db_path, clean)


def test_records_efetch_keeps_dropping_are_reported_by_pmid(server, tmp_path, clean):
    # The level-2 batch comes back short twice (the answer and the retry for the gap).
    server.inject("efetch", "ok", times=2)
    server.inject("efetch", "drop_records", times=2, k=2)
    db_path = tmp_path / "faulty.db"
    result = fetch(db_path)
    assert result.exit_code == 1
    level2 = [int(p) for p in server.requests[4].params["id"].split(",")]
    lost = sorted(level2[-2:])
    assert [int(p) for p in server.requests[5].params["id"].split(",")] == level2[-2:]
    assert (f"PubMed has no record for PMID {lost[0]}, {lost[1]} (a rerun with --retry-missing asks"
            " again). Everything else is stored.") in result.output
    rows = dump(db_path)
    assert [r[0] for r in rows["missing_pmids"][1:]] == lost
    assert {r[0] for r in rows["articles"][1:]} == {r[0] for r in clean["articles"][1:]} - set(lost)
    # A plain rerun leaves them be, says nothing of them again and, with nothing left to do, exits 0
    # (a cron job does not fail forever on a deleted record); --retry-missing asks for exactly
    # those two and completes.
    server.clear_log()
    rerun = fetch(db_path)
    assert rerun.exit_code == 0, rerun.output
    assert server.count("efetch") == 0 and "no record" not in rerun.output
    result = fetch(db_path, "--retry-missing")
    assert result.exit_code == 0, result.output
    assert [sorted(map(int, r.params["id"].split(","))) for r in server.requests
            if r.endpoint == "efetch"] == [lost]
    assert dump(db_path)["missing_pmids"][1:] == []  # row 0 is the header
    assert_same_as_clean(db_path, clean)


class ElinkForgets(FakeEutilsServer):
    """elink answers an <ERROR> inside the LinkSet of these PMIDs, as NCBI does for an unknown uid."""

    def __init__(self, corpus, forget):
        super().__init__(corpus)
        self.forget = set(forget)

    def _linkset(self, ids, scored):
        if len(ids) == 1 and int(ids[0]) in self.forget:
            return (f"<LinkSet><DbFrom>pubmed</DbFrom><IdList><Id>{ids[0]}</Id></IdList>"
                    f"<ERROR>Invalid uid {ids[0]} at position=0</ERROR></LinkSet>")
        return super()._linkset(ids, scored)


def test_elink_unknown_pmid_is_reported_and_a_rerun_completes(monkeypatch, tmp_path, clean):
    forgotten = CORPUS.get(SEED).similar[0][0]  # level 1 through --similar 2
    db_path = tmp_path / "faulty.db"
    with ElinkForgets(CORPUS, [forgotten]) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        result = fetch(db_path)
        assert result.exit_code == 1
        assert (f"elink did not know PMID {forgotten}: its citing and similar articles are not stored."
                in result.output)
        elinked = asked(fake, "elink")
        assert elinked.count(forgotten) == 1  # not asked again by the crawl's second pass
    rows = dump(db_path)
    assert rows["missing_pmids"][1:] == [(forgotten, "elink did not know this PMID")]
    # The rest of the crawl went on: only what that one article alone would have added is absent.
    assert 100 < len(rows["articles"]) - 1 < CLEAN_ARTICLES
    with FakeEutilsServer(CORPUS) as healthy:
        monkeypatch.setenv("LITBASE_EUTILS_URL", healthy.base_url)
        rerun = fetch(db_path)
        assert rerun.exit_code == 0, rerun.output
        elinked = asked(healthy, "elink")
        assert elinked[0] == forgotten
    assert_same_as_clean(db_path, clean)
