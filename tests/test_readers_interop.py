"""The readers against files other projects wrote, and the items Zotero expects from them.

../shared/interop (see its SOURCES.md) holds the import test cases of Zotero's
translators (RIS, MEDLINE/nbib, BibTeX, CSL JSON) with Zotero's expected
items, rispy's and JabRef's RIS test files and the CSL test suite's items.
Every test skips when that folder is absent; nothing of it is copied here.

For Zotero's files the expected values are derived from NN.expected.json, not
from litbase: the fields litbase keeps (title, authors in order, year, journal,
volume, issue, pages, DOI, PMID, abstract) of every journal article, book and
book chapter, and of items of other types (patents, statutes, films...) the
fields any work has (title, byline, year, DOI, PMID, abstract). The derivation evens out what is only notation: Zotero writes
an en dash in page ranges and dots after initials ("I. D."), keeps rich-text
markup (<i>) in titles, and keeps a double space where PubMed's wrapped line
ended in a space; litbase stores PubMed's hyphen, the initials as written,
plain text and single spaces. Where litbase reads a field differently on
purpose, DEVIATIONS names the record, litbase's exact value and why.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from litbase.formats.readers.bibtex import parse_bibtex
from litbase.formats.readers.csljson import parse_csljson
from litbase.formats.readers.medline import parse_medline
from litbase.formats.readers.ris import parse_ris
from litbase.model.errors import BibliographyError

INTEROP = Path(__file__).resolve().parents[1].parent / "shared" / "interop"
READERS = {".ris": parse_ris, ".nbib": parse_medline, ".bib": parse_bibtex, ".json": parse_csljson}
ZOTERO_FILES = ([f"RIS_{n:02d}.ris" for n in range(12)]
                + [f"MEDLINEnbib_{n:02d}.nbib" for n in range(9)]
                + [f"BibTeX_{n:02d}.bib" for n in range(24)] + ["CSL_JSON_00.json"])
# Item types litbase has a record shape for: every field is compared. Of other
# types (patent, artwork, statute...) the fields any work has: title, byline,
# year, identifiers, abstract.
COMPARED_TYPES = ("journalArticle", "book", "bookSection")
FIELDS = ("title", "authors", "year", "journal", "volume", "issue", "pages", "doi", "pmid",
          "abstract")
CORE_FIELDS = ("title", "authors", "year", "doi", "pmid", "abstract")
# Zotero's names for a work's first creators (RIS AU) in the types that have no "author".
BYLINE_TYPES = ("author", "artist", "programmer", "inventor", "cartographer", "director",
                "composer", "sponsor")
# Zotero's names for the title and the date in the types that do not say "title" and "date".
TITLE_KEYS = ("title", "caseName", "nameOfAct", "subject")
DATE_KEYS = ("date", "issueDate", "dateDecided", "dateEnacted")


def interop(relative: str) -> Path:
    path = INTEROP / relative
    if not path.is_file():
        pytest.skip(f"{path} is absent (../shared/interop is not checked out)")
    return path


def read(path: Path):
    return READERS[path.suffix](path.read_text(encoding="utf-8-sig"), str(path))


def _given(text: str | None) -> str | None:
    return " ".join((text or "").replace(".", " ").split()) or None


def _plain(text: str | None) -> str | None:
    return " ".join(re.sub(r"<[^>]+>", "", text or "").split()) or None


def zotero_fields(item: dict) -> dict:
    """The fields litbase keeps, as Zotero's expected item has them."""
    extra = item.get("extra", "")
    pmid = re.search(r"^PMID: ([1-9]\d{0,9}) *$", extra, re.M)
    doi = re.search(r"^DOI: (\S+)$", extra, re.M)
    date = next((item[k] for k in DATE_KEYS if item.get(k)), "")
    year = re.search(r"(?<!\d)(\d{4})(?!\d)", date)
    byline = next((t for t in BYLINE_TYPES if any(c["creatorType"] == t for c in item["creators"])),
                  "author")
    authors = []
    for creator in item["creators"]:
        if creator["creatorType"] != byline:
            continue
        if creator.get("fieldMode") == 1 or "name" in creator:
            authors.append((None, creator.get("name") or creator["lastName"]))
        else:
            authors.append((creator["lastName"], _given(creator.get("firstName"))))
    return {
        "title": _plain(next((item[k] for k in TITLE_KEYS if item.get(k)), None)),
        "authors": authors,
        "year": int(year.group(1)) if year and int(year.group(1)) >= 1000 else None,
        "journal": _plain(item.get("publicationTitle")) if item["itemType"] == "journalArticle"
        else "-",
        "volume": item.get("volume"), "issue": item.get("issue"),
        "pages": (item.get("pages") or "").replace("\u2013", "-") or None,
        "doi": item.get("DOI") or (doi.group(1) if doi else None),
        "pmid": int(pmid.group(1)) if pmid else None,
        "abstract": " ".join(item.get("abstractNote", "").split()) or None,
    }


