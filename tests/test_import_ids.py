"""`litbase import` of identifier lists: PMIDs as they are, DOIs and PMCIDs resolved, the rest kept."""

import json

import pytest
import sqlite_utils
from click.testing import CliRunner
from eutils_server import Corpus, FakeEutilsServer

from litbase.cli import cli
from litbase.imports.files import import_file
from litbase.imports.ids import NOT_ASKED
from litbase.model.errors import BibliographyError
from litbase.parse.idlists import SNIFF, parse_id_list
from litbase.store.schema import open_db

LIST = """# my reading list
123456, 234567 345678
PMC500
doi:10.5555/SYNTH.501
https://doi.org/10.9999/nowhere
PMC999999
123456
"""


@pytest.fixture
def server(monkeypatch):
    corpus = Corpus()
    corpus.add(500, in_pmc=True)  # PMC500, DOI 10.5555/synth.500
    corpus.add(501)  # not in PMC: the ID converter does not know its DOI, PubMed does
    corpus.add(123456)
    corpus.add(234567)  # 345678 PubMed does not know
    with FakeEutilsServer(corpus) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("LITBASE_IDCONV_URL", fake.idconv_url)
        monkeypatch.setenv("NCBI_API_KEY", "k")
        yield fake


def run(*args):
    return CliRunner().invoke(cli, ["import", *map(str, args)])


def test_parse_id_list():
    assert parse_id_list(LIST) == [
        {"kind": "pmid", "value": 123456, "line": 2},
        {"kind": "pmid", "value": 234567, "line": 2},
        {"kind": "pmid", "value": 345678, "line": 2},
        {"kind": "pmcid", "value": "PMC500", "line": 3},
        {"kind": "doi", "value": "10.5555/synth.501", "line": 4},
        {"kind": "doi", "value": "10.9999/nowhere", "line": 5},
        {"kind": "pmcid", "value": "PMC999999", "line": 6},
    ]
    assert SNIFF.match(LIST)
    assert SNIFF.match("1\n2\n3")
    assert not SNIFF.match("TY  - JOUR\n")
    assert not SNIFF.match("Some title\n\nAbstract\n")


@pytest.mark.parametrize("text, line, message", [
    ("123\nabc\n", 2, "'abc' is neither a PMID, a PMCID (PMC123) nor a DOI"),
    ("123 0\n", 1, "'0' is not a PMID"),
    ("# nothing\n", None, "no identifier in the file"),
])
def test_bad_lists_name_the_problem(text, line, message):
    with pytest.raises(BibliographyError) as error:
        parse_id_list(text, "l.txt")
    assert (error.value.line, message in str(error.value)) == (line, True)


def test_ids_resolved_and_unresolved_kept(server, tmp_path):
    source = tmp_path / "reading.txt"
    source.write_text(LIST)
    db_path = tmp_path / "ids.db"
    result = run(db_path, source)
    # Exit 1: PubMed has no record for one PMID of the list (reported once; tests/test_exit_status.py).
    assert result.exit_code == 1, result.output
    assert [(r.endpoint, r.params.get("idtype"), r.params.get("ids"), r.params.get("term"))
            for r in server.requests][:4] == [
        ("idconv", "pmcid", "PMC500,PMC999999", None),
        ("idconv", "doi", "10.5555/synth.501,10.9999/nowhere", None),
        ("esearch", None, None, '"10.5555/synth.501"[doi]'),
        ("esearch", None, None, '"10.9999/nowhere"[doi]'),
    ]
    # Then the records, through the fetch path: one efetch, and one more for the PMID it lacked.
    assert [(r.endpoint, r.params.get("id")) for r in server.requests[4:]] == [
        ("efetch", "123456,234567,345678,500,501"), ("efetch", "345678")]
    assert all(r.params["format"] == "json" for r in server.requests[:2])
    db = sqlite_utils.Database(db_path)
    assert [r["pmid"] for r in db["collections_articles"].rows_where(
        "collection = 'reading'", order_by="pmid")] == [500, 501, 123456, 234567]
    assert {r["role"] for r in db["collections_articles"].rows} == {"import"}
    # Every row a record from PubMed, with its title; the PMID PubMed does not know is no row.
    assert {(r["pmid"], r["record_source"], bool(r["title"])) for r in db["articles"].rows} == {
        (p, "efetch", True) for p in (500, 501, 123456, 234567)}
    assert [r["pmid"] for r in db["missing_pmids"].rows] == [345678]
    kept = {r["id"]: (r["doi"], r["line"], json.loads(r["record"])["unresolved"])
            for r in db["unmatched_records"].rows}
    assert kept == {
        "doi:10.9999/nowhere": ("10.9999/nowhere", 5,
                                "neither the ID converter nor PubMed knows this DOI"),
        "pmcid:pmc999999": (None, 6, "the ID converter knows no PubMed record for it"),
    }
    # Before the first request, one line says that NCBI is asked, and why.
    assert result.output.splitlines() == [
        f"{source}: resolving 2 DOIs and 2 PMCIDs through NCBI's ID converter and PubMed…",
        f"{source}: fetching 5 records from PubMed…",
        f"{source}: 3 PMIDs, 2 DOIs and 2 PMCIDs; 2 resolved to PMIDs; 4 records fetched from PubMed;"
        " 4 articles in collection 'reading' (4 not stored before).",
        "PubMed has no record for PMID 345678: not stored.",
        "Not resolved, kept in unmatched_records:",
        "  PMC999999: the ID converter knows no PubMed record for it",
        "  10.9999/nowhere: neither the ID converter nor PubMed knows this DOI",
    ]


