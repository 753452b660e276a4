"""EutilsClient against the fake E-utilities server: exact requests, retries, errors, rate."""

import threading
import time
import traceback
import urllib.parse
from datetime import datetime

import pytest
from eutils_server import Corpus, FakeEutilsServer

from litbase.cli.options import Services
from litbase.sources.eutils import (
    EutilsClient,
    EutilsHTTPError,
    EutilsResponseError,
    EutilsRetriesExhausted,
    EutilsTransportError,
    RateLimiter,
)
from litbase.parse.eutils import parse_elink, parse_esearch

KEY = "KEY-s3cret-0123456789"
EMAIL = "dev@example.org"


@pytest.fixture
def server(eutils_server):
    for pmid in (101, 102, 103):
        eutils_server.corpus.add(pmid, refs=[101] if pmid != 101 else [], in_pmc=True)
    eutils_server.corpus.add(104, title="Peer support during residency training")
    for pmid in range(1000, 1300):
        eutils_server.corpus.add(pmid)
    return eutils_server


@pytest.fixture
def log():
    return {"rows": [], "waits": []}


def make_client(server, log, **kwargs):
    options = dict(email=EMAIL, api_key=KEY, base_url=server.base_url, limiter=RateLimiter(1000),
                   on_request=log["rows"].append, sleep=log["waits"].append, random=lambda: 1.0,
                   timeout=(2.0, 5.0))
    options.update(kwargs)
    return EutilsClient(**options)


def pmids_in(body: bytes) -> list[int]:
    from lxml import etree

    return [int(p) for p in etree.fromstring(body).xpath("//MedlineCitation/PMID/text()")]


def test_identity_on_every_request(server, log):
    client = make_client(server, log)
    client.efetch_pubmed([101])
    client.elink_pubmed([101])
    client.esearch("all[sb]")
    assert [r.endpoint for r in server.requests] == ["efetch", "elink", "esearch"]
    for r in server.requests:
        assert (r.params["tool"], r.params["email"], r.params["api_key"]) == ("litbase", EMAIL, KEY)


def test_on_request_row_is_complete_and_keyless(server, log):
    ticks = iter([10.0, 10.25])  # the clock read when the request starts and when it ends
    body = make_client(server, log, clock=lambda: next(ticks)).efetch_pubmed([101, 102])
    (row,) = log["rows"]
    started = row.pop("started_at")
    assert row == {"endpoint": "efetch", "method": "GET", "status": 200, "bytes": len(body),
                   "attempt": 1, "outcome": "ok", "error": None, "seconds": 0.25,
                   "params": {"db": "pubmed", "retmode": "xml", "id": "101,102", "tool": "litbase",
                              "email": EMAIL}}
    assert datetime.fromisoformat(started).tzinfo is not None


def test_key_never_leaks_even_when_connection_refused(log):
    with FakeEutilsServer() as dead:
        url = dead.base_url
    client = EutilsClient(email=EMAIL, api_key=KEY, base_url=url, limiter=RateLimiter(1000),
                          on_request=log["rows"].append, sleep=log["waits"].append, max_attempts=2)
    with pytest.raises(EutilsRetriesExhausted) as info:
        client.efetch_pubmed([1])
    text = "".join(traceback.format_exception(info.value)) + repr(client) + str(log["rows"])
    # A refused connection is named as such, without the URL requests puts in its message.
    assert str(info.value.last_error).endswith("127.0.0.1 could not be reached: the connection was refused")
    assert KEY not in text
    assert [row["outcome"] for row in log["rows"]] == ["retry", "error"]
    assert isinstance(info.value.last_error, EutilsTransportError)


def test_the_client_reads_no_environment(monkeypatch):
    # Only litbase.cli reads the environment; a library caller gets what it asked for.
    monkeypatch.setenv("LITBASE_EUTILS_URL", "http://127.0.0.1:9/elsewhere/")
    monkeypatch.setenv("NCBI_EMAIL", "env@example.org")
    monkeypatch.setenv("NCBI_API_KEY", "ENVKEY")
    client = EutilsClient(limiter=RateLimiter(1000))
    assert (client.email, repr(client)) == (
        None, "EutilsClient(base_url='https://eutils.ncbi.nlm.nih.gov/entrez/eutils/', has_api_key=False)")


