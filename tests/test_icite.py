"""IciteClient and parse_icite against the local iCite server: batching, field types, faults."""

import pytest
from icite_server import FakeIciteServer

from litbase.cli.options import Services
from litbase.sources.eutils import RateLimiter
from litbase.sources.icite import FIELDS, IciteClient
from litbase.parse.icite import IciteParseError, parse_icite_pubs, pmid_list, yes_no
from litbase.sources.json_api import (
    SourceFormatError,
    SourceHTTPError,
    SourceRetriesExhausted,
    SourceTransportError,
)


@pytest.fixture
def log():
    return {"rows": [], "waits": []}


def make_client(server, log, **options):
    settings = dict(base_url=server.base_url, limiter=RateLimiter(1000), email="dev@example.org",
                    on_request=log["rows"].append, sleep=log["waits"].append, random=lambda: 1.0,
                    timeout=(2.0, 5.0))
    settings.update(options)
    return IciteClient(**settings)


def add_two(server):
    server.add(1001, references=[11, 12, 13], cited_by=[21, 22], rcr=1.78, percentile=71.0,
               research=True, clinical=False, provisional=False)
    server.add(1002, references=[], cited_by=[23], citation_count=5, rcr=None, percentile=None,
               research=False, clinical=True, provisional=True)


EXPECTED = [
    {"pmid": 1001, "year": 2020, "doi": "10.5555/icite.1001", "references": [11, 12, 13],
     "cited_by": [21, 22], "citation_count": 2, "relative_citation_ratio": 1.78,
     "nih_percentile": 71.0, "is_research_article": 1, "is_clinical": 0, "provisional": 0},
    {"pmid": 1002, "year": 2020, "doi": "10.5555/icite.1002", "references": [], "cited_by": [23],
     "citation_count": 5, "relative_citation_ratio": None, "nih_percentile": None,
     "is_research_article": 0, "is_clinical": 1, "provisional": 1},
]


@pytest.mark.parametrize("style", ["current", "legacy", "bool"])
def test_every_field_style_parses_to_the_same_records(style, log):
    with FakeIciteServer(style=style) as server:
        add_two(server)
        payload = make_client(server, log).pubs([1001, 1002, 9999])
    assert parse_icite_pubs(payload) == EXPECTED


def test_request_shape_and_log_row(log):
    with FakeIciteServer() as server:
        add_two(server)
        make_client(server, log).pubs([1001, 1002])
        (request,) = server.requests
    assert request.path == "/api/pubs"
    assert request.params == {"pmids": "1001,1002", "fl": ",".join(FIELDS), "format": "json"}
    assert request.headers["User-Agent"].endswith("mailto:dev@example.org)")
    (row,) = log["rows"]
    assert {k: row[k] for k in ("endpoint", "method", "status", "attempt", "outcome", "error")} == {
        "endpoint": "icite/pubs", "method": "GET", "status": 200, "attempt": 1, "outcome": "ok",
        "error": None}
    assert row["params"] == {"path": "pubs", "pmids": "1001,1002", "fl": ",".join(FIELDS),
                             "format": "json"}


def test_batches_of_two_hundred(log):
    with FakeIciteServer() as server:
        for pmid in range(1, 451):
            server.add(pmid)
        batches = list(make_client(server, log).fetch_pubs(list(range(1, 451)) + [5, 7]))
        sizes = [len(r.params["pmids"].split(",")) for r in server.requests]
    assert sizes == [200, 200, 50]
    assert [len(asked) for asked, _ in batches] == [200, 200, 50]
    assert [len(payload["data"]) for _, payload in batches] == [200, 200, 50]


@pytest.mark.parametrize("kind, opts", [
    ("429", {"retry_after": 3}), ("503", {}), ("500", {}), ("reset", {}), ("truncate", {}),
    ("truncate_json", {}),
])
def test_transient_faults_are_retried(kind, opts, log):
    with FakeIciteServer() as server:
        add_two(server)
        server.inject("pubs", kind, times=2, **opts)
        payload = make_client(server, log).pubs([1001, 1002])
        assert server.count("pubs") == 3
    assert parse_icite_pubs(payload) == EXPECTED
    assert [r["outcome"] for r in log["rows"]] == ["retry", "retry", "ok"]
    # Full-jitter backoff with random() = 1.0: 0.5 s then 1 s, or Retry-After when longer.
    assert log["waits"] == ([3.0, 3.0] if kind == "429" else [0.5, 1.0])


