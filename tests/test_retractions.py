"""Retractions travel: cites_retracted (facet, canned query), marks in every list, refresh, the feed, exports.

Real records: the six of tests/fixtures/pubmed/retractions.xml (see test_article_page);
the links to them, and the corpus of the local E-utilities server, are synthetic.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3

import eutils_server
import pytest
import sqlite_utils
from click.testing import CliRunner
from datasette.app import Datasette
from eutils_server import FakeEutilsServer
from lxml import etree
from test_article_page import (
    CONCERN,
    ERRATUM_OF,
    FIRST,
    FIXTURE,
    RETRACTED,
    RETRACTION_NOTICE,
    ROOT,
    SEED,
    UNKNOWN,
    build_retraction_db,
    invoke,
)
from test_datasette import fetch, rows
from test_fetch import REFS
from test_fetch import SEED as FAKE_SEED
from test_fetch import seed_corpus

from litbase.cli import cli
from litbase.publish.marks import marks_for
from litbase.store.articles import save_citations
from litbase.store.retractions import update_cites_retracted

ATOM = "{http://www.w3.org/2005/Atom}"
NOTE = "Retracted publication. Retraction in: Oncol Lett. 2021 Jul;22(1):545. PMID: 34093767."
CHIP = '<span class="litbase-flag litbase-flag-retracted" title="PubMed marks this article as retracted">Retracted</span>'


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return build_retraction_db(tmp_path_factory.mktemp("retractions") / "litbase.db")


def cites_retracted(path) -> list[tuple]:
    return sqlite3.connect(path).execute(
        "select pmid, cites_retracted from articles where cites_retracted is not null order by pmid").fetchall()


def test_cites_retracted_is_counted_and_a_rerun_writes_nothing(db_path):
    assert cites_retracted(db_path) == [(SEED, 1)]
    db = sqlite_utils.Database(db_path)
    before = db.conn.total_changes
    assert update_cites_retracted(db) == 1
    assert db.conn.total_changes == before


def test_import_of_a_retracted_record_marks_who_cites_it(tmp_path):
    """The link is stored before the record; the import that brings the retraction recounts."""
    path = tmp_path / "litbase.db"
    invoke("build", path, ROOT / "datasets" / "peer-support")
    db = sqlite_utils.Database(path)
    with db.conn:
        save_citations(db, [(SEED, RETRACTED, "icite_refs", "2026-12-05T00:00:00+00:00")])
    assert cites_retracted(path) == []
    invoke("import", path, FIXTURE)
    assert cites_retracted(path) == [(SEED, 1)]


def test_facet_and_canned_query(db_path):
    data = rows(db_path, "/litbase/articles.json?_size=0")
    assert [(f["value"], f["count"]) for f in data["facet_results"]["cites_retracted"]["results"]] == [(1, 1)]
    query = "/litbase/cites_retracted.json?_shape=array&collection="
    assert [(r["pmid"], r["retracted_pmid"], r["retraction_notice"], r["sources"])
            for r in rows(db_path, query)] == [
        (SEED, RETRACTED, "Oncol Lett. 2021 Jul;22(1):545 PMID: 34093767", "icite_refs")]
    assert len(rows(db_path, query + "peer-support")) == 1
    assert rows(db_path, query + "retractions") == []  # the seed is not a member
    export = fetch(db_path, "/litbase/cites_retracted.ris?collection=")
    assert [line for line in export.text.splitlines() if line.startswith("AN  -")] == [f"AN  - {SEED}"]


def test_every_list_marks_a_retracted_article(db_path):
    citations, members, search, query, articles = fetch(
        db_path, f"/litbase/citations?citing={SEED}&_size=100",
        "/litbase/collection_members?collection=retractions",
        "/litbase/search?q=proliferation", "/litbase/cites_retracted?collection=",
        "/litbase/articles?cites_retracted=1")
    for page in (citations, members, search, query):
        assert page.status_code == 200
        assert page.text.count(CHIP) == 1, page.url
    assert f'<a href="/litbase/articles/{RETRACTED}">27602157</a>' in members.text
    # Not stored, not known to PubMed: said in words, linked to nothing.
    assert ("<span class=\"litbase-no-record\">99999991 <em>(PubMed has no record of this PMID)</em></span>"
            in citations.text)
    assert f'href="/litbase/articles/{UNKNOWN}"' not in citations.text
    assert f'href="/litbase/articles/{SEED}"' in articles.text and CHIP not in articles.text


def test_marks_are_cached_until_the_file_changes(db_path, tmp_path):
    path = tmp_path / "litbase.db"
    sqlite3.connect(db_path).backup(copy := sqlite3.connect(path))
    copy.close()

    async def run():
        ds = Datasette([str(path)])
        first = await marks_for(ds, "litbase")
        again = await marks_for(ds, "litbase")
        writer = sqlite3.connect(path)
        writer.execute("update articles set is_retracted = 1 where pmid = ?", [FIRST])
        writer.commit()
        changed = await marks_for(ds, "litbase")
        writer.close()
        return first, again, changed

    first, again, changed = asyncio.run(run())
    assert first == {"retracted": {RETRACTED}, "missing": {UNKNOWN}}
    assert again is first
    assert changed["retracted"] == {RETRACTED, FIRST}


def test_every_export_format_carries_the_retraction(db_path):
    def export(fmt, *extra):
        result = CliRunner().invoke(cli, ["export", str(db_path), str(RETRACTED), "--format", fmt, *extra])
        assert result.exit_code == 0, result.output
        return result.stdout

    assert f"N1  - {NOTE}" in export("ris").splitlines()
    assert f"  note = {{{NOTE} PMCID: PMC4998573}}," in export("bibtex").splitlines()
    assert json.loads(export("csljson"))[0]["note"] == NOTE
    medline = export("medline").splitlines()
    assert "PT  - Retracted Publication" in medline
    assert "RIN - Oncol Lett. 2021 Jul;22(1):545. PMID: 34093767" in medline
    for style in ("vancouver", "ama", "apa"):
        assert export("text", "--style", style).rstrip("\n").endswith(" " + NOTE), style
    # An article that is not retracted carries no note.
    other = CliRunner().invoke(cli, ["export", str(db_path), str(ERRATUM_OF), "--format", "ris"]).stdout
    assert "Retract" not in other and "concern" not in other


def test_an_expression_of_concern_travels_too(db_path):
    concern = "Expression of concern in: Int Wound J. 2021 Jun 7;:. PMID: 34096680."

    def export(fmt):
        result = CliRunner().invoke(cli, ["export", str(db_path), str(CONCERN), "--format", fmt])
        assert result.exit_code == 0, result.output
        return result.stdout

    assert f"N1  - {concern}" in export("ris").splitlines()
    assert json.loads(export("csljson"))[0]["note"] == concern
    assert f"  note = {{{concern}}}," in export("bibtex").splitlines()
    assert "ECI - Int Wound J. 2021 Jun 7;:. PMID: 34096680" in export("medline").splitlines()
    assert export("text").rstrip("\n").endswith(" " + concern)


# -- refresh: new retractions, errata and expressions of concern, in changes and the feed --

NOTICES = {REFS[2]: ("ErratumIn", 998, "J Synth Med Educ. 2024;1:1"),
           REFS[3]: ("ExpressionOfConcernIn", 997, "J Synth Med Educ. 2024;1:2")}


def with_notices(original):
    """The fake server's record, with the CommentsCorrections this test gives some articles."""
    def article_xml(article):
        xml = original(article)
        if article.pmid in NOTICES and getattr(article, "noticed", False):
            ref_type, pmid, source = NOTICES[article.pmid]
            xml = xml.replace("</Article></MedlineCitation>", (
                f'</Article><CommentsCorrectionsList><CommentsCorrections RefType="{ref_type}">'
                f'<RefSource>{source}</RefSource><PMID Version="1">{pmid}</PMID></CommentsCorrections>'
                "</CommentsCorrectionsList></MedlineCitation>"))
        return xml
    return article_xml


