"""litbase mirror: Dask builds (a real two-worker LocalCluster, a scheduler started here), update order,
the Open Citation Collection, PageRank, and fetch/search/related --mirror against the online path.

The PubMed file is written from the local E-utilities server's synthetic corpus (efetch of every
article), and the citation file from the same corpus, holding exactly the links elink gives
(references of articles in PMC, citing articles in PMC), so the mirror and E-utilities hold the same
data and a fetch through either must store the same rows.
"""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

pytest.importorskip("duckdb")
pytest.importorskip("pyarrow")
distributed = pytest.importorskip("distributed")

from click.testing import CliRunner  # noqa: E402
from db_dump import differences, dump  # noqa: E402
from eutils_server import Corpus, FakeEutilsServer  # noqa: E402

from litbase.cli import cli  # noqa: E402
from litbase.grow.crawl import fetch_neighbourhood  # noqa: E402
from litbase.graph.related import related  # noqa: E402
from litbase.mirror.build import build_mirror  # noqa: E402
from litbase.mirror.catalog import connect  # noqa: E402
from litbase.mirror.citations import add_citations  # noqa: E402
from litbase.mirror.client import MirrorClient  # noqa: E402
from litbase.sources.eutils import EutilsClient  # noqa: E402
from litbase.store.schema import open_db  # noqa: E402

def corpus() -> Corpus:
    # No similar articles: the mirror has none, and the comparison is of what both can know.
    return Corpus.random_graph(70, mean_refs=4, seed=20, n_similar=0)


def _links(c: Corpus, pmid: int) -> int:
    article = c.get(pmid)
    return len(article.refs) * article.in_pmc + sum(c.get(p).in_pmc for p in c.cited_by(pmid))


# The article of the corpus with the most links elink reports: a neighbourhood worth comparing.
SEED = max(corpus().articles, key=lambda pmid: _links(corpus(), pmid))


def write_pubmed_file(server: FakeEutilsServer, path: Path) -> Path:
    """The corpus as a PubMed file: efetch of every article, as the server answers it."""
    body = EutilsClient(base_url=server.base_url).efetch_pubmed(sorted(server.corpus.articles))
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") as stream:
        stream.write(body)
    return path


def write_occ(corpus_: Corpus, path: Path) -> Path:
    """iCite's layout (header citing,referenced), holding the links elink reports."""
    lines = ["citing,referenced"] + [f"{a.pmid},{ref}" for a in corpus_.articles.values() if a.in_pmc
                                     for ref in a.refs]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def thread_cluster():
    """A Dask cluster in this process (threads), its scheduler on a real TCP port: fast to start."""
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp",
                                  host="127.0.0.1", dashboard_address="127.0.0.1:0") as cluster:
        yield cluster


@pytest.fixture
def server():
    with FakeEutilsServer(corpus()) as fake:
        yield fake


@pytest.fixture
def mirror(tmp_path, server, thread_cluster):
    path = write_pubmed_file(server, tmp_path / "in" / "pubmed26n0001.xml.gz")
    build_mirror(tmp_path / "mirror", [path], cluster=thread_cluster)
    add_citations(tmp_path / "mirror", write_occ(server.corpus, tmp_path / "occ.csv"))
    return tmp_path / "mirror"


def _article(pmid: int, title: str) -> str:
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="1">{pmid}</PMID><Article>'
            f"<Journal><Title>J</Title></Journal><ArticleTitle>{title}</ArticleTitle></Article>"
            f"</MedlineCitation></PubmedArticle>")


