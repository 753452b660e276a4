"""The four bibliography readers on the quirks of real files, written here by hand.

Each fixture is the smallest file that shows one thing reference managers
and databases really write (EndNote's record headers, a RIS value wrapped
onto the next line, BibTeX's @string and \\noopsort, CSL dates before the year
1000, MEDLINE's repeated CI lines). A bad record is skipped with its line and
reason while the others are read; a bad value is left out with a warning.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litbase.formats.reading import Problem, Records
from litbase.formats.readers.bibtex import parse_bibtex
from litbase.formats.readers.csljson import parse_csljson
from litbase.formats.readers.medline import parse_medline
from litbase.formats.readers.ris import parse_ris
from litbase.model.errors import BibliographyError


def names(article: dict) -> list[tuple]:
    return [(a["last_name"], a["fore_name"]) if not a["collective_name"] else a["collective_name"]
            for a in article["authors"]]


def problems(found: list[Problem]) -> list[tuple]:
    return [(p.line, p.why) for p in found]


# --- RIS ----------------------------------------------------------------------------------------

ENDNOTE_RIS = """\ufeffRecord #1 of 2
Provider: Some Database
Content: text/plain; charset="UTF-8"
1.
TY - JOUR
A1 - Georgiev, Danko
AU - Bello, Leon
A1 - Carmi, Avishy
TI - A title that the exporting program
wrapped onto a second line
AB - First sentence of the abstract.
      Second sentence, indented.
