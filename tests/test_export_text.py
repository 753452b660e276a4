"""Formatted references against the example references the style guides publish.

The facts of each example (authors, title, journal, date, volume, pages, DOI)
are those of the reference the guide prints; the PMIDs are made up. Guides
print italics, which plain text cannot carry.
"""

from bib_fixtures import PMIDS, bib_db  # noqa: F401  (fixture)

from litbase.store.load import load_articles
from litbase.formats.writers.text import format_references


def person(last, fore, initials):
    return {"last_name": last, "fore_name": fore, "initials": initials}


# Citing Medicine, 2nd ed. (NLM), and the ICMJE sample references: a journal
# article with day of publication.
HALPERN = {
    "pmid": 990301, "title": "Solid-organ transplantation in HIV-infected patients",
    "authors": [person("Halpern", "Scott D", "SD"), person("Ubel", "Peter A", "PA"),
                person("Caplan", "Arthur L", "AL")],
    "journal": {"title": "The New England journal of medicine", "iso_abbreviation": "N Engl J Med"},
    "year": 2002, "month": 7, "day": 25, "volume": "347", "issue": "4", "pages": "284-7",
}
# AMA Manual of Style, 11th ed., journal article with six authors and a DOI.
YOUNGSTER = {
    "pmid": 990302,
    "title": "Oral, capsulized, frozen fecal microbiota transplantation for relapsing "
             "Clostridium difficile infection",
    "authors": [person("Youngster", "Ilan", "I"), person("Russell", "George H", "GH"),
                person("Pindar", "Christina", "C"), person("Ziv-Baran", "Tomer", "T"),
                person("Sauk", "Jenny", "J"), person("Hohmann", "Elizabeth L", "EL")],
    "journal": {"title": "JAMA", "iso_abbreviation": "JAMA"},
    "year": 2014, "month": 11, "day": 5, "volume": "312", "issue": "17", "pages": "1772-1778",
    "doi": "10.1001/jama.2014.13875",
}
# APA Style, 7th ed., journal article reference example.
GRADY = {
    "pmid": 990303,
    "title": "Emotions in storybooks: A comparative study of storybooks that represent ethnic "
             "and racial groups in the United States",
    "authors": [person("Grady", "Jessica Stoltzfus", "JS"), person("Her", "Malina", "M"),
                person("Moreno", "Geena", "G"), person("Perez", "Catherine", "C"),
                person("Yelinek", "Jillian", "J")],
    "journal": {"title": "Psychology of Popular Media Culture",
                "iso_abbreviation": "Psychol Pop Media Cult"},
    "year": 2019, "volume": "8", "issue": "3", "pages": "207-217", "doi": "10.1037/ppm0000185",
}


def test_vancouver_matches_citing_medicine():
    assert format_references([HALPERN], "vancouver") == [
        "1. Halpern SD, Ubel PA, Caplan AL. Solid-organ transplantation in HIV-infected "
        "patients. N Engl J Med. 2002 Jul 25;347(4):284-7."]


def test_ama_matches_the_ama_manual():
    assert format_references([YOUNGSTER], "ama") == [
        "1. Youngster I, Russell GH, Pindar C, Ziv-Baran T, Sauk J, Hohmann EL. Oral, "
        "capsulized, frozen fecal microbiota transplantation for relapsing Clostridium "
        "difficile infection. JAMA. 2014;312(17):1772-1778. doi:10.1001/jama.2014.13875"]


def test_apa_matches_the_apa_guide():
    assert format_references([GRADY], "apa") == [
        "Grady, J. S., Her, M., Moreno, G., Perez, C., & Yelinek, J. (2019). Emotions in "
        "storybooks: A comparative study of storybooks that represent ethnic and racial groups "
        "in the United States. Psychology of Popular Media Culture, 8(3), 207–217. "
        "https://doi.org/10.1037/ppm0000185"]


def test_apa_sorts_by_author_and_vancouver_keeps_order():
    apa = format_references([YOUNGSTER, GRADY, HALPERN], "apa")
    assert [r.split(",")[0] for r in apa] == ["Grady", "Halpern", "Youngster"]
    vancouver = format_references([YOUNGSTER, GRADY, HALPERN], "vancouver")
    assert [r.split(",")[0] for r in vancouver] == ["1. Youngster I", "2. Grady JS",
                                                    "3. Halpern SD"]


def test_synthetic_records_in_each_style(bib_db):
    articles = list(load_articles(bib_db, PMIDS))
    vancouver = format_references(articles, "vancouver")
    assert vancouver[2] == ("3. Smith AB. The review of synthetic reviews. J Synth Tests. "
                            "2022;6(2):e10728. doi:10.5555/synth.990103")
    assert vancouver[3] == ("4. Doe J. Burnout in residency. In: Handbook of Synthetic "
                            "Medicine. Synthetic Press; 2019. p. 10-20.")
    assert vancouver[4].startswith("5. Synthetic Study Group, King M Jr. Unbalanced } brace")
    apa = format_references(articles, "apa")
    assert apa[-2] == ("Smith, A. B. (2022). The review of synthetic reviews. Journal of "
                       "Synthetic Tests, 6(2), Article e10728. "
                       "https://doi.org/10.5555/synth.990103")
    ama = format_references(articles, "ama")
    assert ama[0].startswith("1. Müller H, Nilsen Ø, García J. Peer support {and} burnout")


def test_apa_prints_the_journal_without_nlms_qualifier():
    # NLM's full titles of these two journals (their catalog's title field); APA prints the
    # journal's own name. Vancouver and AMA print the abbreviation, which has no qualifier.
    lancet = dict(GRADY, journal={"title": "Lancet (London, England)", "iso_abbreviation": "Lancet"})
    bmj = dict(GRADY, pmid=990304, journal={"title": "BMJ (Clinical research ed.)",
                                            "iso_abbreviation": "BMJ"})
    apa = format_references([lancet, bmj], "apa")
    assert [r.split("United States. ")[1].split(",")[0] for r in apa] == ["Lancet", "BMJ"]
    assert "(London, England)" not in " ".join(apa)
    assert format_references([lancet], "vancouver")[0].count("Lancet. 2019;8(3)") == 1
