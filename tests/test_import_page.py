"""`litbase import` of a PubMed page's text: the article, its reference lines and citation links."""

from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from eutils_server import Corpus, FakeEutilsServer

from litbase.cli import cli
from litbase.imports.page import title_query
from litbase.parse.page import parse_page, parse_reference_line

SEED_PAGE = Path(__file__).parents[2] / "shared" / "seed" / "seed-page-35392492.txt"
FIXTURE = Path(__file__).parent / "fixtures" / "page" / "synthetic-page.txt"
OWN = 40000099  # the fixture's own article, named by its reference 5
TITLE = "Peer mentoring for night-shift interns: a synthetic test article."


@pytest.fixture
def server(monkeypatch):
    corpus = Corpus()
    corpus.add(OWN, title=TITLE, year=2023)
    with FakeEutilsServer(corpus) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "k")
        yield fake


def run(*args):
    return CliRunner().invoke(cli, ["import", *map(str, args)])


def rows(db, sql, params=()):
    return [tuple(r) for r in db.execute(sql, params).fetchall()]


@pytest.mark.skipif(not SEED_PAGE.exists(), reason="../shared/seed is not here")
def test_seed_page_into_an_empty_database(server, tmp_path):
    db_path = tmp_path / "seed.db"
    result = run(db_path, SEED_PAGE)
    assert result.exit_code == 0, result.output
    assert server.requests == []  # the PMID is in the file name
    assert ("PubMed page of PMID 35392492 (taken from the file name); 51 reference lines,"
            " 50 citation links, 0 lines without a PMID; line 47 names the page's own article"
            " (flagged)") in result.output
    db = sqlite_utils.Database(db_path)
    assert db["article_references"].count == 51
    assert rows(db, "select source, count(*) from citations group by source") == [("seed_page", 50)]
    assert rows(db, "select position, cited_pmid from article_references where is_self_reference") == [
        (47, 35392492)]
    assert rows(db, "select count(*) from citations where cited = citing") == [(0,)]
    first = db["articles"].get(27092397)
    assert {k: first[k] for k in ("journal_iso", "year", "month", "volume", "issue", "pages",
                                  "pub_date", "title", "record_source")} == {
        "journal_iso": "Teach Learn Med", "year": 2016, "month": 7, "volume": "28", "issue": "3",
        "pages": "293-302", "pub_date": "2016 Jul-Sep", "title": None, "record_source": "seed_page"}
    seed = db["articles"].get(35392492)
    assert seed["title"].startswith('"Everybody in this room can understand"')
    assert seed["authors"] == "Jain A, Tabatabai R, Schreiber J, Vo A, Riddell J"
    assert (seed["journal_iso"], seed["year"], seed["volume"], seed["issue"], seed["pages"]) == (
        "AEM Educ Train", 2022, "6", "2", "e10728")
    assert (seed["references_status"], seed["references_count"]) == ("known", 50)
    assert db["articles"].count == 51
    assert rows(db, "select role, depth, seed_pmid, count(*) from collections_articles"
                    " group by 1, 2, 3 order by 1") == [
        ("reference", 1, 35392492, 50), ("seed", 0, 35392492, 1)]


def test_parse_the_hand_written_page():
    page = parse_page(FIXTURE.read_text())
    assert page["title"] == TITLE
    assert [(a["last_name"], a["fore_name"], a["initials"]) for a in page["authors"]] == [
        ("van der Berg", "Maria", "M"), ("Okafor", "Tomas", "T"), ("Wei", "Li", "L")]
    assert page["authors"][0]["affiliations"] == [
        "Department of Synthetic Medicine, Example University, Springfield, USA."]
    assert [s["label"] for s in page["abstract_sections"]] == ["Background", "Methods", "Results",
                                                               "Conclusions"]
    refs = page["references"]
    assert [(r["position"], r["pmid"]) for r in refs] == [
        (1, 40000001), (2, 40000002), (3, None), (4, 40000004), (5, OWN), (6, 40000002)]
    assert {k: refs[0][k] for k in ("journal_iso", "year", "month", "pub_date", "volume", "issue",
                                    "pages")} == {
        "journal_iso": "J Synth Med Educ", "year": 2019, "month": None, "pub_date": "2019 Winter",
        "volume": "11", "issue": "4", "pages": "401-9"}
    assert (refs[1]["month"], refs[1]["day"], refs[1]["pmcid"]) == (10, 15, "PMC7000002")
    assert (refs[2]["journal_iso"], refs[2]["citation"]) == (
        None, "A textbook of night shifts. Springfield: Example Press; 2015.")
    assert (refs[3]["volume"], refs[3]["issue"], refs[3]["pages"], refs[3]["doi"]) == (
        "3", None, "e55", "10.5555/srl.2021.55")
    assert (refs[4]["month"], refs[4]["day"]) == (1, None)