def _file(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<PubmedArticleSet>{body}</PubmedArticleSet>")
    return path


def test_two_worker_local_cluster_builds_and_a_rerun_resumes(tmp_path, server):
    path = write_pubmed_file(server, tmp_path / "in" / "pubmed26n0001.xml.gz")
    other = _file(tmp_path / "in" / "pubmed26n0002.xml", _article(5, "Five") + _article(6, "Six"))
    report = build_mirror(tmp_path / "m", [path, other], workers=2)
    assert sorted(s["file"] for s in report.converted) == ["pubmed26n0001", "pubmed26n0002"]
    assert {s["file"]: s["articles"] for s in report.converted} == {"pubmed26n0001": 70, "pubmed26n0002": 2}
    assert (report.articles, report.deleted, report.skipped, report.failed) == (72, 0, [], {})
    with connect(tmp_path / "m", read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT pmid) FROM articles").fetchone() == (72, 72)
        authors = sum(len(a.authors) for a in server.corpus.articles.values())
        assert con.execute("SELECT count(*) FROM authors").fetchone() == (authors,)
        assert con.execute("SELECT title FROM articles WHERE pmid = 6").fetchone() == ("Six",)
    again = build_mirror(tmp_path / "m", [path, other], workers=2)
    assert (again.converted, sorted(again.skipped), again.articles) == ([], ["pubmed26n0001", "pubmed26n0002"], 72)


def test_scheduler_option_uses_a_running_scheduler(tmp_path, thread_cluster):
    path = _file(tmp_path / "pubmed26n0001.xml", _article(1, "One") + _article(2, "Two"))
    result = CliRunner().invoke(cli, ["mirror", "build", str(tmp_path / "m"), str(path), "--no-progress",
                                      "--scheduler", thread_cluster.scheduler_address])
    assert result.exit_code == 0, result.output
    assert "1 files converted, 0 already done; the mirror holds 2 current records (0 PMIDs deleted)" in result.output
    # The task went through the test's own scheduler, over TCP.
    assert thread_cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    assert "litbase-mirror" in thread_cluster.scheduler.task_prefixes
    with connect(tmp_path / "m", read_only=True) as con:
        assert con.execute("SELECT pmid, title FROM articles ORDER BY pmid").fetchall() == [(1, "One"), (2, "Two")]


@pytest.mark.parametrize("order", ["together", "update first"])
def test_update_files_revise_and_delete_in_nlm_order(tmp_path, thread_cluster, order):
    base = _file(tmp_path / "baseline" / "pubmed26n0001.xml",
                 _article(1, "One") + _article(2, "Two") + _article(3, "Three"))
    update = _file(tmp_path / "updatefiles" / "pubmed26n0002.xml",
                   _article(2, "Two, revised") + "<DeleteCitation><PMID Version=\"1\">3</PMID></DeleteCitation>")
    later = _file(tmp_path / "updatefiles" / "pubmed26n0003.xml", _article(3, "Three again"))
    if order == "together":
        report = build_mirror(tmp_path / "m", [later, update, base], cluster=thread_cluster)
    else:
        build_mirror(tmp_path / "m", [update, later], cluster=thread_cluster)
        report = build_mirror(tmp_path / "m", [base], cluster=thread_cluster)
    assert (report.articles, report.deleted) == (3, 0)
    with connect(tmp_path / "m", read_only=True) as con:
        assert con.execute("SELECT pmid, title, file FROM articles ORDER BY pmid").fetchall() == [
            (1, "One", "pubmed26n0001"), (2, "Two, revised", "pubmed26n0002"), (3, "Three again", "pubmed26n0003")]
    # Without the last file, the deletion stands.
    (tmp_path / "m" / "done" / "pubmed26n0003.json").unlink()
    report = build_mirror(tmp_path / "m", [], cluster=thread_cluster)
    assert (report.articles, report.deleted) == (2, 1)
    assert MirrorClient(tmp_path / "m").pubmed_records([1, 2, 3])[1]["title"] == "Two, revised"
    assert [r["pmid"] for r in MirrorClient(tmp_path / "m").pubmed_records([3, 2, 1])] == [2, 1]


def test_fetch_through_the_mirror_stores_the_same_rows_and_sends_no_request(tmp_path, server, mirror, monkeypatch):
    monkeypatch.setenv("LITBASE_EUTILS_URL", server.base_url)
    online = CliRunner().invoke(cli, ["fetch", str(tmp_path / "online.db"), str(SEED), "--depth", "2",
                                      "--no-progress", "--sources", "pubmed"])
    assert online.exit_code == 0, online.output
    asked = len(server.requests)
    local = CliRunner().invoke(cli, ["fetch", str(tmp_path / "mirror.db"), str(SEED), "--depth", "2",
                                     "--no-progress", "--mirror", str(mirror)])
    assert local.exit_code == 0, local.output
    assert len(server.requests) == asked
    assert "Mirror: the mirror has no PubMed similar-article lists (elink pubmed_pubmed)" in local.output
    assert f"from the mirror {mirror}, no request in" in local.output
    a, b = dump(tmp_path / "online.db"), dump(tmp_path / "mirror.db")
    assert differences(a, b) == []
    assert len(a["articles"]) > 20 and len(a["citations"]) > 40
    # What the mirror answered is in the fetch log, where the online fetch logged its requests.
    with sqlite3.connect(tmp_path / "mirror.db") as conn:
        logged = conn.execute("SELECT endpoint, method, status, bytes, attempt, outcome, error, count(*) FROM fetches"
                              " GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1").fetchall()
        params = [json.loads(p) for (p,) in conn.execute("SELECT params FROM fetches ORDER BY id")]
    # Depth 2: the records of three levels, the links of two; never an HTTP status or body.
    assert logged == [("mirror/efetch", "MIRROR", None, None, 1, "ok", None, 3),
                      ("mirror/elink", "MIRROR", None, None, 1, "ok", None, 2)]
    assert params[:2] == [{"db": "pubmed", "id": str(SEED), "mirror": str(mirror)},
                          {"dbfrom": "pubmed", "id": str(SEED), "mirror": str(mirror)}]


def test_fetch_through_the_mirror_names_what_it_does_not_hold(tmp_path, mirror):
    result = CliRunner().invoke(cli, ["fetch", str(tmp_path / "x.db"), "99999999", "--depth", "0",
                                      "--no-progress", "--mirror", str(mirror)])
    assert result.exit_code == 1
    assert ("The mirror has no record for PMID 99999999 (deleted, or newer than its last file pubmed26n0001;"
            " fetch without --mirror to ask PubMed).") in result.output
    # Many unknown PMIDs: the line names the first twenty, in the order given, and counts the rest.
    many = [str(99999000 + n) for n in range(25)]
    result = CliRunner().invoke(cli, ["fetch", str(tmp_path / "y.db"), *many, "--depth", "0",
                                      "--no-progress", "--mirror", str(mirror)])
    assert result.exit_code == 1
    assert ("The mirror has no record for PMID " + ", ".join(many[:20]) + " and 5 more (deleted,") in result.output
    missing = CliRunner().invoke(cli, ["fetch", str(tmp_path / "x.db"), "1", "--mirror", str(tmp_path / "none")])
    assert missing.exit_code == 1
    assert "holds no mirror (mirror.duckdb is missing); run litbase mirror build first" in missing.output


def test_search_through_the_mirror_matches_the_online_search(tmp_path, server, mirror, monkeypatch):
    monkeypatch.setenv("LITBASE_EUTILS_URL", server.base_url)
    # Every title: the local server matches a substring (10002 would find 1000020), the mirror a word, as PubMed.
    term = "synthetic article[ti]"
    online = CliRunner().invoke(cli, ["search", str(tmp_path / "online.db"), term, "--no-progress"])
    local = CliRunner().invoke(cli, ["search", str(tmp_path / "mirror.db"), term, "--no-progress",
                                     "--mirror", str(mirror)])
    assert online.exit_code == local.exit_code == 0, local.output
    assert f"The mirror {mirror} reports 70 hits; collection 'search-synthetic-article-ti' holds 70" in local.output
    assert differences(dump(tmp_path / "online.db"), dump(tmp_path / "mirror.db")) == []
    with sqlite3.connect(tmp_path / "mirror.db") as conn:
        assert conn.execute("SELECT endpoint, outcome, json_extract(params, '$.term') FROM fetches"
                            " WHERE endpoint = 'mirror/esearch'").fetchall() == [("mirror/esearch", "ok", term)]
    bad = CliRunner().invoke(cli, ["search", str(tmp_path / "m.db"), "(heart", "--mirror", str(mirror)])
    assert bad.exit_code == 1
    assert "Error: cannot read the search '(heart': The parenthesis is never closed (at character 1)" in bad.output
    # A question the mirror could not answer is logged as an error, as a failed request is.
    with sqlite3.connect(tmp_path / "m.db") as conn:
        assert conn.execute("SELECT endpoint, outcome FROM fetches").fetchall() == [("mirror/esearch", "error")]


def test_related_through_the_mirror_counts_cocitation_and_coupling_as_online(tmp_path, server, mirror):
    online = open_db(tmp_path / "online.db")
    fetch_neighbourhood(online, EutilsClient(base_url=server.base_url), SEED)
    expected = {r["pmid"]: (r["cocitation"], r["coupling"]) for r in related(online, SEED, limit=1000)
                if r["cocitation"] or r["coupling"]}
    open_db(tmp_path / "mirror.db")
    result = CliRunner().invoke(cli, ["related", str(tmp_path / "mirror.db"), str(SEED), "--json",
                                      "--limit", "1000", "--mirror", str(mirror)])
    assert result.exit_code == 0, result.output
    import json

    rows = json.loads(result.stdout)
    assert {r["pmid"]: (r["cocitation"], r["coupling"]) for r in rows if r["cocitation"] or r["coupling"]} == expected
    assert expected and all(r["title"] for r in rows)


@pytest.mark.parametrize("chunk", [20_000_000, 40])  # one chunk of links; many, the last one short
def test_pagerank_and_counts_match_networkx(tmp_path, mirror, server, monkeypatch, chunk):
    import networkx as nx

    from litbase.mirror import rank
    from litbase.mirror.rank import compute_metrics

    monkeypatch.setattr(rank, "CHUNK", chunk)
    result = compute_metrics(mirror)
    graph = nx.DiGraph()
    graph.add_nodes_from(server.corpus.articles)
    graph.add_edges_from((a.pmid, r) for a in server.corpus.articles.values() if a.in_pmc for r in a.refs)
    assert (result["nodes"], result["edges"]) == (graph.number_of_nodes(), graph.number_of_edges())
    assert result["edges"] > 3 * 40 and result["edges"] % 40  # so the small chunk makes several
    # networkx's own rule stops at an L1 change under N x 1e-6; the mirror's at 1e-6 (see rank.py).
    expected = nx.pagerank(graph, tol=1e-12)
    with connect(mirror, read_only=True) as con:
        rows = con.execute("SELECT pmid, cited_by_count, references_count, pagerank FROM metrics").fetchall()
    assert {r[0]: (r[1], r[2]) for r in rows} == {
        p: (graph.in_degree(p), graph.out_degree(p)) for p in graph}
    assert max(abs(r[3] - expected[r[0]]) for r in rows) < 1e-6
    assert MirrorClient(mirror).metrics([SEED])[SEED]["cited_by_count"] == graph.in_degree(SEED)


def test_add_citations_refuses_a_file_that_is_not_the_collection(tmp_path, mirror):
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("pmid,title\n1,x\n")
    result = CliRunner().invoke(cli, ["mirror", "add-citations", str(mirror), str(wrong)])
    assert result.exit_code == 1
    assert result.output == (f"Error: {wrong}: the header is 'pmid,title'; iCite's Open Citation Collection"
                             " starts with 'citing,referenced'\n")
    broken = tmp_path / "broken.csv"
    broken.write_text("citing,referenced\n1,2\nthree,4\n")
    result = CliRunner().invoke(cli, ["mirror", "add-citations", str(mirror), str(broken)])
    assert result.exit_code == 1 and result.output.startswith(f"Error: {broken}: ")
    # The last good load is kept.
    with connect(mirror, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM citations").fetchone()[0] == sum(
            len(a.refs) for a in corpus().articles.values() if a.in_pmc)


def test_add_citations_with_icite_metadata(tmp_path, mirror):
    occ = tmp_path / "occ.csv"
    occ.write_text("citing,referenced\n2,1\n3,1\n3,2\n")
    meta = tmp_path / "icite_metadata.csv"
    meta.write_text("pmid,doi,title,year,relative_citation_ratio,citation_count\n1,,A,2020,1.5,2\n2,,B,2021,,1\n")
    result = CliRunner().invoke(cli, ["mirror", "add-citations", str(mirror), str(occ), "--metadata", str(meta)])
    assert result.exit_code == 0, result.output
    assert "3 citation links loaded, 2 iCite metadata rows." in result.output
    with connect(mirror, read_only=True) as con:
        assert con.execute("SELECT pmid, year, relative_citation_ratio, citation_count FROM icite ORDER BY pmid"
                           ).fetchall() == [(1, 2020, 1.5, 2), (2, 2021, None, 1)]
        assert con.execute("SELECT referenced, citing FROM cited_by").fetchall() == [(1, 2), (1, 3), (2, 3)]


def _rich(pmid: int, title: str, year: int, author: tuple[str, str], mesh: str) -> str:
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="1">{pmid}</PMID><Article>'
            f"<Journal><JournalIssue><PubDate><Year>{year}</Year></PubDate></JournalIssue><Title>Acad Med</Title>"
            f"</Journal><ArticleTitle>{title}</ArticleTitle><AuthorList><Author><LastName>{author[0]}</LastName>"
            f"<Initials>{author[1]}</Initials></Author></AuthorList></Article><MeshHeadingList><MeshHeading>"
            f'<DescriptorName UI="D000001" MajorTopicYN="N">{mesh}</DescriptorName></MeshHeading>'
            f"</MeshHeadingList></MedlineCitation></PubmedArticle>")