def litbase_fields(article: dict, item_type: str) -> dict:
    authors = []
    for author in article["authors"]:
        if author["collective_name"]:
            authors.append((None, author["collective_name"]))
        else:
            given = ", ".join(p for p in (author["fore_name"], author["suffix"]) if p)
            authors.append((author["last_name"], _given(given)))
    return {
        "title": article["title"], "authors": authors, "year": article["year"],
        "journal": article["journal"]["title"] if item_type == "journalArticle" else "-",
        "volume": article["volume"], "issue": article["issue"],
        "pages": article["pages"] or article["article_number"], "doi": article["doi"],
        "pmid": article["pmid"], "abstract": article["abstract"],
    }


# (file, record, field) -> (litbase's value, or a function of Zotero's; why they differ)
DEVIATIONS = {
    ("BibTeX_02.bib", 0, "year"): (
        2006, "crossref = {conference:06}: BibTeX gives the paper its proceedings' year"),
    ("BibTeX_07.bib", 0, "authors"): (
        [("at Work", "American Rights")],
        "BibTeX's name rule: lower-case 'at' starts the von part, so the family name is"
        " 'at Work'; Zotero takes the last word"),
    ("BibTeX_17.bib", 0, "authors"): (
        [("for Digital Scholarship", "Corporation")],
        "BibTeX's name rule, as for BibTeX_07 ('for' starts the von part)"),
    ("BibTeX_21.bib", 0, "authors"): (
        lambda z: [(last.replace("D' a", "D'a"), given) for last, given in z],
        "D\\textquotesingle aspremont: the space after a control word is not text in LaTeX"),
    ("BibTeX_05.bib", 0, "title"): (
        lambda z: z.replace("\u223c", "~"),
        "a lone \\~ is the tilde itself; Zotero makes it the tilde operator U+223C"),
    ("BibTeX_09.bib", 0, "title"): (
        "extbackslash extbackslash{}:",
        "the file ends the title with \\\\{}: a LaTeX line break and an empty group"),
    ("BibTeX_18.bib", 0, "title"): (
        "The impossible TEL\u2014book",
        "the file says TEL---book; Zotero turns the letters TEL into the sign \u2121"),
    ("BibTeX_18.bib", 0, "authors"): (
        [("Swe ig", "Stefan"), ("D 'ecoret", "Xavier")],
        "the @strings hold Swe{\\\\i}g and D\\\\'ecoret, a doubled backslash (a LaTeX line"
        " break); Zotero keeps a backslash in the name"),
    ("BibTeX_19.bib", 0, "authors"): (
        lambda z: [(last, "KC" if last == "Wright" else given) for last, given in z],
        "'KC Wright': Zotero splits the given name into initials K. C."),
    ("MEDLINEnbib_01.nbib", 0, "pages"): (
        "6913-7", "pages as PubMed writes them; Zotero expands the range"),
    ("MEDLINEnbib_03.nbib", 0, "pages"): (
        "475-82", "pages as PubMed writes them; Zotero expands the range"),
    ("MEDLINEnbib_04.nbib", 1, "doi"): (
        "10.1186/s40468-019-0086-7", "found in the AID line's dx.doi.org link"),
    ("MEDLINEnbib_05.nbib", 0, "pages"): (
        None, "no PG line; Zotero puts the LID's PII 1042 in pages, litbase keeps it as pii"),
    ("MEDLINEnbib_06.nbib", 1, "doi"): (
        "10.1007/s11423-019-09653-8", "found in the AID line's dx.doi.org link"),
    ("MEDLINEnbib_07.nbib", 1, "title"): (
        "Evidence-Based Instructional Strategies for Transition. Brookes Transition to"
        " Adulthood Series", "the record's TI; Zotero's book item has no title"),
    ("MEDLINEnbib_08.nbib", 0, "pages"): (
        None, "no PG line; Zotero puts the PII in pages, litbase keeps it as pii"),
    ("RIS_02.ris", 4, "authors"): (
        [], "a BILL names its sponsor in A2, not AU; litbase's byline is AU and A1"),
    ("RIS_02.ris", 8, "title"): (
        "Case Name", "TI; Zotero's case name is the abbreviated name (ST)"),
    ("RIS_02.ris", 44, "title"): (
        "Name of Act", "TI; Zotero's statute name is the short title (ST)"),
    ("RIS_02.ris", 17, "authors"): (
        [(None, "Editor")], "an EDBOOK's AU are its editors; litbase has one byline"),
    ("RIS_03.ris", 0, "doi"): (
        "10.1111/j.1755-0998.2009.02750.x", "found in the N1 note and the dx.doi.org UR"),
    ("RIS_04.ris", 3, "volume"): ("Edition", "EndNote's CHAP holds the edition in VL"),
    ("RIS_04.ris", 4, "volume"): ("Edition", "EndNote's CHAP holds the edition in VL"),
    ("RIS_04.ris", 7, "volume"): ("Edition", "EndNote's BOOK holds the edition in VL"),
    ("RIS_04.ris", 7, "issue"): ("Volume ID", "EndNote's BOOK holds the volume in IS"),
}
# What else litbase reads that Zotero's item keeps elsewhere: (file, record) -> fields.
EXTRA = {
    ("MEDLINEnbib_05.nbib", 0): {"pii": "1042"},
    ("MEDLINEnbib_08.nbib", 0): {"pii": "S1080-6032(22)00139-9"},
    ("MEDLINEnbib_01.nbib", 0): {"pmcid": "PMC38908", "copyright": None},
    ("MEDLINEnbib_03.nbib", 0): {"copyright": "Copyright (c) 2015 The Royal Society for Public"
                                              " Health. Published by Elsevier Ltd. All rights"
                                              " reserved."},
    ("BibTeX_11.bib", 0): {"pmid": None, "pmcid": "PMC123456"},
}