@pytest.mark.parametrize("line, expected", [
    ("BMC Med Educ. 2005 Jun 22;5:21", ("BMC Med Educ", 2005, 6, 22, "5", None, "21")),
    ("Curr Probl Diagn Radiol. 2019 Mar - Apr;48(2):105-107",
     ("Curr Probl Diagn Radiol", 2019, 3, None, "48", "2", "105-107")),
    ("Can Fam Physician. 2005 Feb;51:242-3", ("Can Fam Physician", 2005, 2, None, "51", None, "242-3")),
    ("Am J Community Psychol. 2007 Mar;39(1-2):133-44",
     ("Am J Community Psychol", 2007, 3, None, "39", "1-2", "133-44")),
    ("J Psychol. 2021;155(4):387-405", ("J Psychol", 2021, None, None, "155", "4", "387-405")),
])
def test_reference_line_parts(line, expected):
    ref = parse_reference_line(1, line)
    assert tuple(ref[k] for k in ("journal_iso", "year", "month", "day", "volume", "issue",
                                  "pages")) == expected


def test_hand_written_page_with_pmid_option(server, tmp_path):
    db_path = tmp_path / "page.db"
    result = run(db_path, FIXTURE, "--pmid", OWN, "--collection", "night")
    assert result.exit_code == 0, result.output
    assert server.requests == []
    # The PMID is given, so NCBI is not asked and the output does not say it is.
    assert result.output == (f"{FIXTURE}: PubMed page of PMID 40000099 (given with --pmid); 6 reference"
                             " lines, 4 citation links, 1 lines without a PMID; line 5 names the page's"
                             " own article (flagged); collection 'night'.\n")
    db = sqlite_utils.Database(db_path)
    assert rows(db, "select citing, cited, source from citations order by cited") == [
        (OWN, 40000001, "seed_page"), (OWN, 40000002, "seed_page"), (OWN, 40000004, "seed_page")]
    assert rows(db, "select position, cited_pmid, doi, pmcid, is_self_reference"
                    " from article_references order by position") == [
        (1, 40000001, None, None, 0), (2, 40000002, None, "PMC7000002", 0), (3, None, None, None, 0),
        (4, 40000004, "10.5555/srl.2021.55", None, 0), (5, OWN, None, None, 1),
        (6, 40000002, None, None, 0)]
    assert sorted(r["pmid"] for r in db["articles"].rows) == [40000001, 40000002, 40000004, OWN]
    assert db["articles"].get(40000002)["pmcid"] == "PMC7000002"
    own = db["articles"].get(OWN)
    assert (own["journal_iso"], own["year"], own["month"], own["pages"]) == (
        "Ann Synth Stud", 2023, 1, "1-10")
    # Safe to run twice: same rows.
    counts = {t: db[t].count for t in ("articles", "citations", "article_references",
                                       "collections_articles", "articles_authors")}
    assert run(db_path, FIXTURE, "--pmid", OWN, "--collection", "night").exit_code == 0
    assert {t: db[t].count for t in counts} == counts


def test_pmid_found_by_title_when_the_network_answers(server, tmp_path):
    server.corpus.register_term(title_query(TITLE), [OWN])
    result = run(tmp_path / "t.db", FIXTURE)
    assert result.exit_code == 0, result.output
    assert [(r.endpoint, r.params["term"]) for r in server.requests] == [
        ("esearch", "Peer mentoring for night-shift interns: a synthetic test article[Title]")]
    first, second = result.output.splitlines()
    assert first == f"{FIXTURE}: the page does not state its PMID; asking PubMed for its title…"
    assert second.startswith(f"{FIXTURE}: PubMed page of PMID 40000099 (found by its title);")


def test_title_without_a_single_match_asks_for_pmid(server, tmp_path):
    server.corpus.register_term(title_query(TITLE), [])
    db_path = tmp_path / "t.db"
    result = run(db_path, FIXTURE)
    assert result.exit_code == 1
    assert ("the page does not state its PMID and PubMed finds 0 articles with this title;"
            " give it with --pmid") in result.output
    assert "Nothing from" in result.output
    db = sqlite_utils.Database(db_path)
    assert db["articles"].count == 0 and db["collections"].count == 0


def test_no_network_and_no_pmid_is_refused(monkeypatch, tmp_path):
    with FakeEutilsServer() as fake:
        url = fake.base_url
    monkeypatch.setenv("LITBASE_EUTILS_URL", url)  # the server is gone: connection refused
    result = run(tmp_path / "t.db", FIXTURE)
    assert result.exit_code == 1
    assert "PubMed could not be asked for the title" in result.output
    assert "give it with --pmid" in result.output


def test_stored_pubmed_record_wins_over_the_page(server, tmp_path):
    db_path = tmp_path / "s.db"
    assert CliRunner().invoke(cli, ["fetch", str(db_path), str(OWN), "--depth", "0", "--sources", "pubmed",
                                    "--no-progress"]).exit_code == 0
    result = run(db_path, FIXTURE, "--pmid", OWN)
    assert result.exit_code == 0, result.output
    own = sqlite_utils.Database(db_path)["articles"].get(OWN)
    assert (own["title"], own["record_source"], own["year"]) == (TITLE, "efetch", 2023)
    # The page fills what the record lacked; its list has 5 entries besides the self-reference.
    assert (own["journal_iso"], own["pages"], own["references_count"]) == ("Ann Synth Stud", "1-10", 5)


def test_a_broken_reference_list_stores_nothing(tmp_path):
    page = tmp_path / "broken-12345678.txt"
    page.write_text(FIXTURE.read_text().replace("  3. A textbook", "  A textbook"))
    db_path = tmp_path / "b.db"
    result = run(db_path, page)
    assert result.exit_code == 1
    assert "line 20: reference line does not start with its number" in result.output
    assert sqlite_utils.Database(db_path)["articles"].count == 0
