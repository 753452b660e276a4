"""Export each format, import it into a new database: the same records come back.

Each format is compared on the fields it can carry; what it cannot say (RIS
and BibTeX do not tell MeSH terms from keywords, BibTeX has no publication
types beyond its entry types, MEDLINE and RIS keep no line breaks) is listed.
"""

import pytest
from bib_fixtures import PMIDS, bib_db  # noqa: F401  (fixture)

from litbase.formats.registry import export
from litbase.store.load import load_articles
from litbase.formats.writers.medline import display_date
from litbase.imports.files import import_file
from litbase.store.schema import open_db

COMMON = ["pmid", "record_type", "title", "book_title", "publisher", "year", "month", "day",
          "volume", "issue", "pages", "article_number", "doi", "pmcid", "languages"]
SUFFIX = {"bibtex": "bib", "ris": "ris", "csljson": "json", "medline": "nbib"}


def names(article, with_initials=False):
    keys = ["last_name", "fore_name", "suffix", "collective_name"] + (
        ["initials", "affiliations"] if with_initials else [])
    return [{k: a.get(k) for k in keys} for a in article["authors"]]


def one_paragraph(text):
    return " ".join(text.split()) if text else text


def all_terms(article):
    return [m["descriptor"] for m in article["mesh_headings"]] + article["keywords"]


def view(article, format_name):
    """What the format carries of an article, in comparable form."""
    journal = article["journal"]
    shown = {k: article.get(k) for k in COMMON}
    shown["authors"] = names(article, with_initials=format_name == "medline")
    shown["journal"] = (journal.get("title"), journal.get("iso_abbreviation"), journal.get("issn"))
    shown["abstract"] = one_paragraph(article["abstract"])
    if format_name in ("bibtex", "ris"):
        shown["terms"] = sorted(all_terms(article))
    else:
        shown["mesh"] = [m["descriptor"] for m in article["mesh_headings"]]
        shown["keywords"] = article["keywords"]
    if format_name == "medline":
        # MH lines name descriptors; their unique IDs are not in the format.
        shown["mesh_headings"] = [{**m, "descriptor_ui": None} for m in article["mesh_headings"]]
        # DP is written from pub_date, or from the date when none was printed.
        shown["pub_date"] = display_date(article)
    if format_name == "csljson":
        shown["abstract"] = article["abstract"]
    if format_name != "bibtex":
        shown["publication_types"] = [p["name"] for p in article["publication_types"]]
    return shown


@pytest.mark.parametrize("format_name", ["bibtex", "ris", "csljson", "medline"])
def test_round_trip(bib_db, tmp_path, format_name):
    original = list(load_articles(bib_db, PMIDS))
    path = tmp_path / f"export.{SUFFIX[format_name]}"
    path.write_text("".join(export(original, format_name)), encoding="utf-8", newline="")
    db = open_db(tmp_path / "copy.db")
    report = import_file(db, path)
    assert report == {"format": format_name, "records": 5, "collection": "export", "stored": 5, "merged": 0,
                      "unmatched": 0, "same_record": 0, "matched_by_doi": 0, "skipped": [],
                      "warnings": []}
    copy = list(load_articles(db, PMIDS))
    for before, after in zip(original, copy):
        assert view(after, format_name) == view(before, format_name)
    assert [a["cite_key"] for a in copy] == [a["cite_key"] for a in original]
    members = db.conn.execute("SELECT pmid, role FROM collections_articles"
                              " WHERE collection = 'export' ORDER BY pmid").fetchall()
    assert members == [(p, "import") for p in PMIDS]


def test_medline_round_trip_keeps_what_only_it_carries(bib_db, tmp_path):
    path = tmp_path / "export.nbib"
    path.write_text("".join(export(load_articles(bib_db, [990101]), "medline")))
    db = open_db(tmp_path / "copy.db")
    import_file(db, path)
    [article] = load_articles(db, [990101])
    assert article["authors"][0]["affiliations"] == ["Dept A, Zürich"]
    assert article["mesh_headings"][1] == {"descriptor_ui": None,
                                           "descriptor": "Education, Medical, Graduate",
                                           "major_topic": False, "qualifiers": ["psychology*"]}
    assert article["journal"]["issn"] == "1234-5678"


def test_import_twice_changes_nothing(bib_db, tmp_path):
    path = tmp_path / "export.ris"
    path.write_text("".join(export(load_articles(bib_db, PMIDS), "ris")), newline="")
    db = open_db(tmp_path / "copy.db")
    import_file(db, path)
    first = {t: db[t].count for t in ("articles", "authors", "articles_authors", "collections")}
    schema = db.schema
    report = import_file(db, path)
    assert report["merged"] == 5
    assert {t: db[t].count for t in first} == first == {
        "articles": 5, "authors": 7, "articles_authors": 8, "collections": 1}
    assert db.schema == schema
