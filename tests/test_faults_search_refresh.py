"""Faults during `litbase search` and `litbase refresh`: one line, nothing half-stored, a rerun completes.

Each scenario runs the command against the local E-utilities server
(tests/eutils_server.py) misbehaving on purpose past the client's five
attempts, then checks the exit status, the exact line printed, the exact
requests (count and parameters), the exact rows stored and the back-off
waits; then reruns against the healthy server and compares the database
with a run that met no fault (tests/db_dump.py leaves out timestamps and the
`fetches` log).

The client sleeps through a recorder (random() = 1.0, so the waits are the
back-off caps 0.5, 1, 2 and 4 s): no test waits for real, and the waits are
asserted exactly.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
import urllib.parse

import click
import pytest
from click.testing import CliRunner
from db_dump import differences, dump, duplicate_rows
from eutils_server import Corpus, FakeEutilsServer
from test_fetch import CITERS, REFS, SEED, seed_corpus

import litbase.cli.options
from litbase.cli import cli
from litbase.cli.options import reports_source_errors, source_error_line
from litbase.parse.icite import IciteParseError
from litbase.parse.pubmed import PubmedParseError
from litbase.sources.eutils import (
    EutilsClient,
    EutilsHTTPError,
    EutilsResponseError,
    EutilsRetriesExhausted,
    EutilsTransportError,
)
from litbase.sources.json_api import SourceFormatError

# Long enough that scrubbing it from error text cannot touch ordinary words.
KEY = "fault-test-key-0123456789"
EMAIL = "faults@example.org"
WAITS = [0.5, 1.0, 2.0, 4.0]  # between the five attempts, random() = 1.0
GARBAGE = b"<html><body><h1>Service Temporarily Unavailable</h1><p>Maintenance</p></body></html>"
RESUME = "Everything fetched so far is stored; run the same command again to resume."


class Server(FakeEutilsServer):
    """The fake E-utilities plus one fault, "garbage": HTTP 200 carrying an HTML page where XML belongs,
    as a proxy's maintenance page does."""

    def __init__(self, corpus):
        super().__init__(corpus)
        # Each request is answered on its handler's thread: arrival and answer share it.
        self._garbage = threading.local()

    def _arrive(self, method, path, params):
        entry, fault = super()._arrive(method, path, params)
        self._garbage.now = fault is not None and fault[0] == "garbage"
        return entry, fault

    def respond(self, endpoint, params, drop=0):
        if getattr(self._garbage, "now", False):
            return GARBAGE
        return super().respond(endpoint, params, drop)


@pytest.fixture
def waits(monkeypatch):
    """The back-off waits of every client the command line builds, recorded instead of slept."""
    slept = []
    monkeypatch.setattr(litbase.cli.options, "EutilsClient", functools.partial(
        EutilsClient, sleep=slept.append, random=lambda: 1.0, timeout=(2.0, 5.0)))
    return slept


def point_at(monkeypatch, server):
    monkeypatch.setenv("LITBASE_EUTILS_URL", server.base_url)
    monkeypatch.setenv("NCBI_API_KEY", KEY)
    monkeypatch.setenv("NCBI_EMAIL", EMAIL)


