"""The fake E-utilities server itself: corpus, XML shapes, search dialect, log, faults."""

import json
import time

import pytest
import requests
from eutils_server import Corpus, FakeEutilsServer
from lxml import etree

from litbase.parse.eutils import parse_elink, parse_esearch


def get(server, endpoint, **params):
    return requests.get(f"{server.base_url}{endpoint}.fcgi", params=params, timeout=5)


def test_efetch_renders_pubmed_xml_and_omits_unknown_pmids(eutils_server):
    eutils_server.corpus.add(5, title="Peer <support>", year=2019, journal="Acad Med", abstract="Why.",
                             authors=[("Li", "Wei"), ("Okafor", "Ada")], refs=[7, 8], unlinked_refs=["A book. 1999."],
                             deposited_refs=True, in_pmc=True)
    eutils_server.corpus.add(6)
    root = etree.fromstring(get(eutils_server, "efetch", db="pubmed", id="6,99,5").content)
    assert root.tag == "PubmedArticleSet"
    assert root.xpath("//MedlineCitation/PMID/text()") == ["6", "5"]
    five = root.xpath("PubmedArticle[MedlineCitation/PMID='5']")[0]
    assert five.findtext(".//ArticleTitle") == "Peer <support>"
    assert (five.findtext(".//PubDate/Year"), five.findtext(".//Journal/Title")) == ("2019", "Acad Med")
    assert five.xpath(".//Author/LastName/text()") == ["Li", "Okafor"]
    assert five.findtext(".//AbstractText") == "Why."
    assert five.xpath("PubmedData/ArticleIdList/ArticleId/@IdType") == ["pubmed", "doi", "pmc"]
    assert five.xpath(".//ELocationID[@EIdType='doi']/text()") == ["10.5555/synth.5"]
    assert five.xpath(".//ReferenceList/Reference/ArticleIdList/ArticleId/text()") == ["7", "8"]
    assert five.xpath(".//ReferenceList/Reference/Citation/text()")[-1] == "A book. 1999."
    six = root.xpath("PubmedArticle[MedlineCitation/PMID='6']")[0]
    assert six.findtext(".//ArticleTitle") == "Synthetic article 6"
    assert six.find(".//ReferenceList") is None and six.find(".//Abstract") is None


def test_elink_gives_refs_and_citedin_only_through_pmc(eutils_server):
    c = eutils_server.corpus
    c.add(1, in_pmc=False, refs=[3])
    c.add(2, in_pmc=True, refs=[3, 1], similar=[(3, 500), (1, 900)])
    c.add(3, in_pmc=True)
    body = get(eutils_server, "elink", dbfrom="pubmed", db="pubmed", cmd="neighbor_score", id=["1", "2", "3"]).content
    one, two, three = parse_elink(body)
    assert (one["refs"], one["cited_by"]) == ([], [2])  # 1 is not in PMC: its refs are unknown to elink
    assert (two["refs"], two["similar"]) == ([3, 1], [(1, 900), (3, 500)])
    assert three["cited_by"] == [2]  # 1 cites 3 too, but only PMC articles count as citers
    merged = parse_elink(get(eutils_server, "elink", dbfrom="pubmed", cmd="neighbor", id="1,2").content)
    assert [(m["pmids"], m["refs"]) for m in merged] == [([1, 2], [3, 1])]


def test_random_graph_is_deterministic():
    a = Corpus.random_graph(600, mean_refs=8, seed=7)
    b = Corpus.random_graph(600, mean_refs=8, seed=7)
    assert len(a.articles) == 600 and list(a.articles) == list(b.articles)
    assert [x.refs for x in a.articles.values()] == [x.refs for x in b.articles.values()]
    assert [x.refs for x in a.articles.values()] != [x.refs for x in Corpus.random_graph(600, 8, seed=8).articles.values()]
    edges = [(x.pmid, r) for x in a.articles.values() for r in x.refs]
    assert all(r < p for p, r in edges) and 3000 < len(edges) < 6000
    target = edges[0][1]
    assert a.cited_by(target) == sorted((p for p, r in edges if r == target), reverse=True)


