"""Hand-written synthetic articles for the export and import tests.

Every PMID, name, title and DOI here is made up (PMIDs 990101-990105, DOIs under
the 10.5555 test prefix); each record is built to hit one hard case: non-ASCII
names, LaTeX specials, braces, two keys that collide, a review with an article
number, a book chapter, a group author and a name suffix.
"""

import pytest

from litbase.store.schema import open_db
from litbase.store.articles import save_articles
from litbase.store.collections import add_to_collection, save_collection


def person(last, fore, initials, **extra):
    return {"last_name": last, "fore_name": fore, "initials": initials, "affiliations": [],
            **extra}


JOURNAL = {"title": "Journal of Synthetic Tests", "iso_abbreviation": "J Synth Tests",
           "issn": "1234-5678", "issn_type": "Print"}


def base(pmid, **fields):
    article = {
        "record_type": "article", "pmid": pmid, "journal": dict(JOURNAL),
        "year": 2021, "month": None, "day": None, "volume": None, "issue": None,
        "pages": None, "article_number": None, "doi": f"10.5555/synth.{pmid}",
        "pmcid": None, "languages": ["eng"],
        "publication_types": [{"ui": "D016428", "name": "Journal Article"}],
        "mesh_headings": [], "keywords": [], "authors": [], "abstract": None,
    }
    article.update(fields)
    return article


ARTICLES = [
    base(990101,
         title="Peer support {and} burnout: 50% & $5 #1 a_b ~x^2 \\ in résidents",
         authors=[person("Müller", "Hans", "H", affiliations=["Dept A, Zürich"]),
                  person("Nilsen", "Øyvind", "Ø"), person("García", "José", "J")],
         month=3, day=4, pub_date="2021 Mar 4", volume="12", issue="3", pages="100-110",
         pmcid="PMC9990101",
         abstract="BACKGROUND: Made up for a test.\nRESULTS: None at all.",
         mesh_headings=[
             {"descriptor_ui": "D007396", "descriptor": "Internship and Residency",
              "major_topic": True, "qualifiers": []},
             {"descriptor_ui": "D004504", "descriptor": "Education, Medical, Graduate",
              "major_topic": False, "qualifiers": ["psychology*"]},
         ],
         keywords=["peer support"]),
    base(990102, title="Peer mentoring in a synthetic cohort",
         authors=[person("Müller", "Hans", "H")], month=7, pub_date="2021 Jul",
         volume="12", issue="7", pages="200-209"),
    base(990103, title="The review of synthetic reviews",
         authors=[person("Smith", "Anna B", "AB")], year=2022, volume="6", issue="2",
         article_number="e10728", languages=["eng", "fre"],
         publication_types=[{"ui": "D016428", "name": "Journal Article"},
                            {"ui": "D016454", "name": "Review"}]),
    base(990104, record_type="book", title="Burnout in residency",
         book_title="Handbook of Synthetic Medicine", publisher="Synthetic Press",
         journal={}, year=2019, pages="10-20", doi=None,
         authors=[person("Doe", "Jane", "J")],
         publication_types=[{"ui": None, "name": "Book Chapter"}]),
    base(990105, title="Unbalanced } brace in a title",
         authors=[{"collective_name": "Synthetic Study Group", "affiliations": []},
                  person("King", "Martin", "M", suffix="Jr")],
         year=2020, volume="1", pages="1-9"),
]
PMIDS = [a["pmid"] for a in ARTICLES]


def build_db(path, articles=ARTICLES):
    db = open_db(path)
    with db.conn:
        save_articles(db, articles, record_source="dataset")
        save_collection(db, {"name": "synthetic"})
        add_to_collection(db, "synthetic", [{"pmid": a["pmid"], "role": "seed"}
                                            for a in articles])
    return db


@pytest.fixture
def bib_db(tmp_path):
    return build_db(tmp_path / "bib.db")