def test_the_command_line_hands_the_environment_to_the_client(server, log, monkeypatch):
    monkeypatch.setenv("LITBASE_EUTILS_URL", server.base_url.rstrip("/"))
    monkeypatch.setenv("LITBASE_IDCONV_URL", server.idconv_url)
    services = Services.from_environment(api_key="ENVKEY", email="env@example.org")
    assert "ENVKEY" not in repr(services)
    client = services.eutils(limiter=RateLimiter(1000))
    assert client.base_url == server.base_url
    assert services.idconv(limiter=RateLimiter(1000)).base_url == server.idconv_url
    client.efetch_pubmed([101])
    (r,) = server.requests
    assert (r.path, r.params["email"], r.params["api_key"]) == ("/entrez/eutils/efetch.fcgi", "env@example.org", "ENVKEY")


def test_get_below_200_ids(server, log):
    ids = list(range(1000, 1199))
    assert pmids_in(make_client(server, log).efetch_pubmed(ids)) == ids
    (r,) = server.requests
    assert r.method == "GET" and r.params["id"] == ",".join(map(str, ids))


def test_post_from_200_ids(server, log):
    ids = list(range(1000, 1200))
    assert pmids_in(make_client(server, log).efetch_pubmed(ids)) == ids
    (r,) = server.requests
    assert r.method == "POST" and r.params["id"] == ",".join(map(str, ids))
    assert "api_key" not in log["rows"][0]["params"] and log["rows"][0]["method"] == "POST"


def test_elink_repeated_ids_one_linkset_each(server, log):
    body = make_client(server, log).elink_pubmed([101, 102, 103])
    (r,) = server.requests
    assert (r.method, r.params["id"], r.params["cmd"], "linkname" in r.params) == (
        "GET", ["101", "102", "103"], "neighbor_score", False)
    sets = parse_elink(body)
    assert [s["pmid"] for s in sets] == [101, 102, 103]
    assert [s["cited_by"] for s in sets] == [[103, 102], [], []]
    assert [s["refs"] for s in sets] == [[], [101], [101]]


def test_elink_many_ids_posts_repeated_ids(server, log):
    ids = list(range(1000, 1250))
    sets = parse_elink(make_client(server, log).elink_pubmed(ids))
    (r,) = server.requests
    assert r.method == "POST" and r.params["id"] == [str(i) for i in ids]
    assert [s["pmid"] for s in sets] == ids


def test_long_query_uses_post(server, log):
    term = " AND ".join(["peer support"] * 160)  # about 2,400 characters
    result = parse_esearch(make_client(server, log).esearch(term))
    assert server.requests[0].method == "POST" and result["ids"] == [104]


def test_429_twice_then_success(server, log):
    server.inject("efetch", "429", times=2)
    assert pmids_in(make_client(server, log).efetch_pubmed([101])) == [101]
    assert [r.status for r in server.requests] == [429, 429, 200]
    assert [row["outcome"] for row in log["rows"]] == ["retry", "retry", "ok"]
    assert log["waits"] == [0.5, 1.0]  # full jitter with random() == 1.0: base * 2**(n-1)


def test_retry_after_used_when_longer_than_backoff(server, log):
    server.inject("efetch", "429", retry_after=7)
    server.inject("efetch", "429", retry_after=0)
    make_client(server, log).efetch_pubmed([101])
    assert server.count() == 3
    assert log["waits"] == [7.0, 1.0]


def test_backoff_is_jittered_and_capped(server, log):
    server.inject("esearch", "500", times=4)
    make_client(server, log, random=lambda: 0.5, backoff_base=10.0, backoff_cap=30.0).esearch("all[sb]")
    assert log["waits"] == [5.0, 10.0, 15.0, 15.0]


@pytest.mark.parametrize("kind", ["500", "502", "503", "504", "reset", "truncate", "error200"])
def test_transient_failures_are_retried(server, log, kind):
    server.inject("efetch", kind)
    assert pmids_in(make_client(server, log).efetch_pubmed([101, 102])) == [101, 102]
    assert server.count() == 2
    assert [row["outcome"] for row in log["rows"]] == ["retry", "ok"]
    assert log["rows"][0]["error"].startswith("efetch: ")


