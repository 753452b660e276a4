"""A bad day at iCite or Europe PMC costs only that source: PubMed's part is stored, the failure is
named in one paragraph, the exit status says the job is incomplete, and the rerun asks only the
failed source for only the articles it did not answer for.

The corpus and the sources' answers are tests/test_sources.py's.
"""

import pytest
import sqlite_utils
from test_fetch import SEED
from test_sources import EPMC_LINKS, ICITE_LINKS, PUBMED_LINKS, links, run, servers  # noqa: F401

CLOSED = "http://127.0.0.1:1/"  # nothing listens on port 1
UNRESOLVABLE = "http://litbase-test.invalid/"  # .invalid never resolves (RFC 6761)


def articles(db) -> list[int]:
    return sorted(r["pmid"] for r in db["articles"].rows)


def source_rows(db) -> list[tuple]:
    return [(r["pmid"], r["source"], r["status"]) for r in
            db.query("select pmid, source, status from article_sources order by source, pmid")]


@pytest.fixture
def pubmed_only(servers, tmp_path):  # noqa: F811
    """The rows a --sources pubmed run stores, and the requests it sends."""
    eutils, *_ = servers
    result = run(tmp_path / "pubmed.db", SEED, "--sources", "pubmed")
    assert result.exit_code == 0, result.output
    requests = [(r.endpoint, r.params.get("id")) for r in eutils.requests]
    eutils.clear_log()
    db = sqlite_utils.Database(tmp_path / "pubmed.db")
    return articles(db), links(db), requests


def tail(name, host_or_endpoint, what, db_path, sources=None):
    option = f" --sources {sources}" if sources else ""
    return (f"{name} ({host_or_endpoint}) {what} Its links are missing for 1 article.\n"
            f"Everything PubMed gave is stored. To ask {name} again for just those articles, run:"
            f" litbase fetch {db_path} {SEED}{option}\n")


FAULTS = {
    "refused": ("could not be reached: the connection was refused.", "127.0.0.1"),
    "unresolvable": ("could not be reached: the name does not resolve.", "litbase-test.invalid"),
    "503": ("gave no usable answer in 5 attempts, the last one HTTP 503: 503 Error.", None),
    "garbage": ("sent an answer litbase cannot read: 'abc' in a PMID list is not a PMID.", None),
}


def break_icite(icite, monkeypatch, fault):
    if fault == "refused":
        monkeypatch.setenv("LITBASE_ICITE_URL", CLOSED + "api/")
    elif fault == "unresolvable":
        monkeypatch.setenv("LITBASE_ICITE_URL", UNRESOLVABLE + "api/")
    elif fault == "503":
        icite.inject("pubs", "503", times=1000)
    else:
        icite.inject("pubs", "json", times=1000, body={"data": [{"pmid": SEED, "references": "12 abc"}]})


@pytest.mark.parametrize("fault", FAULTS)
def test_icite_failing_costs_only_icite(servers, pubmed_only, tmp_path, monkeypatch, fault):  # noqa: F811
    eutils, icite, epmc = servers
    pubmed_articles, pubmed_links, pubmed_requests = pubmed_only
    break_icite(icite, monkeypatch, fault)
    db_path = tmp_path / "lit.db"
    result = run(db_path, SEED)
    assert result.exit_code == 1
    what, host = FAULTS[fault]
    assert result.output.endswith(tail("iCite", host or "icite/pubs", what, db_path)), result.output
    assert "Traceback" not in result.output and "Error(" not in result.output
    # Exactly what --sources pubmed stores and asks, and the failure recorded per article.
    assert [(r.endpoint, r.params.get("id")) for r in eutils.requests] == pubmed_requests
    db = sqlite_utils.Database(db_path)
    assert articles(db) == pubmed_articles
    assert links(db) == pubmed_links == PUBMED_LINKS
    assert source_rows(db) == [(SEED, "icite", "failed")]
    assert what.rstrip(".").split(": ")[-1] in db["article_sources"].get((SEED, "icite"))["error"]
    if fault == "refused" or fault == "unresolvable":
        assert icite.requests == []
    # The rerun, iCite healthy again: iCite is asked about the seed alone; PubMed only for the
    # records of iCite's new neighbours (120 cited, 303 citing), nothing it answered before.
    monkeypatch.setenv("LITBASE_ICITE_URL", icite.base_url)
    icite._faults.clear()
    icite.clear_log()
    eutils.clear_log()
    result = run(db_path, SEED)
    assert result.exit_code == 0, result.output
    assert [r.params["pmids"] for r in icite.requests] == [str(SEED)]
    assert [(r.endpoint, r.params.get("id")) for r in eutils.requests] == [("efetch", "120,303")]
    assert epmc.requests == []
    assert links(db) == PUBMED_LINKS | ICITE_LINKS
    assert source_rows(db) == [(SEED, "icite", "found")]
    # And then there is nothing left to do.
    icite.clear_log()
    eutils.clear_log()
    assert run(db_path, SEED).exit_code == 0
    assert icite.requests == [] and eutils.requests == []


