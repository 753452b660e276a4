"""litbase's exports as Zotero itself imports them: Zotero's own translators, run in node.

benchmarks/zotero_check.js runs an import translator (BibTeX.js, RIS.js, MEDLINEnbib.js,
"CSL JSON.js") with a small shim of the translator sandbox, and Zotero's utilities for
dates, names, the CSL mapping and item types; the sources are read from
LITBASE_ZOTERO_TRANSLATORS / _UTILITIES / _SCHEMA (folders or bare git directories), else
the mirrors under /work/.mirror. Without node or one of them every test here skips.

The shim is first held to Zotero's own test files (../shared/interop/zotero, the items
Zotero expects): every file comes out equal but for fields Zotero's current item types
have and the older expected items lack (journal articles now have Place and Publisher).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from litbase.formats.registry import export

ROOT = Path(__file__).resolve().parent.parent
_SPEC = importlib.util.spec_from_file_location("zotero_check", ROOT / "benchmarks" / "zotero_check.py")
zotero_check = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(zotero_check)

pytestmark = pytest.mark.skipif(zotero_check.source_paths() is None,
                                reason="node or Zotero's translators/utilities/schema not found")


@pytest.fixture(scope="module")
def zotero():
    with zotero_check.Zotero() as running:
        yield running


# Fields Zotero's item types gained after the expected items of its tests were written.
NEWER_FIELDS = {"place", "publisher", "DOI", "extra", "ISBN", "numberOfVolumes"}


@pytest.mark.skipif(not zotero_check.INTEROP.is_dir(), reason="../shared/interop/zotero missing")
def test_the_shim_reads_zoteros_own_test_files_as_zotero_expects(zotero):
    cases = zotero_check.validate(zotero)
    assert {t: len(c) for t, c in cases.items()} == {
        "BibTeX.js": 24, "RIS.js": 12, "MEDLINEnbib.js": 9, "CSL JSON.js": 1}
    differing = {name: fields for c in cases.values() for name, fields in c.items() if fields}
    assert set().union(*differing.values()) <= NEWER_FIELDS, differing
    assert sum(not fields for c in cases.values() for fields in c.values()) >= 38


def test_every_shipped_record_reads_into_zotero_as_litbase_holds_it(zotero):
    """The shipped base (51 references) in each format. What still differs is Zotero's own
    reading: its MEDLINE import takes the last month of "2016 Jul-Sep" and writes a suffix
    without its comma; its CSL-JSON import reads no keyword and drops a name's suffix."""
    articles = zotero_check.shipped_articles()
    outcome = {name: zotero_check.compare(articles, name, zotero)
               for name in ("bibtex", "ris", "medline", "csljson")}
    assert {name: (o["items"], o["equal"], o["fields"]) for name, o in outcome.items()} == {
        "bibtex": (51, 51, {}), "ris": (51, 51, {}),
        "medline": (51, 47, {"date": 3, "creators": 1}),
        "csljson": (51, 48, {"tags": 3, "creators": 1}),
    }


# Real records of pubmed21n1298 whose BibTeX once carried litbase's own macros or text
# Zotero's import rewrites: their fields as Zotero stores them.
def _record(pmid, **fields):
    return {"pmid": pmid, "record_type": "article", "year": 2021, "month": 3,
            "authors": [{"last_name": "Roe", "fore_name": "Ann", "initials": "A"}],
            "journal": {"title": "Clinical lymphoma, myeloma & leukemia",
                        "iso_abbreviation": "Clin Lymphoma Myeloma Leuk"}, **fields}


HARD = [
    _record(32862847, title="Supplement", volume="20 Suppl 1", pages="S1"),
    _record(34080989, title="Roman volume", volume="VI", issue="1", pages="1-8"),
    _record(32830646, title="Did not fulﬁl 95％ of them; ∆NS1 and α–β ≥ 5 µg"),
    _record(33416177, title="TELO2 induced progression; wow!!", pmcid="PMC7777777"),
    _record(33792515, title="A suffix with commas",
            authors=[{"last_name": "Davis", "fore_name": "Kristina", "suffix": ", MSN, MS, MPH"}]),
    _record(31988167, title="8\u2005weeks; COVID\u201119 Line\u2028separated", pages="233-41"),
]


def test_zotero_stores_no_litbase_macro_from_bibtex(zotero):
    text = "".join(export(HARD, "bibtex"))
    items = zotero.read_text("bibtex", text)
    fields = [{k: item.get(k) for k in ("title", "volume", "issue", "pages", "extra")} for item in items]
    assert fields == [
        {"title": "Supplement", "volume": "20", "issue": "Suppl 1", "pages": "S1",
         "extra": "PMID: 32862847"},
        {"title": "Roman volume", "volume": None, "issue": "VI, 1", "pages": "1-8",
         "extra": "PMID: 34080989"},
        {"title": "Did not fulﬁl 95％ of them; ∆NS1 and α–β ≥ 5 µg", "volume": None, "issue": None,
         "pages": None, "extra": "PMID: 32830646"},
        {"title": "TELO2 induced progression; wow!!", "volume": None, "issue": None, "pages": None,
         "extra": "PMID: 33416177\nPMCID: PMC7777777"},
        {"title": "A suffix with commas", "volume": None, "issue": None, "pages": None,
         "extra": "PMID: 33792515"},
        # Zotero folds every whitespace character to a space, U+2005 too.
        {"title": "8 weeks; COVID\u201119 Line separated", "volume": None, "issue": None,
         "pages": "233-241", "extra": "PMID: 31988167"},
    ]
    assert items[4]["creators"] == [{"lastName": "Davis", "firstName": "Kristina, \u201a MSN\u201a MS\u201a MPH",
                                     "creatorType": "author"}]
    assert [text for item in items for text in _strings(item) if re.search(r"litbase|\\", text)] == []


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)
