"""The string-built styles (litbase/formats/writers/styles/) print what citeproc-py prints.

citeproc-py with the patched CSL styles (``citeproc_references``) is the oracle: the
shipped base's 51 records and generated records (any field missing, up to 25 authors for
the et al. rules, suffixes, particles, group authors, non-ASCII, chapters and books,
article numbers, odd page strings, retractions) must come out the same, character for
character, in the same order. The 20,783 records of a real PubMed file are compared in
test_export_text_real.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from litbase.formats.writers.text import STYLES, citeproc_references, format_references
from litbase.store.dataset import load_dataset
from litbase.store.load import collection_pmids, load_articles
from litbase.store.schema import open_db

DATASET = Path(__file__).resolve().parent.parent / "datasets" / "peer-support"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    db = open_db(tmp_path_factory.mktemp("shipped") / "x.db")
    load_dataset(db, DATASET)
    return list(load_articles(db, collection_pmids(db, "peer-support")))


@pytest.mark.parametrize("style", list(STYLES))
def test_every_shipped_record_as_citeproc_prints_it(shipped, style):
    assert len(shipped) == 51
    assert format_references(shipped, style) == citeproc_references(shipped, style)


def test_no_record_no_reference():
    assert format_references([], "apa") == [] == citeproc_references([], "apa")
    with pytest.raises(ValueError, match="Unknown style 'mla'"):
        format_references([], "mla")


# Words as PubMed records carry them: capitals, lowercase stop words ("of", "the"), accents,
# hyphens, apostrophes, quotes, a colon or question mark, digits, CJK.
WORDS = st.sampled_from([
    "Peer", "support", "of", "the", "and", "in", "burnout", "résidence", "Ørsted", "COVID-19",
    "mRNA", "e-health", "children's", "\"Everybody\"", "care:", "why?", "(review)", "a",
    "Über", "naïve", "β-blockers", "肺癌", "2020", "vs.", "St.", "self-care", "on", "to",
    "iPhone", "UK", "Study.", "[Title", "translated]", "X", "über-", "for"])
TEXT = st.lists(WORDS, min_size=1, max_size=9).map(" ".join)
FAMILY = st.sampled_from(["Smith", "van der Berg", "de la Cruz", "Müller", "O'Neil", "Ng",
                          "García-Márquez", "Øvretveit", "李", "DeAngelis", "d'Arcy", "Ibn Saud"])
FORE = st.sampled_from(["John", "Scott D", "Jean-Pierre", "María José", "A", "JS", "H O F",
                        "Ilan", "Zoë", "li", "J.", "Mary-Kate Olsen", "Ørjan", "W Edward"])
SUFFIX = st.sampled_from(["Jr", "Sr", "II", "III", "IV", "2nd"])


@st.composite
def authors(draw):
    people = []
    for _ in range(draw(st.sampled_from([0, 1, 2, 3, 6, 7, 8, 19, 20, 21, 22, 25]))):
        if draw(st.integers(0, 12)) == 0:
            people.append({"collective_name": draw(st.sampled_from(
                ["Synthetic Study Group", "WHO Collaborators", "Grupo de Estudio"]))})
            continue
        person = {"last_name": draw(FAMILY)}
        fore = draw(st.none() | FORE)
        if fore:
            person["fore_name"] = fore
        elif draw(st.booleans()):
            person["initials"] = "".join(w[0] for w in draw(FORE).split())
        if draw(st.integers(0, 6)) == 0:
            person["suffix"] = draw(SUFFIX)
        if draw(st.integers(0, 15)) == 0:
            del person["last_name"]
        people.append(person)
    return people


PAGES = st.sampled_from(["284-7", "1772-1778", "e10728", "S12-S14", "233-41, 250-3", "10",
                         "99-1", "1-10", "120-30", "iii-xv", "12-12", "e677-83", "1-2-3",
                         "1338-40", "15 & 18", "A1-A9", "100-1000"])
VOLUMES = st.sampled_from(["347", "8", "20 Suppl 1", "VI", "235-236", "ahead-of-print", "3A",
                           "2", "12"])
ISSUES = st.sampled_from(["4", "3", "Pt 2", "Suppl 1", "1-2", "12"])
JOURNALS = st.sampled_from([
    {"title": "The New England journal of medicine", "iso_abbreviation": "N Engl J Med"},
    {"title": "Lancet (London, England)", "iso_abbreviation": "Lancet"},
    {"title": "BMJ (Clinical research ed.)", "iso_abbreviation": "BMJ"},
    {"title": None, "iso_abbreviation": "Int. J. Aging Hum. Dev."},
    {"title": "Acta paediatrica (Oslo, Norway : 1992)", "iso_abbreviation": "Acta Paediatr"},
    {"title": "Zeitschrift für Gerontologie und Geriatrie", "iso_abbreviation": None},
    {"title": None, "iso_abbreviation": None},
    {"title": "JAMA", "iso_abbreviation": "JAMA"}])


@st.composite
def articles(draw, pmid=st.integers(1, 40_000_000)):
    kind = draw(st.sampled_from(["article"] * 6 + ["chapter", "book"]))
    article = {"pmid": draw(pmid), "authors": draw(authors()),
               "title": draw(st.none() | TEXT), "journal": draw(JOURNALS)}
    if kind != "article":
        article["record_type"] = "book"
        article["book_title"] = draw(st.none() | TEXT)
        if kind == "chapter" and article["book_title"] and article["title"] in (
                None, article["book_title"]):
            article["title"] = article["book_title"] + " chapter"
        article["publisher"] = draw(st.none() | st.sampled_from(["Synthetic Press",
                                                                 "NCBI Bookshelf"]))
    if draw(st.integers(0, 8)):
        article["year"] = draw(st.integers(1900, 2026))
        if draw(st.booleans()):
            article["month"] = draw(st.integers(1, 12))
            if draw(st.booleans()):
                article["day"] = draw(st.integers(1, 28))
    for field, values in (("volume", VOLUMES), ("issue", ISSUES), ("pages", PAGES)):
        if draw(st.booleans()):
            article[field] = draw(values)
    if draw(st.integers(0, 4)) == 0:
        article["article_number"] = draw(st.sampled_from(["e10728", "21", "e2020-01"]))
    if draw(st.booleans()):
        article["doi"] = draw(st.sampled_from(["10.1001/jama.2014.13875", "10.5555/x(1)-2"]))
    if draw(st.integers(0, 10)) == 0:
        article["is_retracted"] = True
        article["related_notices"] = [{"ref_type": "RetractionIn", "pmid": 123,
                                       "citation": "Lancet. 2010;375:445"}]
    return article


@pytest.mark.parametrize("style", list(STYLES))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=st.lists(articles(), min_size=1, max_size=6, unique_by=lambda a: a["pmid"]))
def test_generated_records_as_citeproc_prints_them(style, records):
    assert format_references(records, style) == citeproc_references(records, style)


@settings(max_examples=60, deadline=None)
@given(base=articles(), volumes=st.lists(st.none() | VOLUMES, min_size=2, max_size=8),
       years=st.lists(st.none() | st.sampled_from([2019, 2020]), min_size=8, max_size=8))
def test_apa_order_of_ties_as_citeproc_sorts_them(base, volumes, years):
    """Same author and title, the year and volume deciding: volumes that read as numbers
    ("12", "347") and ones that do not ("VI", "3A") compare as citeproc-py compares them."""
    records = []
    for number, (volume, year) in enumerate(zip(volumes, years), 1):
        record = {k: v for k, v in base.items() if k not in ("volume", "year", "month", "day")}
        record.update({"pmid": number, "cite_key": f"key{number}"},
                      **({"volume": volume} if volume else {}), **({"year": year} if year else {}))
        records.append(record)
    assert format_references(records, "apa") == citeproc_references(records, "apa")