def break_europepmc(epmc, monkeypatch, fault):
    if fault == "refused":
        monkeypatch.setenv("LITBASE_EUROPEPMC_URL", CLOSED + "europepmc/webservices/rest/")
    elif fault == "unresolvable":
        monkeypatch.setenv("LITBASE_EUROPEPMC_URL", UNRESOLVABLE + "europepmc/webservices/rest/")
    elif fault == "503":
        epmc.inject("*", "503", times=1000)
    else:
        epmc.inject("*", "json", times=1000, body=["not", "an", "object"])


EPMC_FAULTS = {
    **{k: v for k, v in FAULTS.items() if k != "garbage"},
    "garbage": ("sent an answer litbase cannot read: the answer is not a JSON object.", None),
}


@pytest.mark.parametrize("fault", EPMC_FAULTS)
def test_europepmc_failing_costs_only_europepmc(servers, pubmed_only, tmp_path, monkeypatch,  # noqa: F811
                                                fault):
    eutils, icite, epmc = servers
    pubmed_articles, pubmed_links, pubmed_requests = pubmed_only
    break_europepmc(epmc, monkeypatch, fault)
    db_path = tmp_path / "lit.db"
    result = run(db_path, SEED, "--sources", "pubmed,europepmc")
    assert result.exit_code == 1
    what, host = EPMC_FAULTS[fault]
    assert result.output.endswith(tail("Europe PMC", host or "europepmc/references", what, db_path,
                                       "pubmed,europepmc")), result.output
    assert [(r.endpoint, r.params.get("id")) for r in eutils.requests] == pubmed_requests
    db = sqlite_utils.Database(db_path)
    assert articles(db) == pubmed_articles
    assert links(db) == PUBMED_LINKS
    assert source_rows(db) == [(SEED, "europepmc", "failed")]
    monkeypatch.setenv("LITBASE_EUROPEPMC_URL", epmc.base_url)
    epmc._faults.clear()
    epmc.clear_log()
    eutils.clear_log()
    result = run(db_path, SEED, "--sources", "pubmed,europepmc")
    assert result.exit_code == 0, result.output
    assert [r.path for r in epmc.requests] == [f"/europepmc/webservices/rest/MED/{SEED}/references",
                                              f"/europepmc/webservices/rest/MED/{SEED}/citations"]
    # Europe PMC's one new neighbour (304, citing) is the only record PubMed is asked for.
    assert [(r.endpoint, r.params.get("id")) for r in eutils.requests] == [("efetch", "304")]
    assert icite.requests == []
    assert links(db) == PUBMED_LINKS | EPMC_LINKS
    assert source_rows(db) == [(SEED, "europepmc", "found")]


def test_both_sources_failing_are_named_each(servers, tmp_path, monkeypatch):  # noqa: F811
    eutils, icite, epmc = servers
    monkeypatch.setenv("LITBASE_ICITE_URL", CLOSED + "api/")
    monkeypatch.setenv("LITBASE_EUROPEPMC_URL", UNRESOLVABLE + "rest/")
    db_path = tmp_path / "lit.db"
    result = run(db_path, SEED, "--sources", "pubmed,icite,europepmc", "--depth", "1")
    assert result.exit_code == 1
    assert result.output.endswith(
        "iCite (127.0.0.1) could not be reached: the connection was refused."
        " Its links are missing for 1 article.\n"
        "Europe PMC (litbase-test.invalid) could not be reached: the name does not resolve."
        " Its links are missing for 1 article.\n"
        "Everything PubMed gave is stored. To ask iCite and Europe PMC again for just those articles,"
        f" run: litbase fetch {db_path} {SEED} --sources pubmed,icite,europepmc\n"), result.output
    assert links(sqlite_utils.Database(db_path)) == PUBMED_LINKS


def test_unreachable_is_tried_a_few_times_quickly(monkeypatch):
    """Three attempts with a short fixed pause, not the five-attempt back-off of a busy server."""
    from litbase.sources.icite import IciteClient
    from litbase.sources.json_api import SourceRetriesExhausted, SourceUnreachable

    waits, attempts = [], []
    client = IciteClient(base_url=CLOSED + "api/", sleep=waits.append, on_request=attempts.append)
    with pytest.raises(SourceRetriesExhausted) as caught:
        client.pubs([SEED])
    assert caught.value.attempts == 3
    assert isinstance(caught.value.last_error, SourceUnreachable)
    assert str(caught.value.last_error) == ("icite/pubs: 127.0.0.1 could not be reached:"
                                            " the connection was refused")
    assert waits == [0.2, 0.2]
    assert [a["outcome"] for a in attempts] == ["retry", "retry", "error"]
