"""litbase import: file kinds, a bad record skipped with file and line, an unreadable file refused whole, merging, DOI matching."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from bib_fixtures import bib_db, build_db  # noqa: F401  (fixture)
from test_import_pubmed import article_xml, pubmed_file
from click.testing import CliRunner

import litbase.cli.options
from litbase.store.merge import match_unmatched
from litbase.cli import cli
from litbase.store.load import load_articles
from litbase.imports.files import file_kind, import_file
from litbase.model.errors import BibliographyError
from litbase.store.schema import ensure_db_shape, open_db
from litbase.store.articles import save_articles

FIXTURES = Path(__file__).parent / "fixtures"
GOOD_RIS = ("TY  - JOUR\nAU  - Roe, Ann\nTI  - A synthetic first record\nPY  - 2020\n"
            "AN  - 990401\nER  - \n\n"
            "TY  - JOUR\nTI  - A synthetic second record\nPY  - 2020\nAN  - 990402\nER  - \n")

# A bad record costs only itself: it is skipped with its line and why, the others are stored.
SKIPPED = {
    "stray.ris": (GOOD_RIS + "\nAU  - Orphan, Ann\nTI  - No TY line\nER  - \n", [990401, 990402],
                  [(14, "a RIS record must start with TY, not AU")]),
    "broken.nbib": ("PMID- 990401\nTI  - Fine\n\nPMID- 990402\nTI  - Broken\n"
                    "not a tag line\n", [990401],
                    [(6, "not a MEDLINE line (TAG - value): 'not a tag line'")]),
    "broken.bib": ("@article{ok1,\n  title = {Fine},\n  year = {2020},\n  pmid = {990401},\n}\n\n"
                   "@article{bad,\n  title = {Unbalanced {brace},\n  year = {2020},\n}\n", [990401],
                   [(7, "cannot read this BibTeX entry")]),
    "notitem.json": ('[\n  {"type": "article-journal", "title": "Fine", "PMID": "990401"},\n'
                     '  "not an item"\n]\n', [990401], [(3, "a CSL item must be an object")]),
}


@pytest.mark.parametrize("name", sorted(SKIPPED))
def test_bad_record_is_skipped_with_its_line_and_the_others_stored(tmp_path, name):
    text, pmids, skipped = SKIPPED[name]
    path = tmp_path / name
    path.write_text(text)
    db = open_db(tmp_path / "x.db")
    records = file_kind(path, "").parse(text, str(path))
    assert [(p.path, p.line, p.why.split(" (")[0] if name.endswith(".bib") else p.why)
            for p in records.skipped] == [(str(path), line, why) for line, why in skipped]
    import_file(db, path)
    assert [r[0] for r in db.conn.execute("SELECT pmid FROM articles ORDER BY pmid")] == pmids


def test_bad_pmid_keeps_its_record_without_it(tmp_path):
    path = tmp_path / "badpmid.nbib"
    path.write_text("PMID- 990401\nTI  - Fine\n\nPMID- 99x\nTI  - Bad\nDP  - 2020\n")
    records = file_kind(path, "").parse(path.read_text(), str(path))
    report = import_file(open_db(tmp_path / "x.db"), path)
    assert (report["records"], report["stored"], report["unmatched"], records.skipped) == (
        2, 1, 1, [])
    assert [str(w) for w in records.warnings] == [
        f"{path}, line 4: PMID '99x' is not a positive whole number;"
        " the record is kept without a PMID"]


def test_unreadable_json_names_file_and_line_and_stores_nothing(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[\n  {"type": "article-journal", "title": "Fine", "PMID": "990401"},\n'
                    '  {"type": "article-journal", "title": "Broken",\n]\n')
    db = open_db(tmp_path / "x.db")
    with pytest.raises(BibliographyError) as caught:
        import_file(db, path)
    message = "not valid JSON: Expecting property name enclosed in double quotes"
    assert (caught.value.path, caught.value.line, caught.value.message) == (str(path), 4, message)
    assert str(caught.value) == f"{path}, line 4: {message}"
    assert (db["articles"].count, db["collections"].count) == (0, 0)


def test_cli_reports_error_and_keeps_earlier_files(tmp_path):
    good, bad = tmp_path / "good.ris", tmp_path / "bad.json"
    good.write_text(GOOD_RIS)
    bad.write_text('[{"title": "x",}]')
    db_path = tmp_path / "cli.db"
    result = CliRunner().invoke(cli, ["import", str(db_path), str(good), str(bad)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{good}: 2 ris records; 2 stored by PMID (0 merged with stored articles), 0 without"
        " PMID kept in unmatched_records, 0 matched by DOI.",
        f"Error: {bad}, line 1: not valid JSON: Expecting property name enclosed in double quotes",
        f"Nothing from {bad} was stored.",
    ]
    assert [r[0] for r in open_db(db_path).conn.execute(
        "SELECT pmid FROM articles ORDER BY pmid")] == [990401, 990402]


@pytest.mark.parametrize("name, head, kind", [
    ("x.nbib", "", "medline"), ("x.RIS", "", "ris"), ("x.bib", "", "bibtex"),
    ("x.json", "", "csljson"), ("x.txt", "\nPMID- 1\n", "medline"),
    ("x.txt", "TY  - JOUR\n", "ris"), ("x.txt", "% comment\n@article{a,", "bibtex"),
    ("x.txt", ' [{"id": "a"}]', "csljson"),
])
def test_file_kind_by_suffix_then_content(tmp_path, name, head, kind):
    assert file_kind(tmp_path / name, head).name == kind


def test_unknown_kind_is_refused(tmp_path):
    with pytest.raises(BibliographyError, match=r"x\.txt: unknown kind of file"):
        file_kind(tmp_path / "x.txt", "hello")


def test_pmid_records_merge_stored_fields_win(bib_db, tmp_path):
    path = tmp_path / "update.ris"
    path.write_text("TY  - JOUR\nTI  - A different title\nAN  - 990102\nC2  - PMC9990102\n"
                    "AB  - An abstract the stored record lacked.\nER  - \n")
    report = import_file(bib_db, path, collection="updates")
    assert (report["stored"], report["merged"]) == (1, 1)
    [article] = load_articles(bib_db, [990102])
    assert article["title"] == "Peer mentoring in a synthetic cohort"
    assert (article["pmcid"], article["abstract"]) == (
        "PMC9990102", "An abstract the stored record lacked.")
    assert article["authors"][0]["last_name"] == "Müller"
    assert bib_db["articles"].get(990102)["record_source"] == "dataset"


def test_records_without_pmid_wait_and_match_by_doi(tmp_path):
    db = open_db(tmp_path / "m.db")
    path = tmp_path / "later.json"
    path.write_text(json.dumps([{"type": "article-journal", "title": "Waiting for its PMID",
                                 "DOI": "10.5555/LATER.1", "abstract": "Kept from the file.",
                                 "author": [{"family": "Roe", "given": "Ann"}]}]))
    report = import_file(db, path, collection="mine")
    assert (report["stored"], report["unmatched"], report["matched_by_doi"]) == (0, 1, 0)
    row = db["unmatched_records"].get("doi:10.5555/later.1")
    assert (row["title"], row["first_author"], row["line"], row["format"]) == (
        "Waiting for its PMID", "Roe", 1, "csljson")
    assert db["articles"].count == 0
    with db.conn:
        save_articles(db, [{"pmid": 990501, "title": "Waiting for its PMID",
                            "doi": "10.5555/later.1", "authors": []}])
        assert match_unmatched(db) == 1
    [article] = load_articles(db, [990501])
    assert article["abstract"] == "Kept from the file."
    assert article["authors"][0]["last_name"] == "Roe"
    assert db["unmatched_records"].count == 0
    assert db.conn.execute("SELECT collection, pmid FROM collections_articles").fetchall() == [
        ("mine", 990501)]


def test_unmatched_record_matched_by_a_later_import(tmp_path):
    db = open_db(tmp_path / "m.db")
    first, second = tmp_path / "first.ris", tmp_path / "second.ris"
    first.write_text("TY  - JOUR\nTI  - No PMID yet\nDO  - 10.5555/Later.2\nER  - \n")
    second.write_text("TY  - JOUR\nTI  - No PMID yet\nDO  - 10.5555/later.2\nAN  - 990502\n"
                      "ER  - \n")
    import_file(db, first)
    report = import_file(db, second)
    assert (report["stored"], report["matched_by_doi"]) == (1, 1)
    assert db["unmatched_records"].count == 0
    ensure_db_shape(db)
    assert db["articles"].count == 1


def test_files_that_need_no_look_up_build_no_client_and_send_nothing(eutils_server, monkeypatch, tmp_path):
    # Every service points at a server that counts requests, and building a client is recorded:
    # only an ID list with DOIs or PMCIDs, or a page without its PMID, may ask NCBI.
    built = []
    monkeypatch.setattr(litbase.cli.options, "EutilsClient", lambda *a, **k: built.append("eutils"))
    monkeypatch.setattr(litbase.cli.options, "IdconvClient", lambda *a, **k: built.append("idconv"))
    monkeypatch.setenv("LITBASE_EUTILS_URL", eutils_server.base_url)
    monkeypatch.setenv("LITBASE_IDCONV_URL", eutils_server.idconv_url)
    files = {"library.ris": GOOD_RIS, "library.nbib": "PMID- 990403\nTI  - A MEDLINE record\n",
             "library.bib": "@article{a,\n  title = {A BibTeX record},\n  pmid = {990404},\n}\n",
             "library.json": '[{"type": "article-journal", "title": "A CSL record", "PMID": "990405"}]',
             "page-40000099.txt": (FIXTURES / "page" / "synthetic-page.txt").read_text()}
    paths = []
    for name, text in files.items():
        paths.append(tmp_path / name)
        paths[-1].write_text(text)
    paths.append(FIXTURES / "pubmed" / "articles.xml")
    db_path = tmp_path / "offline.db"
    result = CliRunner().invoke(cli, ["import", str(db_path), *map(str, paths)])
    assert result.exit_code == 0, result.output
    assert (eutils_server.requests, built) == ([], [])
    ris, nbib, bib, csl, page, xml = paths
    assert result.output.splitlines() == [
        f"{ris}: 2 ris records; 2 stored by PMID (0 merged with stored articles), 0 without PMID kept in"
        " unmatched_records, 0 matched by DOI.",
        f"{nbib}: 1 medline records; 1 stored by PMID (0 merged with stored articles), 0 without PMID"
        " kept in unmatched_records, 0 matched by DOI.",
        f"{bib}: 1 bibtex records; 1 stored by PMID (0 merged with stored articles), 0 without PMID"
        " kept in unmatched_records, 0 matched by DOI.",
        f"{csl}: 1 csljson records; 1 stored by PMID (0 merged with stored articles), 0 without PMID"
        " kept in unmatched_records, 0 matched by DOI.",
        f"{page}: PubMed page of PMID 40000099 (taken from the file name); 6 reference lines, 4 citation"
        " links, 1 lines without a PMID; line 5 names the page's own article (flagged); collection"
        " 'page-40000099'.",
        f"{xml}: 5 articles stored, 0 deleted.",
    ]
    db = open_db(db_path)
    assert db.conn.execute(
        "SELECT record_source, count(*), min(pmid), max(pmid) FROM articles GROUP BY 1 ORDER BY 1"
    ).fetchall() == [("efetch", 5, 90000001, 90000005), ("import", 5, 990401, 990405),
                     ("seed_page", 4, 40000001, 40000099)]
    assert db["fetches"].count == 0


# What an import of each kind loads of the other kinds' readers and importers.
KIND_MODULES = ("litbase.formats.readers.ris", "litbase.formats.readers.bibtex", "litbase.formats.readers.medline",
                "litbase.formats.readers.csljson", "litbase.imports.page", "litbase.imports.ids",
                "litbase.store.merge")


@pytest.mark.parametrize("kind", ["pubmed_xml", "ris"])
def test_an_import_loads_the_reader_of_its_kind_of_file_alone(tmp_path, kind):
    """A PubMed XML import loads no reader, merge or ID-list importer; a RIS import its reader and merge."""
    if kind == "pubmed_xml":
        path = pubmed_file(tmp_path / "pubmed99n0001.xml.gz", article_xml(990101, "Peer support"))
    else:
        path = tmp_path / "good.ris"
        path.write_text(GOOD_RIS)
    script = (
        "import sys\n"
        "from litbase.cli import cli\n"
        "cli.main(args=sys.argv[1:], standalone_mode=False)\n"
        f"print(sorted(m for m in {KIND_MODULES!r} if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script, "import", str(tmp_path / "kb.db"), str(path)],
                          capture_output=True, text=True, cwd=Path(__file__).parent)
    assert done.returncode == 0, done.stderr
    loaded = {"pubmed_xml": "[]",
              "ris": "['litbase.formats.readers.ris', 'litbase.store.merge']"}[kind]
    assert done.stdout.splitlines()[-1] == loaded