def test_refresh_logs_retractions_errata_and_concerns_and_the_feed_reports_them(monkeypatch, tmp_path):
    monkeypatch.setattr(eutils_server, "_article_xml", with_notices(eutils_server._article_xml))
    path = tmp_path / "litbase.db"
    with FakeEutilsServer(seed_corpus()) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "k")
        invoke("fetch", path, FAKE_SEED, "--no-progress", "--sources", "pubmed")
        assert cites_retracted(path) == []
        fake.corpus.get(REFS[1]).retracted_by = 999
        for pmid in NOTICES:
            fake.corpus.get(pmid).noticed = True
        result = invoke("refresh", path, "--collection", f"pmid-{FAKE_SEED}")
    assert "1 erratum, 1 expression of concern, 1 retracted;" in result.output
    assert sqlite3.connect(path).execute(
        "select pmid, what, related_pmid, detail from changes order by id").fetchall() == [
        (REFS[1], "retracted", 999, "PubMed now marks this article as retracted"),
        (REFS[2], "erratum", 998, "PubMed now links an erratum: J Synth Med Educ. 2024;1:1"),
        (REFS[3], "expression_of_concern", 997,
         "PubMed now links an expression of concern: J Synth Med Educ. 2024;1:2"),
    ]
    assert cites_retracted(path) == [(FAKE_SEED, 1)]
    feed = etree.fromstring(fetch(path, "/-/changes/litbase.atom").content)
    assert feed.findtext(f"{ATOM}title") == "New citing articles and retractions in litbase"
    entries = [(e.findtext(f"{ATOM}title"), e.findtext(f"{ATOM}id"), e.find(f"{ATOM}link").get("href"),
                e.find(f"{ATOM}category").get("term"), e.findtext(f"{ATOM}summary"))
               for e in feed.findall(f"{ATOM}entry")]
    assert entries == [
        (f"Expression of concern: Synthetic article {REFS[3]}",
         f"https://pubmed.ncbi.nlm.nih.gov/{REFS[3]}/#expression-of-concern-997",
         "https://pubmed.ncbi.nlm.nih.gov/997/", "expression_of_concern",
         f"PMID {REFS[3]}: PubMed now links an expression of concern: J Synth Med Educ. 2024;1:2"
         f" (notice PMID 997); 1 article stored here cites it in collection pmid-{FAKE_SEED}"),
        (f"Erratum: Synthetic article {REFS[2]}",
         f"https://pubmed.ncbi.nlm.nih.gov/{REFS[2]}/#erratum-998",
         "https://pubmed.ncbi.nlm.nih.gov/998/", "erratum",
         f"PMID {REFS[2]}: PubMed now links an erratum: J Synth Med Educ. 2024;1:1"
         f" (notice PMID 998); 1 article stored here cites it in collection pmid-{FAKE_SEED}"),
        (f"Retracted: Synthetic article {REFS[1]}",
         f"https://pubmed.ncbi.nlm.nih.gov/{REFS[1]}/#retracted",
         "https://pubmed.ncbi.nlm.nih.gov/999/", "retracted",
         f"PMID {REFS[1]}: PubMed now marks this article as retracted (notice PMID 999);"
         f" 1 article stored here cites it in collection pmid-{FAKE_SEED}"),
    ]
    page = fetch(path, f"/litbase/articles/{FAKE_SEED}")
    assert "Of these references, 1 is retracted, 1 corrected (an erratum) and 1 under an expression" in page.text


