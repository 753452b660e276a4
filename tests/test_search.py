"""`litbase search` against the local E-utilities server: history paging, date splitting, errors."""

import datetime as dt

import pytest
import sqlite_utils
from click.testing import CliRunner
from eutils_server import Corpus, FakeEutilsServer

from litbase.grow import search as search_module
from litbase.cli import cli
from litbase.grow.search import SearchError, date_ranges, halves

TERM = "peer support residency"
HITS = list(range(7000, 7100))  # 100 hits; the fake lists them newest (highest PMID) first


@pytest.fixture
def server(monkeypatch):
    corpus = Corpus()
    for pmid in HITS:
        corpus.add(pmid, title=f"Peer support in residency {pmid}", year=2000 + pmid % 20)
    corpus.register_term(TERM, HITS)
    with FakeEutilsServer(corpus) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "SECRET-TEST-KEY")  # 10 requests/s keeps the suite quick
        monkeypatch.setenv("NCBI_EMAIL", "tests@example.org")
        yield fake


def run(*args):
    return CliRunner().invoke(cli, ["search", *map(str, args), "--no-progress"])


def test_small_query_is_one_search_and_one_history_fetch(server, tmp_path):
    db_path = tmp_path / "s.db"
    result = run(db_path, TERM, "--collection", "peer")
    assert result.exit_code == 0, result.output
    assert [(r.method, r.endpoint) for r in server.requests] == [("GET", "esearch"), ("GET", "efetch")]
    query, page = server.requests
    assert {k: query.params[k] for k in ("db", "term", "usehistory", "retmax")} == {
        "db": "pubmed", "term": TERM, "usehistory": "y", "retmax": "9999"}
    assert "mindate" not in query.params
    assert {k: page.params[k] for k in ("WebEnv", "query_key", "retstart", "retmax")} == {
        "WebEnv": "MCID_fake000001", "query_key": "1", "retstart": "0", "retmax": "100"}
    db = sqlite_utils.Database(db_path)
    assert sorted(r["pmid"] for r in db["articles"].rows) == HITS
    collection = db["collections"].get("peer")
    assert (collection["query"], collection["query_count"], collection["stored_count"]) == (TERM, 100, 100)
    assert {(r["role"], r["depth"], r["seed_pmid"]) for r in db["collections_articles"].rows} == {
        ("search", 0, None)}
    assert db["collections_articles"].count == 100
    assert "PubMed reports 100 hits; collection 'peer' holds 100, 100 of them stored" in result.output


def test_rerun_searches_again_and_fetches_nothing(server, tmp_path):
    db_path = tmp_path / "s.db"
    assert run(db_path, TERM).exit_code == 0
    server.clear_log()
    result = run(db_path, TERM)
    assert result.exit_code == 0, result.output
    assert [r.endpoint for r in server.requests] == ["esearch"]
    db = sqlite_utils.Database(db_path)
    assert db["articles"].count == 100
    assert db["collections"].get("search-peer-support-residency")["stored_count"] == 100


def test_max_keeps_the_newest_and_later_runs_skip_stored_records(server, tmp_path):
    db_path = tmp_path / "s.db"
    result = run(db_path, TERM, "--max", 10)
    assert result.exit_code == 0, result.output
    assert server.requests[0].params["retmax"] == "10"
    assert server.requests[1].params["retmax"] == "10"
    db = sqlite_utils.Database(db_path)
    assert sorted(r["pmid"] for r in db["articles"].rows) == HITS[-10:]
    server.clear_log()
    assert run(db_path, TERM).exit_code == 0
    # The page holds 10 stored records: the other 90 are asked for by PMID.
    assert [r.endpoint for r in server.requests] == ["esearch", "efetch"]
    asked = sorted(int(p) for p in server.requests[1].params["id"].split(","))
    assert asked == HITS[:90]
    assert db["articles"].count == 100


def test_query_error_inside_http_200_is_shown_and_nothing_stored(server, tmp_path):
    db_path = tmp_path / "s.db"
    result = run(db_path, "peer (support")
    assert result.exit_code == 1
    assert result.output == ("Error: PubMed (esearch) answered with an error: Invalid query. Everything"
                             " fetched so far is stored; asking again will not help: check the query.\n")
    assert server.count() == 1  # a bad query is not retried
    db = sqlite_utils.Database(db_path)
    assert db["collections"].count == 0 and db["articles"].count == 0