def invoke(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def sent(server) -> list[tuple[str, dict]]:
    """(endpoint, parameters) of every request, identity checked and left out."""
    out = []
    for r in server.requests:
        params = dict(r.params)
        assert (params.pop("tool"), params.pop("email"), params.pop("api_key")) == ("litbase", EMAIL, KEY)
        out.append((r.endpoint, params))
    return out


def rows(db_path, sql) -> list[tuple]:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def assert_no_identity(text: str) -> None:
    # The key and the e-mail (as given and as a URL carries it) go to NCBI only.
    for secret in (KEY, EMAIL, urllib.parse.quote(EMAIL)):
        assert secret not in text


def attempts_logged(db_path) -> list[tuple]:
    """The fetches log, checked to hold neither the key nor the e-mail."""
    assert_no_identity(repr(rows(db_path, "select * from fetches")))
    return rows(db_path, "select endpoint, attempt, outcome from fetches order by id")


def assert_one_line(result, line):
    assert result.exit_code == 1
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert result.output == f"Error: {line}\n"


def assert_same_as(db_path, expected):
    assert duplicate_rows(db_path) == {}
    diff = differences(dump(db_path), expected)
    assert diff == [], "\n".join(diff)


# The last attempt's error, as the line reports it. A reset reaches requests as an
# end of file or a reset, depending on which the kernel reports first.
RESET = ("ConnectionError: ('Connection aborted.', RemoteDisconnected('Remote end closed connection"
         " without response'))", "ConnectionError: ('Connection aborted.', ConnectionResetError(104,"
                                  " 'Connection reset by peer'))")
# (kind, options, the last error): faults that outlast five attempts.
PERSISTENT = {
    "503 past the retries": ("503", {}, "HTTP 503: 503 Error Fake NCBI failure"),
    "429 past the retries": ("429", {"retry_after": 0},
                             'HTTP 429: {"error":"API rate limit exceeded","count":"11"}'),
    "connection reset": ("reset", {}, RESET),
    "truncated XML in an HTTP 200": ("truncate", {"mode": "xml"}, "XML body cut short (no closing </{root}>)"),
    # A body that is not XML at all fails the same check: its root never closes.
    "garbage in an HTTP 200": ("garbage", {}, "the answer is not {root} XML; it begins:"
                                              " 'Service Temporarily Unavailable Maintenance'"),
    "transient <ERROR> in an HTTP 200": ("error200", {}, "NCBI error: Unable to obtain query #1"),
}


def gave_up(endpoint, last, root):
    lasts = last if isinstance(last, tuple) else (last,)
    return {f"PubMed ({endpoint}) gave no usable answer in 5 attempts, the last one"
            f" {one.replace('{root}', root)}. {RESUME}" for one in lasts}


# --- search ----------------------------------------------------------------------------------

TERM = "peer support"
COLLECTION = "search-peer-support"
HITS = list(range(7000, 7600))  # 600 hits: two efetch pages of the history (500 and 100)
NEWEST = HITS[100:]  # the first page: PubMed lists the newest (highest PMID) first


def search_corpus() -> Corpus:
    corpus = Corpus()
    corpus.register_term(TERM, count=len(HITS), first_pmid=HITS[0], years=(2000, 2019))
    return corpus


ESEARCH = ("esearch", {"db": "pubmed", "term": TERM, "usehistory": "y", "retmax": "9999"})


def history_page(webenv_number, retstart, retmax):
    return ("efetch", {"db": "pubmed", "retmode": "xml", "WebEnv": f"MCID_fake{webenv_number:06d}",
                       "query_key": "1", "retstart": str(retstart), "retmax": str(retmax)})


def search(db_path):
    return invoke("search", db_path, TERM, "--no-progress")


@pytest.fixture(scope="module")
def clean_search(tmp_path_factory):
    """The database of a search that met no fault, dumped."""
    db_path = tmp_path_factory.mktemp("clean") / "search.db"
    with pytest.MonkeyPatch.context() as mp, Server(search_corpus()) as server:
        point_at(mp, server)
        result = search(db_path)
        assert result.exit_code == 0, result.output
        assert sent(server) == [ESEARCH, history_page(1, 0, 500), history_page(1, 500, 100)]
    return dump(db_path)


@pytest.fixture
def search_server(monkeypatch, waits):
    with Server(search_corpus()) as server:
        point_at(monkeypatch, server)
        yield server


@pytest.mark.parametrize("kind, options, last", PERSISTENT.values(), ids=PERSISTENT.keys())
def test_search_fault_on_the_second_page(search_server, waits, tmp_path, clean_search, kind, options, last):
    search_server.inject("efetch", "ok")  # an unknown kind: the first page goes through
    search_server.inject("efetch", kind, times=5, **options)
    db_path = tmp_path / "s.db"
    result = search(db_path)
    assert result.exit_code == 1
    assert result.output.removeprefix("Error: ").removesuffix("\n") in gave_up("efetch", last, "PubmedArticleSet")
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert sent(search_server) == [ESEARCH, history_page(1, 0, 500)] + [history_page(1, 500, 100)] * 5
    assert waits == WAITS
    assert attempts_logged(db_path) == [("esearch", 1, "ok"), ("efetch", 1, "ok")] + [
        ("efetch", n, "retry") for n in range(1, 5)] + [("efetch", 5, "error")]
    # The first page is stored whole, the second not at all; the collection lists
    # every hit, and its stored count waits for a search that finishes.
    assert [r[0] for r in rows(db_path, "select pmid from articles order by pmid")] == NEWEST
    assert rows(db_path, "select count(distinct pmid), min(pmid), max(pmid) from articles_authors") == [
        (500, NEWEST[0], NEWEST[-1])]
    assert rows(db_path, "select name, query, query_count, stored_count from collections") == [
        (COLLECTION, TERM, 600, None)]
    assert rows(db_path, "select role, depth, count(*), min(pmid), max(pmid) from collections_articles"
                         " group by 1, 2") == [("search", 0, 600, HITS[0], HITS[-1])]
    # Nothing a clean search would not have stored, but for that count.
    failed = dump(db_path)
    extra = {t: set(failed[t][1:]) - set(clean_search[t][1:]) for t in failed}
    header, (clean_row,) = clean_search["collections"][0], clean_search["collections"][1:]
    unfinished = tuple(None if column == "stored_count" else v for column, v in zip(header, clean_row))
    assert {t: r for t, r in extra.items() if r} == {"collections": {unfinished}}
    assert duplicate_rows(db_path) == {}
    # The rerun searches again (a new result set) and asks only for the second page.
    search_server.clear_log()
    rerun = search(db_path)
    assert rerun.exit_code == 0, rerun.output
    assert sent(search_server) == [ESEARCH, history_page(2, 500, 100)]
    assert_same_as(db_path, clean_search)


def test_search_fault_on_the_query_stores_nothing(search_server, waits, tmp_path, clean_search):
    search_server.inject("esearch", "503", times=5)
    db_path = tmp_path / "s.db"
    result = search(db_path)
    (line,) = gave_up("esearch", "HTTP 503: 503 Error Fake NCBI failure", "")
    assert_one_line(result, line)
    assert sent(search_server) == [ESEARCH] * 5
    assert waits == WAITS
    assert [t for t, table_rows in dump(db_path).items() if len(table_rows) > 1] == []
    assert attempts_logged(db_path) == [("esearch", n, "retry") for n in range(1, 5)] + [("esearch", 5, "error")]
    search_server.clear_log()
    assert search(db_path).exit_code == 0
    assert sent(search_server) == [ESEARCH, history_page(1, 0, 500), history_page(1, 500, 100)]
    assert_same_as(db_path, clean_search)


def test_search_permanent_error_in_http_200_is_not_retried(search_server, waits, tmp_path, clean_search):
    search_server.inject("esearch", "error200", message="Invalid query syntax")
    db_path = tmp_path / "s.db"
    result = search(db_path)
    assert_one_line(result, "PubMed (esearch) answered with an error: Invalid query syntax. Everything"
                            " fetched so far is stored; asking again will not help: check the query.")
    assert sent(search_server) == [ESEARCH]
    assert waits == []
    assert [t for t, table_rows in dump(db_path).items() if len(table_rows) > 1] == []
    search_server.clear_log()
    assert search(db_path).exit_code == 0
    assert len(search_server.requests) == 3
    assert_same_as(db_path, clean_search)


def test_search_body_cut_short_by_the_connection(search_server, waits, tmp_path, clean_search):
    # Content-Length promises the whole page, half arrives, the server hangs up.
    search_server.inject("efetch", "ok")
    search_server.inject("efetch", "truncate", times=5)
    db_path = tmp_path / "s.db"
    result = search(db_path)
    assert_one_line(result, "PubMed (efetch) gave no usable answer in 5 attempts, the last one"
                            " ChunkedEncodingError: ('Connection broken: IncompleteRead(44530 bytes read,"
                            " 44531 more expected)', IncompleteRead(44530 bytes read, 44531 more expected))."
                            f" {RESUME}")
    assert sent(search_server) == [ESEARCH, history_page(1, 0, 500)] + [history_page(1, 500, 100)] * 5
    assert waits == WAITS
    assert [r[0] for r in rows(db_path, "select pmid from articles order by pmid")] == NEWEST
    search_server.clear_log()
    assert search(db_path).exit_code == 0
    assert sent(search_server) == [ESEARCH, history_page(2, 500, 100)]
    assert_same_as(db_path, clean_search)


def test_search_with_nothing_listening_masks_key_and_email(waits, monkeypatch, tmp_path):
    with Server(search_corpus()) as gone:
        point_at(monkeypatch, gone)  # then closed: every connection is refused
        port = urllib.parse.urlsplit(gone.base_url).port
    db_path = tmp_path / "s.db"
    result = search(db_path)
    # A refused connection is named as such after three quick tries, in a sentence: not the
    # back-off meant for a busy server, and not requests' message (which quotes the URL, query and all).
    assert_one_line(result, f"PubMed (127.0.0.1) could not be reached: the connection was refused. {RESUME}")
    assert_no_identity(result.output)
    assert waits == [0.2, 0.2]
    assert attempts_logged(db_path) == [("esearch", 1, "retry"), ("esearch", 2, "retry"), ("esearch", 3, "error")]
    assert [t for t, table_rows in dump(db_path).items() if len(table_rows) > 1] == []


# --- refresh ---------------------------------------------------------------------------------

MEMBERS = sorted([SEED, *REFS, *CITERS])
REFRESHED = f"pmid-{SEED}"
NEW_CITER = 303
CORRECTED = (REFS[0], "record_corrected", None, "title changed (record revised 2024-05-01)", REFRESHED)
NEW_CITING = (SEED, "new_citing", NEW_CITER, "PubMed lists a new citing article", REFRESHED)


def change_the_corpus(corpus: Corpus) -> None:
    """What happens at PubMed between the fetch and the refresh: a correction and a new citing article."""
    corpus.add(NEW_CITER, refs=[SEED], in_pmc=True, year=2024, title="A new citing article")
    corpus.get(REFS[0]).title = "Corrected title"
    corpus.get(REFS[0]).date_revised = "2024-05-01"


def records(pmids):
    return ("efetch", {"db": "pubmed", "retmode": "xml", "id": ",".join(map(str, pmids))})


def links(pmids):
    return ("elink", {"dbfrom": "pubmed", "db": "pubmed", "cmd": "neighbor_score", "id": list(map(str, pmids))})


CLEAN_REFRESH = [records(MEMBERS), links(MEMBERS), records([NEW_CITER])]


def refresh(db_path):
    return invoke("refresh", db_path, "--collection", REFRESHED, "--no-progress")


def fetched_then_changed(db_path, server) -> dict:
    """Fetch the seed's neighbourhood, then change PubMed; the dump before any refresh."""
    result = invoke("fetch", db_path, SEED, "--no-progress", "--sources", "pubmed")
    assert result.exit_code == 0, result.output
    change_the_corpus(server.corpus)
    server.clear_log()
    return dump(db_path)


def changes(db_path) -> list[tuple]:
    return rows(db_path, "select pmid, what, related_pmid, detail, collection from changes order by id")


@pytest.fixture(scope="module")
def clean_refresh(tmp_path_factory):
    """The database of a refresh that met no fault, dumped."""
    db_path = tmp_path_factory.mktemp("clean") / "refresh.db"
    with pytest.MonkeyPatch.context() as mp, Server(seed_corpus()) as server:
        point_at(mp, server)
        fetched_then_changed(db_path, server)
        result = refresh(db_path)
        assert result.exit_code == 0, result.output
        assert sent(server) == CLEAN_REFRESH
    assert changes(db_path) == [CORRECTED, NEW_CITING]
    return dump(db_path)


@pytest.fixture
def refresh_server(monkeypatch, waits):
    with Server(seed_corpus()) as server:
        point_at(monkeypatch, server)
        yield server


def changed_rows(before: dict, after: dict) -> dict:
    """{table: (rows gone, rows new)} for every table that differs."""
    out = {}
    for table in after:
        gone = set(before.get(table, [])[1:]) - set(after[table][1:])
        new = set(after[table][1:]) - set(before.get(table, [])[1:])
        if gone or new:
            out[table] = (gone, new)
    return out


@pytest.mark.parametrize("kind, options, last", PERSISTENT.values(), ids=PERSISTENT.keys())
def test_refresh_fault_on_the_links(refresh_server, waits, tmp_path, clean_refresh, kind, options, last):
    db_path = tmp_path / "r.db"
    before = fetched_then_changed(db_path, refresh_server)
    logged_before = len(attempts_logged(db_path))  # the fetch's own requests
    refresh_server.inject("elink", kind, times=5, **options)
    result = refresh(db_path)
    assert result.exit_code == 1
    assert result.output.removeprefix("Error: ").removesuffix("\n") in gave_up("elink", last, "eLinkResult")
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert sent(refresh_server) == [records(MEMBERS)] + [links(MEMBERS)] * 5
    assert waits == WAITS
    assert attempts_logged(db_path)[logged_before:] == [("efetch", 1, "ok")] + [
        ("elink", n, "retry") for n in range(1, 5)] + [("elink", 5, "error")]
    # The records' batch is stored whole, with its change row; nothing of the links.
    after = dump(db_path)
    diff = changed_rows(before, after)
    assert sorted(diff) == ["articles", "articles_fts", "changes"]
    assert changes(db_path) == [CORRECTED]
    (old,), (new,) = diff["articles"]
    assert (old[0], new[0]) == (REFS[0], REFS[0])
    assert [r[0] for r in rows(db_path, "select pmid from articles order by pmid")] == MEMBERS
    assert rows(db_path, f"select title from articles where pmid = {REFS[0]}") == [("Corrected title",)]
    refresh_server.clear_log()
    rerun = refresh(db_path)
    assert rerun.exit_code == 0, rerun.output
    # Records again (nothing new in them now), the links, the new citing article's record.
    assert sent(refresh_server) == CLEAN_REFRESH
    assert changes(db_path) == [CORRECTED, NEW_CITING]
    assert_same_as(db_path, clean_refresh)


def test_refresh_fault_on_the_records_stores_nothing(refresh_server, waits, tmp_path, clean_refresh):
    db_path = tmp_path / "r.db"
    before = fetched_then_changed(db_path, refresh_server)
    refresh_server.inject("efetch", "garbage", times=5)
    result = refresh(db_path)
    (line,) = gave_up("efetch", "the answer is not PubmedArticleSet XML; it begins:"
                              " 'Service Temporarily Unavailable Maintenance'", "")
    assert_one_line(result, line)
    assert sent(refresh_server) == [records(MEMBERS)] * 5
    assert waits == WAITS
    assert changed_rows(before, dump(db_path)) == {}
    refresh_server.clear_log()
    assert refresh(db_path).exit_code == 0
    assert sent(refresh_server) == CLEAN_REFRESH
    assert_same_as(db_path, clean_refresh)


def test_refresh_permanent_error_in_http_200(refresh_server, waits, tmp_path, clean_refresh):
    db_path = tmp_path / "r.db"
    fetched_then_changed(db_path, refresh_server)
    refresh_server.inject("elink", "error200", message="Invalid uid list")
    result = refresh(db_path)
    assert_one_line(result, "PubMed (elink) answered with an error: Invalid uid list. Everything fetched"
                            " so far is stored; asking again will not help: check the collection's PMIDs.")
    assert sent(refresh_server) == [records(MEMBERS), links(MEMBERS)]
    assert waits == []
    assert changes(db_path) == [CORRECTED]
    refresh_server.clear_log()
    assert refresh(db_path).exit_code == 0
    assert sent(refresh_server) == CLEAN_REFRESH
    assert_same_as(db_path, clean_refresh)


def test_refresh_body_cut_short_by_the_connection(refresh_server, waits, tmp_path, clean_refresh):
    # Content-Length promises the whole elink answer, half arrives, the server hangs up.
    db_path = tmp_path / "r.db"
    fetched_then_changed(db_path, refresh_server)
    refresh_server.inject("elink", "truncate", times=5)
    result = refresh(db_path)
    assert_one_line(result, "PubMed (elink) gave no usable answer in 5 attempts, the last one"
                            " ChunkedEncodingError: ('Connection broken: IncompleteRead(3196 bytes read,"
                            " 3196 more expected)', IncompleteRead(3196 bytes read, 3196 more expected))."
                            f" {RESUME}")
    assert sent(refresh_server) == [records(MEMBERS)] + [links(MEMBERS)] * 5
    assert waits == WAITS
    assert changes(db_path) == [CORRECTED]
    refresh_server.clear_log()
    assert refresh(db_path).exit_code == 0
    assert sent(refresh_server) == CLEAN_REFRESH
    assert_same_as(db_path, clean_refresh)


# --- the line itself -------------------------------------------------------------------------

STORED = "Everything fetched so far is stored"


@pytest.mark.parametrize("error, line", [
    (EutilsRetriesExhausted("idconv", 2, EutilsTransportError(
        "idconv", "ConnectionError: /idconv/?ids=PMC8&tool=litbase&email=me%40example.org&api_key=***")),
     "NCBI's ID converter (idconv) gave no usable answer in 2 attempts, the last one ConnectionError:"
     f" /idconv/?ids=PMC8&tool=litbase&email=***&api_key=***. {RESUME}"),
    (EutilsHTTPError("efetch", 414, "Request-URI Too Long"),
     f"PubMed (efetch) failed: HTTP 414: Request-URI Too Long. {STORED}; asking again will not help:"
     " check the PMIDs."),
    (EutilsResponseError("elink", "Unable to obtain query #1", transient=True),
     f"PubMed (elink) answered with an error: Unable to obtain query #1. {RESUME}"),
    (SourceFormatError("europepmc/references", "the answer is not a JSON object"),
     f"Europe PMC (europepmc/references) sent an answer litbase cannot read: the answer is not a JSON"
     f" object. {RESUME}"),
    # A parser's error that reached the command without read_answer: named by the service it reads;
    # its own full stop and line break do not make a second sentence or a second line.
    (PubmedParseError("malformed PubMed XML in <bytes> at line 1,\ncolumn 7."),
     f"PubMed sent an answer litbase cannot read: malformed PubMed XML in <bytes> at line 1, column 7. {RESUME}"),
    (IciteParseError("record 1 has no PMID"),
     f"iCite sent an answer litbase cannot read: record 1 has no PMID. {RESUME}"),
])
def test_the_line_names_the_service_and_what_to_do(error, line):
    assert source_error_line(error, STORED, "the PMIDs") == line


def test_reports_source_errors_closes_first_and_exits_with_one_line():
    closed = []
    with pytest.raises(click.ClickException) as caught:
        with reports_source_errors(check="the query", before=lambda: closed.append(True)):
            raise EutilsResponseError("esearch", "Invalid query syntax")
    assert closed == [True]
    assert (caught.value.exit_code, caught.value.message) == (1, (
        f"PubMed (esearch) answered with an error: Invalid query syntax. {STORED}; asking again will"
        " not help: check the query."))
    # Anything else is not a source's failure and passes through untouched.
    with pytest.raises(KeyError):
        with reports_source_errors(before=lambda: closed.append(True)):
            raise KeyError("x")
    assert closed == [True]
