"""EuropePmcClient and parse_europepmc against the local Europe PMC server: paging, 404, faults."""

import pytest
from europepmc_server import FakeEuropePmcServer, work

from litbase.sources.europepmc import EuropePmcClient
from litbase.sources.eutils import RateLimiter
from litbase.parse.europepmc import (
    EuropePmcParseError,
    citation_text,
    parse_citations,
    parse_references,
)
from litbase.sources.json_api import SourceHTTPError, SourceRetriesExhausted


@pytest.fixture
def log():
    return {"rows": [], "waits": []}


def make_client(server, log, **options):
    settings = dict(base_url=server.base_url, limiter=RateLimiter(1000),
                    on_request=log["rows"].append, sleep=log["waits"].append, random=lambda: 1.0,
                    timeout=(2.0, 5.0))
    settings.update(options)
    return EuropePmcClient(**settings)


PREPRINT = work("PPR12345", source="PPR", title="A preprint on peer support", authorString="Roe R",
                pubYear="2021", doi="10.1101/2021.01.01.1")
NO_ID = {"source": "MED", "title": "Untraced report", "authorString": "Agency X", "pubYear": "1999"}


def test_references_with_and_without_pmids():
    with FakeEuropePmcServer() as server:
        server.set_references(7, [101, PREPRINT, NO_ID, 102])
        pages = list(make_client(server, {"rows": [], "waits": []}).references(7))
        (request,) = server.requests
    assert request.path == "/europepmc/webservices/rest/MED/7/references"
    assert request.params == {"page": "1", "pageSize": "1000", "format": "json"}
    assert parse_references(pages) == [
        {"pmid": 101, "other_id": None, "citation": "Doe J. Work 101. J Synth. 2010.", "doi": None,
         "title": "Work 101", "position": 1},
        {"pmid": None, "other_id": "PPR:PPR12345",
         "citation": "Roe R. A preprint on peer support. 2021.", "doi": "10.1101/2021.01.01.1",
         "title": "A preprint on peer support", "position": 2},
        {"pmid": None, "other_id": None, "citation": "Agency X. Untraced report. 1999.", "doi": None,
         "title": "Untraced report", "position": 3},
        {"pmid": 102, "other_id": None, "citation": "Doe J. Work 102. J Synth. 2010.", "doi": None,
         "title": "Work 102", "position": 4},
    ]


def test_pages_until_hit_count(log):
    with FakeEuropePmcServer() as server:
        server.set_citations(7, list(range(10_000, 12_500)))
        citations = parse_citations(make_client(server, log).citations(7))
        assert [r.params["page"] for r in server.requests] == ["1", "2", "3"]
    assert [c["pmid"] for c in citations] == list(range(10_000, 12_500))


def test_404_is_an_empty_list_not_an_error(log):
    with FakeEuropePmcServer() as server:
        assert parse_citations(make_client(server, log).citations(7)) == []
        assert parse_references(make_client(server, log).references(7)) == []
        assert [r.status for r in server.requests] == [404, 404]
    assert [r["outcome"] for r in log["rows"]] == ["empty", "empty"]
    assert log["waits"] == []


def test_empty_list_answered_with_200_too(log):
    with FakeEuropePmcServer(empty_lists="200") as server:
        assert parse_citations(make_client(server, log).citations(7)) == []
        assert server.count() == 1


@pytest.mark.parametrize("kind", ["429", "502", "reset", "truncate", "truncate_json"])
def test_faults_on_a_later_page_are_retried(kind, log):
    with FakeEuropePmcServer() as server:
        server.set_references(7, list(range(1, 1_501)))
        client = make_client(server, log)
        pages = client.references(7)
        first = next(pages)
        server.inject("references", kind, times=1)
        rest = list(pages)
        assert [r.params["page"] for r in server.requests] == ["1", "2", "2"]
    assert len(parse_references([first, *rest])) == 1_500


def test_server_errors_end_with_a_clear_error(log):
    with FakeEuropePmcServer() as server:
        server.set_references(7, [1])
        server.inject("references", "500", times=5)
        with pytest.raises(SourceRetriesExhausted, match="europepmc/references: gave up after 5"):
            list(make_client(server, log).references(7))
        server.inject("*", "403", times=1)
        with pytest.raises(SourceHTTPError, match="HTTP 403"):
            list(make_client(server, log).citations(7))
        assert server.count() == 6


def test_malformed_lists_are_refused():
    with pytest.raises(EuropePmcParseError, match="not a list of objects"):
        parse_references([{"hitCount": 1, "referenceList": {"reference": ["x"]}}])
    with pytest.raises(EuropePmcParseError, match="hitCount 'many'"):
        from litbase.parse.europepmc import hit_count
        hit_count({"hitCount": "many"})


def test_citation_text_from_the_fields_there_are():
    assert citation_text({"authorString": "Ng A, Bo C.", "title": "Peer  support.",
                          "journalAbbreviation": "J Med", "pubYear": 2019, "volume": "12",
                          "issue": "3", "pageInfo": "45-50"}) == \
        "Ng A, Bo C. Peer support. J Med. 2019;12(3):45-50."
    assert citation_text({"unstructuredInformation": "Personal communication"}) == "Personal communication"
    assert citation_text({}) is None