KW - peer support, residency
burnout; wellbeing
ZZ - an unknown tag
PY - 2004///
JO - J Synth Stud
VL - 12
SP - 233
EP - 241
AN - 990601
C2 - PMC990601
ER -
Record #2 of 2
2.
TY  - JOUR
TI  - Identifiers in notes and links
DA  - 1950/01/02
Y1  - 1900/01/01
M2  - PMID: 990602
UR  - https://doi.org/10.5555/Synth.2
ER  -
"""


def test_ris_endnote_headers_one_space_tags_and_wrapped_values():
    records = parse_ris(ENDNOTE_RIS, "endnote.ris")
    assert (len(records), records.skipped, records.warnings) == (2, [], [])
    first, second = records
    assert names(first) == [("Georgiev", "Danko"), ("Bello", "Leon"), ("Carmi", "Avishy")]
    assert first["title"] == "A title that the exporting program wrapped onto a second line"
    assert first["abstract"] == "First sentence of the abstract. Second sentence, indented."
    assert first["keywords"] == ["peer support, residency", "burnout; wellbeing"]
    assert (first["year"], first["month"], first["pub_date"]) == (2004, None, None)
    assert (first["journal"]["title"], first["volume"], first["pages"]) == (
        "J Synth Stud", "12", "233-241")
    assert (first["pmid"], first["pmcid"], first["doi"], first["source_line"]) == (
        990601, "PMC990601", None, 5)
    # DA is the date, Y1 its deprecated twin: DA wins even when Y1 disagrees.
    assert (second["year"], second["month"], second["day"]) == (1950, 1, 2)
    assert (second["pmid"], second["doi"], second["source_line"]) == (
        990602, "10.5555/Synth.2", 26)


def test_ris_odd_years_are_kept_as_text():
    text = ("TY  - GEN\nTI  - A statute\nPY  - Date of Code\nER  - \n"
            "TY  - JOUR\nTI  - Zero year\nPY  - 0000\nDA  - Year Date\nER  - \n")
    first, second = parse_ris(text, "years.ris")
    assert (first["year"], first["pub_date"]) == (None, "Date of Code")
    assert (second["year"], second["pub_date"]) == (None, "0000")


def test_ris_stray_lines_unclosed_and_run_on_records():
    text = ("AU  - Orphan, Ann\nTI  - Before any TY\n"  # lines 1-2: no record to belong to
            "TY  - JOUR\nTI  - Never closed\n"          # line 3: next TY starts a new record
            "TY  - JOUR\nTI  - Closed\nAN  - 12ab\nER  - \n"
            "ER  - \n"                                   # line 9: a stray ER
            "TY  - JOUR\nTI  - Last, open at the end\n")
    records = parse_ris(text, "messy.ris")
    assert [r["title"] for r in records] == ["Never closed", "Closed", "Last, open at the end"]
    assert problems(records.skipped) == [(1, "a RIS record must start with TY, not AU"),
                                         (9, "a RIS record must start with TY, not ER")]
    assert problems(records.warnings) == [
        (3, "record has no ER line before the record at line 5; kept"),
        (10, "record is not closed with an ER line; kept")]
    assert records[1]["pmid"] is None  # "12ab" is not digits, so not taken for a PMID


def test_ris_bad_accession_number_keeps_the_record():
    text = "TY  - JOUR\nTI  - Big number\nAN  - 99999999999\nER  - \n"
    records = parse_ris(text, "an.ris")
    assert (records[0]["pmid"], records[0]["title"]) == (None, "Big number")
    assert problems(records.warnings) == [
        (1, "PMID '99999999999' is not a positive whole number; the record is kept without a PMID")]


def test_ris_accession_number_is_a_pmid_only_from_pubmed():
    text = ("TY  - JOUR\nTI  - From CINAHL\nAN  - 104123456\nDB  - CINAHL Complete\nER  - \n"
            "TY  - JOUR\nTI  - From Ovid\nAN  - 990604\nDB  - Ovid MEDLINE(R)\nER  - \n")
    assert [r["pmid"] for r in parse_ris(text, "db.ris")] == [None, 990604]


def test_ris_url_and_note_identifiers():
    text = ("TY  - JOUR\nTI  - Links\nUR  - https://pubmed.ncbi.nlm.nih.gov/990603/\n"
            "N1  - doi: 10.5555/synth.3. PMCID: PMC990603\nER  - \n")
    [article] = parse_ris(text, "links.ris")
    assert (article["pmid"], article["doi"], article["pmcid"]) == (
        990603, "10.5555/synth.3", "PMC990603")


def test_ris_file_that_is_not_ris_is_refused():
    with pytest.raises(BibliographyError) as caught:
        parse_ris("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nER\n", "wos.ris")
    assert str(caught.value) == "wos.ris: no RIS record (a TY  - line) in this file"


def test_a_file_with_no_readable_record_is_refused_with_its_first_problem():
    with pytest.raises(BibliographyError) as caught:
        parse_ris("AU  - Orphan, Ann\nER  - \n\nTI  - Another orphan\n", "orphans.ris")
    assert str(caught.value) == "orphans.ris, line 1: a RIS record must start with TY, not AU"
    with pytest.raises(BibliographyError) as caught:
        parse_medline("PMID- 1\nbroken\n\nPMID- 2\nbroken too\n", "broken.nbib")
    assert str(caught.value) == ("broken.nbib, line 2: not a MEDLINE line (TAG - value):"
                                 " 'broken' (1 more skipped)")
    assert parse_ris("", "empty.ris") == []  # an empty file is no error, just no records


# --- BibTeX -------------------------------------------------------------------------------------

STRINGS_BIB = r"""@preamble{ "\newcommand{\noopsort}[1]{}" }
@comment{ written by hand for litbase's tests }
@String{ Ann = "Roe, Ann" }
@STRING(jss = {J Synth} # " Stud")
@string{both = ann # " and " # {Doe, Jo}}

@article{strings,
  author = BOTH,
  title = {Production of $\Sigma^{0}$ hyperons, H$_2$O and DNA\textsubscript{2} at R&D labs},
  journal = JSS,
  year = {{\noopsort{1973b}}1973},
  month = mar,
  pmid = {990701},
}

@inproceedings{child,
  author = {Poe, Al},
  title = {A paper in the proceedings},
  crossref = {parent},
  pages = {1--9}
}

@proceedings{parent,
  title = {Proceedings of the Synthetic Meeting},
  year = 2006,
  publisher = {Synth Press},
}
"""


def test_bibtex_strings_preamble_noopsort_scripts_and_crossref():
    records = parse_bibtex(STRINGS_BIB, "strings.bib")
    assert (len(records), records.skipped, records.warnings) == (3, [], [])
    first, child, parent = records
    assert names(first) == [("Roe", "Ann"), ("Doe", "Jo")]
    assert first["title"] == "Production of Σ⁰ hyperons, H₂O and DNA₂ at R&D labs"
    assert (first["journal"]["title"], first["year"], first["month"], first["pmid"]) == (
        "J Synth Stud", 1973, 3, 990701)
    # crossref: the proceedings give the paper its year and publisher.
    assert (child["title"], child["year"], child["publisher"], child["pages"]) == (
        "A paper in the proceedings", 2006, "Synth Press", "1-9")
    assert (parent["title"], parent["year"]) == ("Proceedings of the Synthetic Meeting", 2006)


IDENTIFIERS_BIB = r"""@article{eprint, title = {By eprint}, year = 2020,
  eprint = {990702}, eprinttype = {pubmed}}
@article{noted, title = {By note}, year = 2020,
  note = {{PMID:} 990703, PMCID: PMC990703}, url = {https://doi.org/10.5555/Synth.4}}
@article{badpmid, title = {Bad PMID}, year = {next year}, pmid = {P123}}
@article{broken, title = {Unbalanced {brace}, year = {2020},
}
@article{after, title = {After the broken one}, year = 2021}
@article{nocomma, title = {Missing comma}
  doi = {10.5555/synth.5}, year = 2022}
"""


def test_bibtex_identifiers_bad_entries_and_missing_commas():
    records = parse_bibtex(IDENTIFIERS_BIB, "ids.bib")
    by_title = {r["title"]: r for r in records}
    assert (by_title["By eprint"]["pmid"], by_title["By note"]["pmid"]) == (990702, 990703)
    assert (by_title["By note"]["pmcid"], by_title["By note"]["doi"]) == (
        "PMC990703", "10.5555/Synth.4")
    bad = by_title["Bad PMID"]
    assert (bad["pmid"], bad["year"], bad["pub_date"]) == (None, None, "next year")
    assert problems(records.warnings) == [
        (5, "PMID 'P123' is not a positive whole number; the record is kept without a PMID")]
    assert [(p.line, p.why.split(" (")[0]) for p in records.skipped] == [
        (6, "cannot read this BibTeX entry")]
    assert by_title["After the broken one"]["year"] == 2021
    assert (by_title["Missing comma"]["doi"], by_title["Missing comma"]["year"]) == (
        "10.5555/synth.5", 2022)


def test_bibtex_duplicate_keys_are_both_read():
    text = ("@string{j = {Old}}\n@string{J = {New}}\n"
            "@article{same, title = {First}, year = 2020, journal = j}\n"
            "@article{same, title = {Second}, year = 2021}\n"
            "@article{SAME, title = {Third}, year = 2022}\n")
    records = parse_bibtex(text, "dup.bib")
    assert ([(r["title"], r["year"], r["source_line"]) for r in records], records.skipped) == (
        [("First", 2020, 3), ("Second", 2021, 4), ("Third", 2022, 5)], [])
    assert records[0]["journal"]["title"] == "New"


# --- CSL-JSON -----------------------------------------------------------------------------------

CSL_DATES = """[
  {"id": "a", "title": "Numbers", "issued": {"date-parts": [[2001, 2, 3]]}},
  {"id": "b", "title": "Strings", "issued": {"date-parts": [["1965", "6", "1"]]}},
  {"id": "c", "title": "Range", "issued": {"date-parts": [[1999, 3], [2001, 5]]}},
  {"id": "d", "title": "Season", "issued": {"date-parts": [[2000]], "season": 3}},
  {"id": "e", "title": "Raw", "issued": {"raw": "Spring 1999"}},
  {"id": "f", "title": "Literal", "issued": {"literal": "(in press)"}},
  {"id": "g", "title": "EDTF", "issued": {"raw": "2019-04-01"}},
  {"id": "h", "title": "Antiquity", "issued": {"date-parts": [[325]]}},
  {"id": "i", "title": "BC", "issued": {"date-parts": [[-44, 3, 15]]}},
  {"id": "j", "title": "Noted", "note": "PMID: 990801\\nPMCID: PMC990801"},
  5,
  {"id": "k", "title": "Bad authors", "author": "Roe"},
  {"id": "l", "title": "Bad PMID", "PMID": "abc"}
]
"""


def test_csljson_dates_in_every_form_and_bad_items_skipped():
    records = parse_csljson(CSL_DATES, "dates.json")
    dates = {r["title"]: (r["year"], r["month"], r["day"], r["pub_date"]) for r in records}
    assert dates == {
        "Numbers": (2001, 2, 3, None), "Strings": (1965, 6, 1, None),
        "Range": (1999, 3, None, None), "Season": (2000, None, None, None),
        "Raw": (1999, None, None, None), "Literal": (None, None, None, "(in press)"),
        "EDTF": (2019, 4, 1, None), "Antiquity": (None, None, None, "325"),
        "BC": (None, None, None, "-44-03-15"), "Noted": (None, None, None, None),
        "Bad PMID": (None, None, None, None),
    }
    assert [(r["pmid"], r["pmcid"]) for r in records if r["title"] == "Noted"] == [
        (990801, "PMC990801")]
    assert problems(records.skipped) == [(12, "a CSL item must be an object"),
                                         (13, "author must be a list of names")]
    assert problems(records.warnings) == [
        (14, "PMID 'abc' is not a positive whole number; the record is kept without a PMID")]


def test_csljson_odd_value_types_do_not_cost_the_item():
    text = ('[{"title": 5, "author": [{"family": 3, "given": "Ann"}, "not a name"],'
            ' "language": 7, "PMCID": "990802", "custom": {"keywords": "one term"}}]')
    records = parse_csljson(text, "odd.json")
    [article] = records
    assert (article["title"], names(article), article["languages"], article["pmcid"],
            article["keywords"], records.skipped) == (
        "5", [("3", "Ann")], ["7"], "PMC990802", ["one term"], [])


def test_csljson_syntax_error_still_refuses_the_file():
    with pytest.raises(BibliographyError) as caught:
        parse_csljson('[\n  {"title": "x",}\n]', "broken.json")
    assert (caught.value.line, caught.value.message) == (
        2, "not valid JSON: Expecting property name enclosed in double quotes")


# --- MEDLINE ------------------------------------------------------------------------------------

NBIB = """PMID- 990901
TI  - A title PubMed wrapped at its
      line width.
AB  - An abstract line with a trailing space 
      and its continuation.
CI  - Copyright (c) 2020 Synthetic Society.
CI  - Published by Synth Press.
FAU - Gout, I
AU  - Gout I
FAU - Hiles, I D
AU  - Hiles ID
AU  - et al.
DP  - 1993 Oct 8
LID - 10.5555/synth.9 [doi]
AID - S0000-0000(93)00001-X [pii]
AID - PMC990901 [pmc]

PMID- 990902
AU  - Booker GW
AU  - Smith JA Jr
AU  - et al.
DP  - 2019 Spring

OWN - ERIC
TI  - An ERIC record without a PMID
AU  - Test, David W.
DP  - Apr 2019
AID - http://dx.doi.org/10.5555/eric.1

PMID- 990904
TI  - A record with a broken line
this line has no tag

PMID- 000000000000
TI  - PMID of zeros
"""


def test_medline_repeated_continued_and_au_only_fields():
    records = parse_medline(NBIB, "pubmed.nbib")
    assert [r["source_line"] for r in records] == [1, 18, 24, 34]
    first, second, eric, zeros = records
    assert first["title"] == "A title PubMed wrapped at its line width."
    assert first["abstract"] == "An abstract line with a trailing space and its continuation."
    assert first["copyright"] == "Copyright (c) 2020 Synthetic Society. Published by Synth Press."
    assert names(first) == [("Gout", "I"), ("Hiles", "I D")]
    assert [a["initials"] for a in first["authors"]] == ["I", "ID"]
    assert (first["year"], first["month"], first["day"], first["pub_date"]) == (
        1993, 10, 8, "1993 Oct 8")
    assert (first["doi"], first["pii"], first["pmcid"]) == (
        "10.5555/synth.9", "S0000-0000(93)00001-X", "PMC990901")
    assert names(second) == [("Booker", "G W"), ("Smith", "J A")]
    assert [(a["initials"], a["suffix"]) for a in second["authors"]] == [("GW", None),
                                                                         ("JA", "Jr")]
    assert (second["year"], second["month"], second["pub_date"]) == (2019, None, "2019 Spring")
    assert (eric["pmid"], names(eric), eric["year"], eric["month"], eric["doi"]) == (
        None, [("Test", "David W.")], 2019, 4, "10.5555/eric.1")
    assert (zeros["pmid"], zeros["title"]) == (None, "PMID of zeros")
    assert problems(records.skipped) == [
        (32, "not a MEDLINE line (TAG - value): 'this line has no tag'")]
    assert problems(records.warnings) == [
        (34, "PMID '000000000000' is not a positive whole number;"
             " the record is kept without a PMID")]


def test_medline_records_without_blank_lines_between_them():
    records = parse_medline("PMID- 990911\nTI  - One\nPMID- 990912\nTI  - Two\n", "tight.nbib")
    assert [(r["pmid"], r["title"], r["source_line"]) for r in records] == [
        (990911, "One", 1), (990912, "Two", 3)]


# --- every reader: any text at all --------------------------------------------------------------

READERS = {"ris": parse_ris, "bibtex": parse_bibtex, "csljson": parse_csljson,
           "medline": parse_medline}
TEXT_FIELDS = ("title", "abstract", "copyright", "pub_date", "volume", "issue", "pages",
               "article_number", "doi", "pmcid", "pii", "book_title", "publisher",
               "medline_status", "publication_status")
FRAGMENTS = ["TY  - JOUR", "TY - BOOK", "ER  -", "AU  - Doe, Jane", "PY  - 2004///", "CI  - (c)",
             "CI  - again", "PMID- 1", "AU  - et al.", "      continued", "@string{a = {x}}",
             "@article{k, title = {T}, year = {{\\noopsort{a}}1973}, author = a # { and B}}",
             '[{"title": "T", "issued": {"date-parts": [[-5]]}}, 3]', "{", "}", "\ufeff", ""]


@pytest.mark.parametrize("reader", list(READERS))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), max_size=12))
def test_readers_answer_records_or_a_whole_file_error(reader, lines):
    try:
        records = READERS[reader]("\n".join(lines), "any")
    except BibliographyError:
        return  # a JSON syntax error, or not one record readable: the whole file is refused
    assert isinstance(records, Records)
    for article in records:
        for field in TEXT_FIELDS:
            assert article.get(field) is None or isinstance(article[field], str), field
        for field in ("pmid", "year", "month", "day"):
            assert article.get(field) is None or type(article[field]) is int, field