def test_search_syntax_runs_in_duckdb(tmp_path, thread_cluster):
    path = _file(tmp_path / "pubmed26n0001.xml",
                 _rich(1, "Peer support for residents", 2019, ("Smith", "JA"), "Internship and Residency")
                 + _rich(2, "Burnout in residents", 2021, ("Jones", "B"), "Burnout, Professional")
                 + _rich(3, "Peer review", 2022, ("Smithson", "J"), "Peer Review"))
    build_mirror(tmp_path / "m", [path], cluster=thread_cluster)
    client = MirrorClient(tmp_path / "m")
    assert client.search_pmids("residents") == [2, 1]
    assert client.search_pmids("peer[ti] NOT review[ti]") == [1]
    assert client.search_pmids("Smith J[au]") == [1]
    assert client.search_pmids("burnout, professional[mh] OR 2019[dp]") == [2, 1]
    assert client.search_pmids("2020:2022[dp] AND acad med[ta]") == [3, 2]
    assert client.questions == 5


def test_a_file_that_fails_is_named_and_the_rerun_converts_only_it(tmp_path, thread_cluster):
    good = _file(tmp_path / "pubmed26n0001.xml", _article(1, "One"))
    bad = _file(tmp_path / "pubmed26n0002.xml", _article(2, "Two") + "<PubmedArticle><MedlineCitation>")
    args = ["mirror", "build", str(tmp_path / "m"), "--no-progress", "--scheduler", thread_cluster.scheduler_address]
    result = CliRunner().invoke(cli, [*args, str(good), str(bad)])
    assert result.exit_code == 1
    assert "1 files converted, 0 already done; the mirror holds 1 current records (0 PMIDs deleted)" in result.output
    assert "Error: 1 files failed (pubmed26n0002: PubmedParseError: " in result.output
    assert "a rerun converts only what is missing." in result.output
    assert sorted(p.name for p in (tmp_path / "m" / "parts").iterdir()) == [
        "articles", "authors", "deletions", "mesh", "references"]
    _file(bad, _article(2, "Two"))
    again = CliRunner().invoke(cli, [*args, str(good), str(bad)])
    assert again.exit_code == 0, again.output
    assert "1 files converted, 1 already done; the mirror holds 2 current records" in again.output
    missing = CliRunner().invoke(cli, [*args, str(tmp_path / "nope.xml")])
    assert missing.exit_code == 1 and missing.output == f"Error: {tmp_path / 'nope.xml'}: no such file\n"