@pytest.mark.parametrize("name", ZOTERO_FILES)
def test_zotero_translator_file_reads_as_zotero_expects(name):
    path = interop(f"zotero/{name}")
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text())
    records = read(path)
    assert (len(records), records.skipped) == (len(expected), [])
    for index, (article, item) in enumerate(zip(records, expected)):
        for field, value in EXTRA.get((name, index), {}).items():
            assert article[field] == value, (index, field)
        fields = FIELDS if item["itemType"] in COMPARED_TYPES else CORE_FIELDS
        want, got = zotero_fields(item), litbase_fields(article, item["itemType"])
        for field in fields:
            if (name, index, field) in DEVIATIONS:
                value = DEVIATIONS[name, index, field][0]
                want[field] = value(want[field]) if callable(value) else value
        assert {f: got[f] for f in fields} == {f: want[f] for f in fields}, index


def test_every_deviation_names_a_compared_record():
    for (name, index, field), (_, why) in DEVIATIONS.items():
        assert name in ZOTERO_FILES and field in FIELDS and why


def test_zotero_copyright_lines_are_one_string():
    """64% of PubMed records carry CI; a list there crashed the store."""
    for name in ("MEDLINEnbib_01.nbib", "MEDLINEnbib_03.nbib", "MEDLINEnbib_08.nbib"):
        records = read(interop(f"zotero/{name}"))
        assert all(isinstance(r["copyright"], (str, type(None))) for r in records)
    [lightning] = read(interop("zotero/MEDLINEnbib_08.nbib"))
    assert lightning["copyright"] == ("Copyright © 2022 Wilderness Medical Society. Published"
                                      " by Elsevier Inc. All rights reserved.")


# --- rispy's and JabRef's RIS files: counts and key fields, as the files write them ----------

SHANNON = ("A Mathematical Theory of Communication", [("Shannon", "Claude E.")], 1948, "27",
           "379-423")
RIS_FILES = {
    "rispy/example_basic.ris": [SHANNON],
    "rispy/example_single_unknown_tag.ris": [SHANNON],
    "rispy/example_starting_newlines.ris": [SHANNON],
    "rispy/example_urls.ris": [SHANNON] * 4,
    "rispy/example_multi_unknown_tags.ris": [SHANNON[:4] + (None,)],
    "rispy/example_bom.ris": [(None, [], None, None, None)],
    "rispy/example_custom_list_tags.ris": [(None, [("Marx", "Karl"), ("Marxus", "Karlus")],
                                            None, None, None)],
    "rispy/example_empty_tag.ris": [(
        "Outcome Measures After Shoulder Stabilization in the Athletic Population: A Systematic"
        " Review of Clinical and Patient-Reported Metrics", [("Fanning", "E.")], 2020, "8",
        None)],
    "rispy/example_utf_chars.ris": [(None, [("Dobrokhotova", "Yu E."), ("Yusupova", "R. O."),
                                            ("Ozerova", "R. I."), ("Fayzullin", "L. Z."),
                                            ("Karnaukhov", "V. N.")], 2009, None, "52-57")],
    "jabref/RisImporterTestScience.ris": [(
        "Phase separation and ω transformation in binary V-Ti and ternary V-Ti-Cr alloys",
        [("Ghosh", "Chanchal"), ("Basu", "Joysurya"), ("Ramachandran", "Divakar"),
         ("Mohandas", "E.")], 2016, "121", "310-324")],
}
FULL = [("Title of reference", [("Marx", "Karl"), ("Lindgren", "Astrid")], 2014, "9", "e0815"),
        ("The title of the reference", [("Marxus", "Karlus"), ("Lindgren", "Astrid")], 2006, "6",
         "e0815341")]