def test_xml_cut_short_inside_http_200_is_retried(server, log):
    server.inject("elink", "truncate", mode="xml")
    sets = parse_elink(make_client(server, log).elink_pubmed([101]))
    assert [s["pmid"] for s in sets] == [101]
    assert [r.status for r in server.requests] == [200, 200]
    assert "cut short" in log["rows"][0]["error"] and log["rows"][0]["status"] == 200


def test_read_timeout_is_retried(server, log):
    server.inject("esearch", "slow", delay=1.5)
    client = make_client(server, log, timeout=(2.0, 0.3))
    assert parse_esearch(client.esearch("all[sb]", retmax=0))["count"] == 304
    # Had the client waited the 1.5 s for the slow answer, there would be one request and no error.
    assert server.count() == 2
    assert [(row["outcome"], row["status"]) for row in log["rows"]] == [("retry", None), ("ok", 200)]
    port = urllib.parse.urlsplit(server.base_url).port
    assert log["rows"][0]["error"] == (f"esearch: ReadTimeout: HTTPConnectionPool(host='127.0.0.1', port={port}):"
                                       " Read timed out. (read timeout=0.3)")
    assert log["waits"] == [0.5]


@pytest.mark.parametrize("kind", ["400", "404", "414"])
def test_other_4xx_raise_at_once(server, log, kind):
    server.inject("efetch", kind, times=3)
    with pytest.raises(EutilsHTTPError) as info:
        make_client(server, log).efetch_pubmed([101])
    assert (info.value.status, info.value.endpoint, server.count()) == (int(kind), "efetch", 1)
    assert log["waits"] == [] and log["rows"][0]["outcome"] == "error"


def test_unknown_endpoint_is_404(server, log):
    with pytest.raises(EutilsHTTPError) as info:
        make_client(server, log).request("nosuch", {"db": "pubmed"})
    assert info.value.status == 404 and server.count() == 1


def test_retries_exhausted_after_max_attempts(server, log):
    server.inject("efetch", "503", times=10)
    with pytest.raises(EutilsRetriesExhausted) as info:
        make_client(server, log).efetch_pubmed([101])
    assert (info.value.attempts, server.count(), len(log["waits"])) == (5, 5, 4)
    assert isinstance(info.value.last_error, EutilsHTTPError) and info.value.last_error.status == 503
    assert [row["outcome"] for row in log["rows"]] == ["retry"] * 4 + ["error"]


def test_transient_error_in_200_exhausts_as_response_error(server, log):
    server.inject("efetch", "error200", times=5, message="Unable to obtain query #1")
    with pytest.raises(EutilsRetriesExhausted) as info:
        make_client(server, log).efetch_pubmed([101])
    assert isinstance(info.value.last_error, EutilsResponseError) and server.count() == 5
    assert info.value.last_error.ncbi_message == "Unable to obtain query #1"


def test_permanent_error_in_200_raises_at_once(server, log):
    server.inject("efetch", "error200", times=3, message="Empty id list - nothing todo")
    with pytest.raises(EutilsResponseError) as info:
        make_client(server, log).efetch_pubmed([101])
    assert str(info.value) == "efetch: NCBI error: Empty id list - nothing todo"
    assert server.count() == 1 and not info.value.transient


def test_invalid_query_raises_once(server, log):
    with pytest.raises(EutilsResponseError, match="esearch: NCBI error: Invalid query"):
        make_client(server, log).esearch("(peer support")
    assert server.count() == 1


def test_phrase_not_found_is_not_an_error(server, log):
    result = parse_esearch(make_client(server, log).esearch("zebrafish[ti]"))
    assert (result["count"], result["phrases_not_found"], result["warnings"]) == (
        0, ["zebrafish"], ["OutputMessage: No items found."])


def test_esearch_cap_and_history_paging(server, log):
    ids = server.corpus.register_term("big query", count=12000)
    client = make_client(server, log)
    first = parse_esearch(client.esearch("big query", usehistory="y", retmax=0))
    assert (first["count"], first["ids"], first["query_key"]) == (12000, [], "1")
    page = client.efetch_history(first["webenv"], first["query_key"], retstart=9000, retmax=999)
    assert pmids_in(page) == sorted(ids, reverse=True)[9000:9999]
    with pytest.raises(EutilsResponseError, match="cannot be larger than 9998"):
        client.esearch("big query", retstart=9990, retmax=20)
    assert server.count() == 3