def test_slow_answer_times_out_and_is_retried(log):
    with FakeIciteServer() as server:
        add_two(server)
        server.inject("pubs", "slow", times=1, delay=1.0)
        payload = make_client(server, log, timeout=(1.0, 0.3)).pubs([1001])
    assert [r["outcome"] for r in log["rows"]] == ["retry", "ok"]
    assert "ReadTimeout" in log["rows"][0]["error"]
    assert [r["pmid"] for r in parse_icite_pubs(payload)] == [1001]


def test_gives_up_after_five_attempts(log):
    with FakeIciteServer() as server:
        server.inject("pubs", "503", times=9)
        with pytest.raises(SourceRetriesExhausted) as caught:
            make_client(server, log).pubs([1001])
        assert server.count() == 5
    assert str(caught.value) == ("icite/pubs: gave up after 5 attempts; last error: "
                                 "icite/pubs: HTTP 503: 503 Error")


def test_client_errors_are_not_retried(log):
    with FakeIciteServer() as server:
        server.inject("pubs", "400", times=1)
        with pytest.raises(SourceHTTPError) as caught:
            make_client(server, log).pubs([1001])
        assert server.count() == 1
    assert caught.value.status == 400
    assert [r["outcome"] for r in log["rows"]] == ["error"]


def test_answer_without_data_is_a_format_error(log):
    with FakeIciteServer() as server:
        server.inject("pubs", "json", times=1, body={"meta": {}, "error": "bad"})
        with pytest.raises(SourceFormatError, match="no 'data' list"):
            make_client(server, log).pubs([1001])
        assert server.count() == 1


def test_connection_refused_is_a_transport_error(log):
    with FakeIciteServer() as dead:
        url = dead.base_url
    with pytest.raises(SourceRetriesExhausted) as caught:
        IciteClient(base_url=url, limiter=RateLimiter(1000), max_attempts=2,
                    sleep=log["waits"].append).pubs([1])
    assert isinstance(caught.value.last_error, SourceTransportError)


def test_base_url_from_the_command_line_only(monkeypatch):
    monkeypatch.setenv("LITBASE_ICITE_URL", "http://127.0.0.1:5/icite")
    monkeypatch.setenv("LITBASE_EUROPEPMC_URL", "http://127.0.0.1:6/epmc")
    # The client reads no environment; litbase.cli reads it and passes the URL.
    assert IciteClient().base_url == "https://icite.od.nih.gov/api/"
    assert IciteClient(base_url="http://127.0.0.1:5/icite").base_url == "http://127.0.0.1:5/icite/"
    clients = Services.from_environment(email="dev@example.org").link_sources(["pubmed", "icite", "europepmc"])
    assert {name: (c.base_url, c.email) for name, c in clients.items()} == {
        "icite": ("http://127.0.0.1:5/icite/", "dev@example.org"),
        "europepmc": ("http://127.0.0.1:6/epmc/", "dev@example.org")}


def test_too_many_or_no_pmids_refused_before_sending():
    client = IciteClient(base_url="http://127.0.0.1:1/")
    with pytest.raises(ValueError, match="at most 200"):
        client.pubs(list(range(1, 202)))
    with pytest.raises(ValueError, match="at least one"):
        client.pubs([])


def test_field_normalisation():
    assert pmid_list("12 13  14") == [12, 13, 14]
    assert pmid_list(["12", 13, 12]) == [12, 13]
    assert pmid_list(None) == pmid_list("") == []
    assert [yes_no(v) for v in ("Yes", "No", True, False, None, "maybe", 1)] == [1, 0, 1, 0, None, None, 1]
    record = parse_icite_pubs({"data": [{"pmid": "7", "relative_citation_ratio": "NA",
                                         "nih_percentile": float("nan"), "citation_count": "",
                                         "year": 2001.0}]})[0]
    assert (record["pmid"], record["relative_citation_ratio"], record["nih_percentile"],
            record["citation_count"], record["year"]) == (7, None, None, None, 2001)


@pytest.mark.parametrize("payload, message", [
    ({"data": "x"}, "no 'data' list"),
    ({"data": [{"title": "no pmid"}]}, "record 1 has no PMID"),
    ({"data": [{"pmid": 5, "references": ["12", "x"]}]}, "'x' in a PMID list is not a PMID"),
    ({"data": [{"pmid": 5, "cited_by": {"a": 1}}]}, "expected a list of PMIDs"),
])
def test_malformed_records_are_refused(payload, message):
    with pytest.raises(IciteParseError, match=message):
        parse_icite_pubs(payload)