for _name in ("example_full", "example_full_without_whitespace", "example_full_write",
              "example_extraneous_data"):
    RIS_FILES[f"rispy/{_name}.ris"] = FULL


@pytest.mark.parametrize("name", sorted(RIS_FILES))
def test_rispy_and_jabref_files(name):
    records = read(interop(name))
    assert (records.skipped, records.warnings) == ([], [])
    assert [(r["title"], [(a["last_name"], a["fore_name"]) for a in r["authors"]], r["year"],
             r["volume"], r["pages"] or r["article_number"]) for r in records] == RIS_FILES[name]


def test_rispy_full_file_identifiers_abstracts_and_keywords():
    first, second = read(interop("rispy/example_full.ris"))
    assert (first["journal"]["title"], first["journal"]["iso_abbreviation"], first["issue"],
            first["journal"]["issn"], first["publisher"]) == (
        "Lorem", "lorem", "3", "1932-6208", "Fun Factory")
    assert first["keywords"] == ["Pippi", "Nordwind", "Piraten"]
    assert first["abstract"].startswith("BACKGROUND: Lorem ipsum dolor sit amet")
    assert second["title"] == "The title of the reference"


def test_rispy_multiline_values_and_the_er_inside_a_value():
    records = read(interop("rispy/example_multiline.ris"))
    # The third record's abstract runs onto lines that start "ER then ...": not an end tag.
    assert [r["abstract"] for r in records] == [
        "first line, ER then second line and at the end the last line"] * 3


def test_jabref_chapter_without_commas_in_names():
    [chapter] = read(interop("jabref/RisImporterTest3.ris"))
    # "AU  - Catarina Barata": without the comma RIS asks for, Zotero keeps the name as one
    # field (its RIS_04 reads "Monographic Author" so); litbase keeps it whole too.
    assert [a["collective_name"] for a in chapter["authors"]] == [
        "Catarina Barata", "MEmre Celebi", "JorgeS Marques"]
    assert (chapter["record_type"], chapter["year"], chapter["month"], chapter["day"],
            chapter["pages"], chapter["doi"]) == ("book", 2015, 9, 10, "1-22", "10.1201/b19107-2")


def test_web_of_science_file_is_refused_not_silently_empty():
    path = interop("rispy/example_wos.ris")
    with pytest.raises(BibliographyError) as caught:
        read(path)
    assert (caught.value.line, caught.value.message) == (
        None, "no RIS record (a TY  - line) in this file")


# --- the CSL test suite: 1,823 items, all read ---------------------------------------------

def test_csl_test_suite_items_are_all_read():
    path = interop("csl_testsuite/humans_all_items.json")
    items = json.loads(path.read_text())
    records = read(path)
    assert (len(items), len(records), records.skipped, records.warnings) == (1823, 1823, [], [])
    for item, article in zip(items, records):
        title = str(item["title"]).strip() if item.get("title") is not None else None
        assert article["title"] == (title or None)
        assert len(article["authors"]) == len(item.get("author", []))
        parts = (item.get("issued") or {}).get("date-parts") or [[]]
        year = int(parts[0][0]) if parts[0] else None
        if year is not None:
            assert article["year"] == (year if year >= 1000 else None), item["id"]
    # Dated before the year 1000 or BC: kept as text, the year left empty.
    early = [(a["title"], a["pub_date"]) for a in records if a["pub_date"] and not a["year"]]
    assert early[:4] == [("Ignore me 1", "325"), ("Ignore me", "499"), ("Ignore me", "-250"),
                         (None, "(in press)")]
    # SOURCES.md: 15 items are dated before the year 1000; three more have a date with no
    # year in it ("(in press)", "Bogus Date", "maybe around 2000bc sometime?").
    assert len(early) == 18
    by_line = {a["source_line"]: a for a in records}
    assert (by_line[2721]["year"], by_line[2721]["pub_date"]) == (None, "325")
