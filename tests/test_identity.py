"""Records without a PMID keep their own identity: one per DOI (in any case), else one per
record of its file; they are in the collection they were imported into and export like
any other. Bylines are each article's own."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from litbase.cli import cli
from litbase.imports.files import import_file
from litbase.store.load import load_articles, select_pmids
from litbase.store.schema import open_db

CSL_SUITE = Path(__file__).parent.parent.parent / "shared" / "interop" / "csl_testsuite"

# Two editorials of 2020 in different journals, no DOI; two records of one work whose
# DOIs differ only in case; one with a DOI of its own. All made up (10.5555 test prefix).
RIS = (
    "TY  - JOUR\nTI  - Editorial\nPY  - 2020\nT2  - Journal of Synthetic Tests\nER  - \n\n"
    "TY  - JOUR\nTI  - Editorial\nPY  - 2020\nT2  - Synthetic Reports\nER  - \n\n"
    "TY  - JOUR\nTI  - Same work\nPY  - 2021\nDO  - 10.5555/Case.1\nER  - \n\n"
    "TY  - JOUR\nTI  - Same work\nPY  - 2021\nDO  - 10.5555/case.1\nVL  - 7\nER  - \n\n"
    "TY  - JOUR\nAU  - Roe, Ann\nTI  - Own DOI\nPY  - 2019\nDO  - 10.5555/own.2\nER  - \n"
)


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_records_without_pmid_are_kept_by_doi_else_by_their_place_in_the_file(tmp_path):
    path = tmp_path / "lib.ris"
    path.write_text(RIS)
    db = open_db(tmp_path / "x.db")
    report = import_file(db, path)
    assert (report["records"], report["unmatched"], report["same_record"]) == (5, 5, 1)
    rows = db.conn.execute("SELECT id, doi, title, year, line, collection FROM unmatched_records"
                           " ORDER BY line").fetchall()
    assert rows == [
        (f"file:{path}#line 1", None, "Editorial", 2020, 1, "lib"),
        (f"file:{path}#line 7", None, "Editorial", 2020, 7, "lib"),
        ("doi:10.5555/case.1", "10.5555/case.1", "Same work", 2021, 13, "lib"),
        ("doi:10.5555/own.2", "10.5555/own.2", "Own DOI", 2019, 26, "lib"),
    ]
    # The first record of a DOI wins, the second fills its gaps (the volume).
    same = json.loads(db["unmatched_records"].get("doi:10.5555/case.1")["record"])
    assert (same["doi"], same["volume"]) == ("10.5555/Case.1", "7")
    journals = [json.loads(r[0])["journal"]["title"] for r in db.conn.execute(
        "SELECT record FROM unmatched_records WHERE doi IS NULL ORDER BY line")]
    assert journals == ["Journal of Synthetic Tests", "Synthetic Reports"]


def test_importing_the_same_file_again_keeps_the_same_records(tmp_path):
    path = tmp_path / "lib.ris"
    path.write_text(RIS)
    db = open_db(tmp_path / "x.db")
    import_file(db, path)
    report = import_file(db, path)
    assert (report["unmatched"], report["same_record"]) == (5, 5)
    assert db["unmatched_records"].count == 4


def test_import_says_which_records_were_the_same(tmp_path):
    path = tmp_path / "lib.ris"
    path.write_text(RIS)
    result = run("import", str(tmp_path / "x.db"), str(path))
    assert result.exit_code == 0
    assert result.output.strip() == (
        f"{path}: 5 ris records; 0 stored by PMID (0 merged with stored articles), 5 without"
        " PMID kept in unmatched_records (1 of them the same record as one kept before: the"
        " same DOI or the same record of this file, merged with it), 0 matched by DOI.")


def test_a_collection_of_records_without_pmid_exports_them(tmp_path):
    path = tmp_path / "lib.ris"
    path.write_text(RIS)
    db_path = tmp_path / "x.db"
    import_file(open_db(db_path), path, "mine")
    result = run("export", str(db_path), "--collection", "mine", "--format", "csljson")
    assert result.exit_code == 0
    items = json.loads(result.stdout)
    assert result.stderr == "Wrote 4 csljson records to standard output.\n"
    assert [(i["title"], i.get("container-title"), i.get("DOI"), i.get("PMID")) for i in items] == [
        ("Editorial", "Journal of Synthetic Tests", None, None),
        ("Editorial", "Synthetic Reports", None, None),
        ("Same work", None, "10.5555/Case.1", None),
        ("Own DOI", None, "10.5555/own.2", None),
    ]


def test_a_record_in_two_collections_is_in_both_and_joins_its_article_in_both(tmp_path):
    path = tmp_path / "lib.ris"
    path.write_text(RIS)
    db = open_db(tmp_path / "x.db")
    import_file(db, path, "first")
    import_file(db, path, "second")
    assert select_pmids(db, collection="second")[2:] == ["doi:10.5555/case.1", "doi:10.5555/own.2"]
    nbib = tmp_path / "found.nbib"
    nbib.write_text("PMID- 990777\nTI  - Own DOI\nDP  - 2019\nAID - 10.5555/OWN.2 [doi]\n")
    report = import_file(db, nbib, "third")
    assert report["matched_by_doi"] == 1
    assert [r for r in db.conn.execute("SELECT collection, pmid, role FROM collections_articles"
                                       " ORDER BY collection")] == [
        ("first", 990777, "import"), ("second", 990777, "import"), ("third", 990777, "import")]
    assert db.conn.execute("SELECT count(*) FROM collections_records"
                           " WHERE record_id = 'doi:10.5555/own.2'").fetchone() == (0,)


@pytest.mark.skipif(not CSL_SUITE.is_dir(), reason="../shared/interop is not beside the project")
def test_csl_suite_items_are_each_kept(tmp_path):
    source = CSL_SUITE / "humans_all_items.json"
    db = open_db(tmp_path / "x.db")
    report = import_file(db, source, "csl")
    items = [i for i in json.loads(source.read_text()) if isinstance(i, dict)]
    dois = {(i.get("DOI") or "").strip().lower() for i in items if (i.get("DOI") or "").strip()}
    kept = db["unmatched_records"].count
    # 1,823 items: 3 with a PMID, 1,820 without, of which two share one DOI.
    assert (report["records"], report["stored"], report["unmatched"], report["same_record"],
            kept) == (1823, 3, 1820, 1, 1819)
    assert kept == report["unmatched"] - report["same_record"]
    assert db.conn.execute("SELECT count(*) FROM unmatched_records WHERE doi IS NOT NULL"
                           ).fetchone()[0] == len(dois)
    assert len(list(load_articles(db, select_pmids(db, collection="csl")))) == kept + report["stored"]


def _article(pmid, **author):
    return {"pmid": pmid, "title": f"Synthetic article {pmid}", "year": 2020,
            "journal": {"title": "Journal of Synthetic Tests"},
            "authors": [{"affiliations": [], **author}]}


def test_each_article_keeps_its_own_byline_whatever_others_say_of_the_same_orcid(tmp_path):
    from litbase.store.articles import save_articles
    from litbase.formats.registry import export

    db = open_db(tmp_path / "x.db")
    orcid = "0000-0002-1825-0097"
    save_articles(db, [
        _article(990901, last_name="Kelley", fore_name="Michael", initials="M", orcid=orcid),
        _article(990902, last_name="Erb", fore_name="M Kelley", initials="MK", orcid=orcid),
        _article(990903, last_name="D'addabbo", fore_name="Pietro", initials="P"),
        _article(990904, last_name="D'Addabbo", fore_name="Pietro", initials="P"),
    ], record_source="efetch")
    assert db["authors"].count == 2  # one per ORCID or case-folded name, as before
    bylines = [[(a["last_name"], a["fore_name"], a["initials"], a["orcid"]) for a in art["authors"]]
               for art in load_articles(db, [990901, 990902, 990903, 990904])]
    assert bylines == [[("Kelley", "Michael", "M", orcid)], [("Erb", "M Kelley", "MK", orcid)],
                       [("D'addabbo", "Pietro", "P", None)], [("D'Addabbo", "Pietro", "P", None)]]
    ris = "".join(export(load_articles(db, [990901, 990903]), "ris"))
    assert [line for line in ris.splitlines() if line.startswith("AU")] == [
        "AU  - Kelley, Michael", "AU  - D'addabbo, Pietro"]


def test_exports_say_which_seed_hop_and_direction_brought_each_record(tmp_path):
    import csv
    import io

    from litbase.formats.registry import export
    from litbase.store.articles import save_articles
    from litbase.store.collections import add_to_collection, save_collection

    db = open_db(tmp_path / "x.db")
    with db.conn:
        save_articles(db, [_article(990911, last_name="Roe", fore_name="Ann", initials="A"),
                           _article(990912, last_name="Doe", fore_name="Jo", initials="J"),
                           _article(990913, last_name="Poe", fore_name="Ed", initials="E")],
                      record_source="efetch")
        save_collection(db, {"name": "crawl"})
        add_to_collection(db, "crawl", [
            {"pmid": 990911, "role": "seed", "depth": 0},
            {"pmid": 990912, "role": "reference", "depth": 1, "seed_pmid": 990911},
            {"pmid": 990913, "role": "citing", "depth": 2, "seed_pmid": 990911}])
        save_collection(db, {"name": "other"})
        add_to_collection(db, "other", [{"pmid": 990912, "role": "import"}])
    articles = list(load_articles(db, select_pmids(db, collection="crawl")))
    assert [a["collections"] for a in articles][1] == [
        {"collection": "crawl", "role": "reference", "depth": 1, "seed_pmid": 990911},
        {"collection": "other", "role": "import", "depth": 0, "seed_pmid": None}]
    ris = "".join(export(articles, "ris"))
    assert [line for line in ris.split("\r\n") if line.startswith("N1")] == [
        "N1  - litbase: crawl, seed, hop 0.",
        "N1  - litbase: crawl, backward from seed PMID 990911, hop 1."
        " litbase: other, import, hop 0.",
        "N1  - litbase: crawl, forward from seed PMID 990911, hop 2."]
    rows = list(csv.DictReader(io.StringIO("".join(export(articles, "csv")))))
    assert [(r["pmid"], r["collection"], r["seed_pmid"], r["hop"], r["direction"])
            for r in rows] == [
        ("990911", "crawl", "", "0", "seed"),
        ("990912", "crawl; other", "990911; ", "1; 0", "backward; import"),
        ("990913", "crawl", "990911", "2", "forward")]