def test_a_pmid_list_fetches_only_what_is_not_stored(server, tmp_path):
    server.corpus.add(42)
    server.corpus.add(43)
    server.corpus.add(44)
    db_path = tmp_path / "p.db"
    db = sqlite_utils.Database(db_path)
    source = tmp_path / "list.pmids"
    source.write_text("42\n43\n")
    assert run(db_path, source, "--collection", "mine").exit_code == 0
    db["articles"].update(42, {"title": "Stored before"})
    server.clear_log()
    source.write_text("42, 44")
    result = run(db_path, source, "--collection", "mine")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{source}: fetching 1 record from PubMed…",
        f"{source}: 2 PMIDs, 0 DOIs and 0 PMCIDs; 0 resolved to PMIDs; 1 records fetched from PubMed;"
        " 2 articles in collection 'mine' (1 not stored before)."]
    assert [(r.endpoint, r.params["id"]) for r in server.requests] == [("efetch", "44")]
    assert db["articles"].get(42)["title"] == "Stored before"
    assert sorted(r["pmid"] for r in db["collections_articles"].rows) == [42, 43, 44]
    # All stored: a third import asks nothing.
    server.clear_log()
    result = run(db_path, source, "--collection", "mine")
    assert result.exit_code == 0 and server.requests == []


def test_a_pmid_list_offline_says_nothing_could_be_fetched(tmp_path):
    # NCBI is a closed port (tests/conftest.py).
    source = tmp_path / "list.pmids"
    source.write_text("42 43\n")
    db_path = tmp_path / "o.db"
    result = run(db_path, source)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{source}: fetching 2 records from PubMed…",
        f"{source}: 2 PMIDs, 0 DOIs and 0 PMCIDs; 0 resolved to PMIDs; 0 records fetched from PubMed;"
        " 2 articles in collection 'list' (2 not stored before).",
        "PubMed (127.0.0.1) could not be reached: the connection was refused. Nothing more could be"
        " fetched: 2 articles of collection 'list' wait for their records; when the network is back,"
        f" run: litbase refresh {db_path} --collection list"]
    db = sqlite_utils.Database(db_path)
    assert {(r["pmid"], r["record_source"]) for r in db["articles"].rows} == {(42, "import"), (43, "import")}


def test_a_pmcid_alone_asks_only_the_converter(server, tmp_path):
    source = tmp_path / "one.txt"
    source.write_text("PMC500\n")
    result = run(tmp_path / "c.db", source)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"{source}: resolving 1 PMCID through NCBI's ID converter…"
    assert [(r.endpoint, r.params.get("ids") or r.params.get("id")) for r in server.requests] == [
        ("idconv", "PMC500"), ("efetch", "500")]


def test_unreachable_converter_keeps_the_ids_and_imports_the_pmids(monkeypatch, tmp_path):
    monkeypatch.setenv("LITBASE_EUTILS_URL", "http://127.0.0.1:9/")
    monkeypatch.setenv("LITBASE_IDCONV_URL", "http://127.0.0.1:9/idconv/")
    monkeypatch.setenv("NCBI_EMAIL", "who@example.org")
    monkeypatch.setenv("NCBI_API_KEY", "KEY-0123456789abcdef")
    source = tmp_path / "mixed.txt"
    source.write_text("7 PMC8\n")
    db_path = tmp_path / "m.db"
    result = run(db_path, source)
    assert result.exit_code == 1, result.output
    assert f"wait for their records; when the network is back, run: litbase refresh {db_path}" in result.output
    assert result.output.splitlines()[0] == f"{source}: resolving 1 PMCID through NCBI's ID converter…"
    assert "PMC8: ID converter failed" in result.output
    db = sqlite_utils.Database(db_path)
    assert [r["pmid"] for r in db["articles"].rows] == [7]
    assert [r["id"] for r in db["unmatched_records"].rows] == ["pmcid:pmc8"]
    # The refused connection is named in the reason, shown and stored, without the URL or who asked.
    stored = db["unmatched_records"].get("pmcid:pmc8")["record"]
    assert "127.0.0.1 could not be reached: the connection was refused" in stored
    for secret in ("who@example.org", "who%40example.org", "KEY-0123456789abcdef"):
        assert secret not in stored and secret not in result.output


def test_a_bad_token_stores_nothing(tmp_path):
    source = tmp_path / "bad.pmids"
    source.write_text("1\n2\nthree\n")
    db_path = tmp_path / "b.db"
    result = run(db_path, source)
    assert result.exit_code == 1
    assert "bad.pmids, line 3: 'three' is neither a PMID" in result.output
    assert sqlite_utils.Database(db_path)["articles"].count == 0


def test_the_library_without_clients_asks_nobody_and_keeps_the_ids(tmp_path):
    # import_file builds no client of its own: without ``ncbi`` a DOI or PMCID waits, unresolved.
    source = tmp_path / "mixed.txt"
    source.write_text("7 PMC8 10.5555/x.9\n")
    db = open_db(tmp_path / "l.db")
    report = import_file(db, source)
    assert (report["stored"], report["unmatched"]) == (1, 2)
    assert [r["pmid"] for r in db["articles"].rows] == [7]
    assert {r["id"]: json.loads(r["record"])["unresolved"] for r in db["unmatched_records"].rows} == {
        "pmcid:pmc8": NOT_ASKED, "doi:10.5555/x.9": NOT_ASKED}