def test_a_new_mirror_whose_only_file_fails_says_so_in_one_line(tmp_path, capfd):
    bad = tmp_path / "pubmed26n0001.xml"
    bad.write_text("not XML")
    result = CliRunner().invoke(cli, ["mirror", "build", str(tmp_path / "m"), str(bad), "--no-progress",
                                      "--workers", "1"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "0 files converted, 0 already done; the mirror holds 0 current records (0 PMIDs deleted) in"
        + result.output.split(" in", 1)[1].split("\n")[0],
        f"Error: 1 files failed (pubmed26n0001: PubmedParseError: malformed PubMed XML in {bad} at line 1,"
        " column 1: Start tag expected, '<' not found); the others are in the mirror, and a rerun converts only"
        " what is missing."]
    # The worker process logs no traceback of its own ("Compute Failed"): the line above is all.
    assert "Compute Failed" not in capfd.readouterr().err


def _version(version: int, title: str, author: str, mesh: str) -> str:
    return (f'<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="{version}">7</PMID><Article>'
            f"<Journal><Title>J</Title></Journal><ArticleTitle>{title}</ArticleTitle><AuthorList><Author>"
            f"<LastName>{author}</LastName><Initials>A</Initials></Author></AuthorList></Article><MeshHeadingList>"
            f'<MeshHeading><DescriptorName UI="D1" MajorTopicYN="N">{mesh}</DescriptorName></MeshHeading>'
            f"</MeshHeadingList></MedlineCitation></PubmedArticle>")


def test_a_file_holding_two_versions_of_a_pmid_keeps_the_last_as_import_does(tmp_path, thread_cluster):
    # PubMed's versioned citations: pubmed21n1298 holds four records of PMID 30271887.
    path = _file(tmp_path / "pubmed26n0001.xml", _version(1, "First version", "Abel", "Heart")
                 + _article(8, "Eight") + _version(2, "Second version", "Baker", "Lung"))
    report = build_mirror(tmp_path / "m", [path], cluster=thread_cluster)
    assert (report.articles, report.deleted) == (2, 0)
    with connect(tmp_path / "m", read_only=True) as con:
        assert con.execute("SELECT pmid, version, title FROM articles ORDER BY pmid").fetchall() == [
            (7, 2, "Second version"), (8, 1, "Eight")]
        assert con.execute("SELECT pmid, last_name FROM authors").fetchall() == [(7, "Baker")]
        assert con.execute("SELECT pmid, descriptor FROM mesh").fetchall() == [(7, "Lung")]
    imported = CliRunner().invoke(cli, ["import", str(tmp_path / "base.db"), str(path)])
    assert imported.exit_code == 0, imported.output
    with sqlite3.connect(tmp_path / "base.db") as conn:
        assert conn.execute("SELECT title, authors FROM articles WHERE pmid = 7").fetchone() == (
            "Second version", "Baker A")
    assert MirrorClient(tmp_path / "m").pubmed_records([7])[0]["title"] == "Second version"