def test_linkset_error_for_unknown_pmid_does_not_raise(server, log):
    sets = parse_elink(make_client(server, log).elink_pubmed([101, 99999999]))
    assert [(s["pmid"], s["error"]) for s in sets] == [(101, None), (99999999, "Invalid uid 99999999 at position=0")]


def test_dropped_records_come_back_short_without_error(server, log):
    server.inject("efetch", "drop_records", k=2)
    assert pmids_in(make_client(server, log).efetch_pubmed([101, 102, 103])) == [101]


def test_json_bodies():
    client = EutilsClient(base_url="http://127.0.0.1:9/", limiter=RateLimiter(1))
    with pytest.raises(EutilsResponseError, match="Invalid query syntax"):
        client._check("esearch", 200, b'{"esearchresult": {"ERROR": "Invalid query syntax"}}', None)
    with pytest.raises(EutilsHTTPError) as info:
        client._check("esearch", 200, b'{"error":"API rate limit exceeded","count":"11"}', None)
    assert info.value.status == 429 and info.value.retryable
    with pytest.raises(EutilsTransportError):
        client._check("esearch", 200, b'{"esearchresult": {"count": "1', None)


def test_limiter_is_shared_per_server_and_key_kind():
    a = EutilsClient(base_url="http://127.0.0.1:1/x/")
    b = EutilsClient(base_url="http://127.0.0.1:1/x")
    keyed = EutilsClient(base_url="http://127.0.0.1:1/x/", api_key="k")
    assert a.limiter is b.limiter and a.limiter is not keyed.limiter
    assert (a.limiter.max_requests, keyed.limiter.max_requests) == (3, 10)


class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_rate_limiter_with_fake_clock():
    clock = FakeClock()
    limiter = RateLimiter(3, window=1.0, margin=0.02, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(7):
        limiter.acquire()
        starts.append(round(clock.now - 100.0, 6))
    assert starts == [0.0, 0.0, 0.0, 1.02, 1.02, 1.02, 2.04]
    clock.now += 0.5
    assert limiter.acquire() == 0.0  # 2.04 + 0.5: only two starts remain in the trailing window


class ThreadClock:
    """A fake clock for several threads: sleeping moves it on for everyone, and each
    thread remembers the last time it read, which is the start the limiter recorded."""

    def __init__(self):
        self.now, self.lock, self.local = 100.0, threading.Lock(), threading.local()

    def __call__(self):
        with self.lock:
            self.local.read = now = self.now
        time.sleep(0)  # let another thread in between reading the time and using it
        return now

    def sleep(self, seconds):
        with self.lock:
            self.now += seconds
        time.sleep(0)


def test_rate_limiter_is_thread_safe():
    clock = ThreadClock()
    # A margin that binary floating point holds exactly, so the spans compare exactly.
    limiter = RateLimiter(3, window=1.0, margin=0.25, clock=clock, sleep=clock.sleep)
    starts, lock = [], threading.Lock()

    def work():
        for _ in range(5):
            limiter.acquire()
            with lock:
                starts.append(clock.local.read)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    starts.sort()
    assert len(starts) == 20
    # Any 3 + 1 consecutive starts span at least the window and its margin, on the fake clock.
    assert min(starts[i + 3] - starts[i] for i in range(len(starts) - 3)) >= 1.25
    assert starts[:3] == [100.0] * 3


def test_twelve_real_requests_never_exceed_three_per_second():
    with FakeEutilsServer(Corpus(), enforce_rate_limit=3) as server:
        client = EutilsClient(email=EMAIL, base_url=server.base_url, sleep=lambda s: None)
        for _ in range(12):
            client.esearch("all[sb]")
        # Counted by the server from its own arrival times, as NCBI counts: 12 requests at
        # no more than 3 in any second, and none refused with a 429.
        assert server.count() == 12 and {r.status for r in server.requests} == {200}
        assert server.max_requests_in_any_window(1.0) == 3