def test_esearch_dialect(eutils_server):
    c = eutils_server.corpus
    c.add(10, title="Peer support in residency", year=2015)
    c.add(11, title="Burnout and PEER SUPPORT", year=2021)
    c.add(12, title="Sleep", year=2021)

    def ids(term, **params):
        return parse_esearch(get(eutils_server, "esearch", db="pubmed", term=term, **params).content)

    assert ids('"peer support"[Title]')["ids"] == [11, 10]
    assert ids("all[sb]")["ids"] == [12, 11, 10]
    assert ids("all[sb]", mindate="2020", maxdate="2022", datetype="pdat")["ids"] == [12, 11]
    assert ids("peer support AND burnout")["ids"] == [11]
    assert ids("12[uid]")["ids"] == [12]
    missing = ids("peer support AND zebrafish")
    assert (missing["ids"], missing["phrases_not_found"]) == ([11, 10], ["zebrafish"])
    assert ids("all[sb]", retstart=1, retmax=1)["ids"] == [11]
    assert b"<ERROR>Invalid query</ERROR>" in get(eutils_server, "esearch", db="pubmed", term='"peer').content


def test_history_keys_and_cap(eutils_server):
    eutils_server.corpus.register_term("many", count=10_500, years=(2001, 2003))
    first = parse_esearch(get(eutils_server, "esearch", term="many", usehistory="y").content)
    second = parse_esearch(get(eutils_server, "esearch", term="many", usehistory="y", WebEnv=first["webenv"],
                               mindate="2002", maxdate="2002").content)
    assert (first["count"], first["query_key"], second["query_key"], second["count"]) == (10_500, "1", "2", 3500)
    assert second["webenv"] == first["webenv"] and len(first["ids"]) == 20
    page = get(eutils_server, "efetch", db="pubmed", WebEnv=first["webenv"], query_key="2", retstart=0, retmax=3)
    assert etree.fromstring(page.content).xpath("//PMID/text()") == ["40010498", "40010495", "40010492"]
    too_far = get(eutils_server, "esearch", term="many", retstart=9999, retmax=1).content
    assert b"<ERROR>Search Backend failed" in too_far and b"<Count>" not in too_far


def test_faults_are_consumed_in_order_and_logged(eutils_server):
    eutils_server.corpus.add(1)
    eutils_server.inject("*", "503")
    eutils_server.inject("efetch", "429", times=2, retry_after=3)
    statuses = [get(eutils_server, "efetch", id="1") for _ in range(4)]
    assert [r.status_code for r in statuses] == [503, 429, 429, 200]
    assert statuses[1].headers["Retry-After"] == "3" and json.loads(statuses[1].content)["count"] == "11"
    assert [(r.endpoint, r.method, r.params, r.status) for r in eutils_server.requests][-1] == (
        "efetch", "GET", {"id": "1"}, 200)
    eutils_server.inject("efetch", "reset")
    with pytest.raises(requests.ConnectionError):
        get(eutils_server, "efetch", id="1")
    assert eutils_server.requests[-1].status is None and eutils_server.count("efetch") == 5


def test_truncation_variants(eutils_server):
    eutils_server.corpus.add(1)
    eutils_server.inject("efetch", "truncate")
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        get(eutils_server, "efetch", id="1")
    eutils_server.inject("efetch", "truncate", mode="xml")
    body = get(eutils_server, "efetch", id="1").content
    assert body.startswith(b"<?xml") and not body.rstrip().endswith(b"</PubmedArticleSet>")


def test_enforced_rate_limit_and_window_count():
    with FakeEutilsServer(enforce_rate_limit=3) as server:
        codes = [get(server, "esearch", term="all[sb]").status_code for _ in range(5)]
        assert codes == [200, 200, 200, 429, 429]
        assert server.max_requests_in_any_window(1.0) == 5
        time.sleep(1.05)
        assert get(server, "esearch", term="all[sb]").status_code == 200
        assert server.max_requests_in_any_window(1.0) == 5 and server.count("esearch") == 6