def test_injected_ncbi_error_is_not_zero_hits(server, tmp_path):
    server.inject("esearch", "error200", message="Unknown field tag [tiabx]")
    result = run(tmp_path / "s.db", TERM)
    assert result.exit_code == 1
    assert result.output == ("Error: PubMed (esearch) answered with an error: Unknown field tag [tiabx]."
                             " Everything fetched so far is stored; asking again will not help:"
                             " check the query.\n")
    assert "0 hits" not in result.output


def test_phrase_not_found_is_reported(server, tmp_path):
    result = run(tmp_path / "s.db", "Peer support in residency 7001 AND zzzunknown")
    assert result.exit_code == 0, result.output
    assert "PubMed: PhraseNotFound: zzzunknown" in result.output
    assert "PubMed reports 1 hits" in result.output


def test_a_query_of_25000_hits_is_split_by_date(monkeypatch, tmp_path):
    monkeypatch.setattr(search_module, "current_year", lambda: 2025)
    corpus = Corpus()
    pmids = corpus.register_term("big query", count=25_000, years=(2000, 2024))
    with FakeEutilsServer(corpus) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "k")
        result = run(tmp_path / "big.db", "big query", "--collection", "big")
        assert result.exit_code == 0, result.output
        searches = [(r.params.get("mindate"), r.params.get("maxdate"), r.params["retmax"],
                     r.params.get("usehistory")) for r in fake.requests if r.endpoint == "esearch"]
        assert all(r.params.get("datetype", "pdat") == "pdat" for r in fake.requests
                   if r.endpoint == "esearch")
        pages = [r for r in fake.requests if r.endpoint == "efetch"]
    d = lambda lo, hi: (f"{lo}/01/01", f"{hi}/12/31")  # noqa: E731
    assert searches == [
        (None, None, "9999", "y"),  # 25,000 > 9,999: bisect from 1700 to next year
        (*d(1864, 2026), "0", None),
        (*d(1946, 2026), "0", None),
        (*d(1987, 2026), "0", None),
        (*d(2007, 2026), "0", None),
        (*d(2017, 2026), "0", None),  # 8,000: a slice
        (*d(2017, 2026), "9999", "y"),
        (*d(2007, 2016), "0", None),  # 10,000: one too many
        (*d(2012, 2016), "0", None),
        (*d(2012, 2016), "9999", "y"),
        (*d(2007, 2011), "0", None),
        (*d(2007, 2011), "9999", "y"),
        (*d(1987, 2006), "0", None),  # 2000-2006: 7,000
        (*d(1987, 2006), "9999", "y"),
        (*d(1946, 1986), "0", None),
        (*d(1864, 1945), "0", None),
        (*d(1700, 1863), "0", None),
    ]
    assert len(pages) == 16 + 10 + 10 + 14
    assert all(int(p.params["retmax"]) == 500 for p in pages)
    assert all("id" not in p.params for p in pages)  # every page comes from the history server
    db = sqlite_utils.Database(tmp_path / "big.db")
    assert db.execute("select count(*), count(distinct pmid) from articles").fetchone() == (25_000, 25_000)
    assert {r[0] for r in db.execute("select pmid from articles")} == set(pmids)
    collection = db["collections"].get("big")
    assert (collection["query_count"], collection["stored_count"]) == (25_000, 25_000)
    assert db["collections_articles"].count == 25_000
    assert "PubMed reports 25000 hits in 4 publication-date slices" in result.output


def test_halves_split_years_then_days():
    assert halves(dt.date(2000, 1, 1), dt.date(2003, 12, 31)) == (
        (dt.date(2000, 1, 1), dt.date(2001, 12, 31)), (dt.date(2002, 1, 1), dt.date(2003, 12, 31)))
    assert halves(dt.date(2020, 1, 1), dt.date(2020, 12, 31)) == (
        (dt.date(2020, 1, 1), dt.date(2020, 7, 1)), (dt.date(2020, 7, 2), dt.date(2020, 12, 31)))


def test_one_year_over_the_cap_is_split_by_days():
    # 12,000 hits spread evenly over 2020 (366 days): two halves of 183 days each.
    per_day = 12_000 / 366

    def count(start, end):
        return round(((end - start).days + 1) * per_day) if start.year == 2020 else 0

    ranges = list(date_ranges(count, dt.date(2020, 1, 1), dt.date(2020, 12, 31)))
    assert ranges == [(dt.date(2020, 7, 2), dt.date(2020, 12, 31), 6000),
                      (dt.date(2020, 1, 1), dt.date(2020, 7, 1), 6000)]


def test_one_day_over_the_cap_is_refused_with_advice():
    with pytest.raises(SearchError, match="2020/03/01; ESearch lists at most 9999"):
        list(date_ranges(lambda s, e: 20_000, dt.date(2020, 3, 1), dt.date(2020, 3, 1)))