def test_notice_changes_are_not_logged_twice(db_path):
    """A retracted article's notice list read again is no news (real record, stored as is)."""
    from litbase.grow.refresh import record_differences
    from litbase.parse.pubmed import parse_pubmed_xml
    from litbase.store.load import stored_rows

    records = {a["pmid"]: a for a in parse_pubmed_xml(FIXTURE.read_bytes())}
    stored = stored_rows(sqlite_utils.Database(db_path), [RETRACTED, CONCERN, ERRATUM_OF])
    for pmid in (RETRACTED, CONCERN, ERRATUM_OF):
        found = record_differences(stored[pmid], records[pmid], "2026-12-05T00:00:00+00:00")
        assert [c["what"] for c in found if c["what"] != "record_corrected"] == [], pmid
    fresh = dict(stored[CONCERN], related_notices="[]")
    assert [(c["what"], c["related_pmid"]) for c in record_differences(fresh, records[CONCERN], "x")
            if c["what"] != "record_corrected"] == [("expression_of_concern", 34096680)]
    # NLM rewrites the notice's source line once its issue is out: the same notice (same PMID).
    rewritten = dict(stored[CONCERN], related_notices=json.dumps([
        {"ref_type": "ExpressionOfConcernIn", "pmid": 34096680, "citation": "Int Wound J. 2021 Aug;18(4):1"}]))
    assert [c for c in record_differences(rewritten, records[CONCERN], "x")
            if c["what"] != "record_corrected"] == []
    assert RETRACTION_NOTICE in {n["pmid"] for n in records[RETRACTED]["related_notices"]}
