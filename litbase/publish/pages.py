"""Pure helpers behind the Datasette plugin and ``litbase serve``: metadata, cell links, page data.

Nothing here talks to Datasette or a database; the plugin's hooks fetch rows
(through ``litbase.store.site``) and hand them over, so all of it is testable
with plain values.
"""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from urllib.parse import quote

import yaml
from markupsafe import Markup

# The database section of metadata.yml is written under this name (the
# default file, litbase.db) and copied to whatever name is served.
TEMPLATE_DATABASE = "litbase"

# Columns whose integer values are PMIDs, in tables and in canned queries.
PMID_COLUMNS = {"pmid", "citing", "cited", "cited_pmid", "similar_pmid", "seed_pmid", "seed"}

UNKNOWN_TITLE = "Title not known"
UNKNOWN_TITLE_HINT = "not in the gathered facts; a networked litbase fetch would add it"


def database_name(path) -> str:
    """The name Datasette gives a database file: its stem (litbase.db -> litbase)."""
    return Path(path).stem


def load_metadata() -> dict:
    """The metadata.yml shipped inside the package."""
    text = resources.files("litbase.publish").joinpath("metadata.yml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def metadata_for(names, public: bool = False, base: dict | None = None) -> dict:
    """Metadata whose database section applies to each served database name."""
    metadata = copy.deepcopy(base if base is not None else load_metadata())
    template = metadata.get("databases", {}).get(TEMPLATE_DATABASE, {})
    databases = {}
    for name in names:
        section = copy.deepcopy(template)
        if "description_html" in section:
            section["description_html"] = section["description_html"].replace(
                "{database}", quote(name)
            )
        databases[name] = section
    metadata["databases"] = databases
    if public:
        # Canned queries stay; arbitrary SQL (the query editor, ?sql=) is refused.
        metadata["allow_sql"] = False
    return metadata


def pubmed_url(pmid) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{int(pmid)}/"


def doi_url(doi: str) -> str:
    # DOIs may hold "<", ";" or "#"; doi.org expects them percent-encoded.
    return "https://doi.org/" + quote(doi.strip(), safe="/:().-_")


def pmc_url(pmcid: str) -> str:
    return f"https://pmc.ncbi.nlm.nih.gov/articles/{quote(pmcid.strip())}/"


def unknown_title_html() -> Markup:
    return Markup('<span class="litbase-unknown" title="{}">{}</span>').format(
        UNKNOWN_TITLE_HINT, UNKNOWN_TITLE
    )


def pmid_html(pmid: int, article_url: str) -> Markup:
    """A PMID linking to its row here, with a second link to PubMed."""
    return Markup(
        '<a href="{}">{}</a>&nbsp;<a class="litbase-ext" href="{}" title="PMID {} on PubMed">PubMed</a>'
    ).format(article_url, pmid, pubmed_url(pmid), pmid)


def render_cell_html(column: str, value, article_url) -> Markup | None:
    """Display HTML for one cell, or None to leave it to Datasette.

    ``article_url(pmid)`` gives the URL of an article's row page.
    """
    if isinstance(value, dict) and column in PMID_COLUMNS and value.get("label") is None:
        # A foreign key to an article with no title: say so instead of "None".
        pmid = value.get("value")
        if pmid is None:
            return None
        return Markup('<a href="{}">{}</a>&nbsp;<em>{}</em>').format(
            article_url(pmid), unknown_title_html(), pmid
        )
    if column == "title" and value is None:
        return unknown_title_html()
    if value in (None, ""):
        return None
    if column in PMID_COLUMNS and isinstance(value, int):
        return pmid_html(value, article_url(value))
    if column == "doi" and isinstance(value, str):
        return Markup('<a class="litbase-ext" href="{}">{}</a>').format(doi_url(value), value)
    if column == "pmcid" and isinstance(value, str):
        return Markup('<a class="litbase-ext" href="{}">{}</a>').format(pmc_url(value), value)
    return None


def json_list(text) -> list:
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def json_object(text) -> dict:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def citation_line(article: dict) -> str:
    """ "AEM Educ Train. 2022 Apr 1;6(2):e10728" from what the row knows."""
    journal = article.get("journal_iso") or article.get("journal") or ""
    date = article.get("pub_date") or (str(article["year"]) if article.get("year") else "")
    volume = article.get("volume") or ""
    issue = f"({article['issue']})" if article.get("issue") else ""
    pages = article.get("pages") or article.get("article_number") or ""
    where = f"{volume}{issue}" + (f":{pages}" if pages else "")
    text = ". ".join(p for p in (journal, date) if p)
    return f"{text};{where}" if where else text


def article_page(article: dict, references: list[dict], cited_by: list[dict],
                 citing_works: list[dict], provenance: dict | None) -> dict:
    """What the article page shows, from the rows the plugin fetched."""
    provenance = provenance or {}
    return {
        "pmid": article["pmid"],
        "title": article.get("title"),
        "authors": article.get("authors"),
        "citation": citation_line(article),
        "abstract": article.get("abstract"),
        "doi": article.get("doi"),
        "pmcid": article.get("pmcid"),
        "pubmed_url": pubmed_url(article["pmid"]),
        "doi_url": doi_url(article["doi"]) if article.get("doi") else None,
        "pmc_url": pmc_url(article["pmcid"]) if article.get("pmcid") else None,
        "publication_types": json_list(article.get("publication_types")),
        "mesh_terms": json_list(article.get("mesh_terms")),
        "keywords": json_list(article.get("keywords")),
        "references_status": article.get("references_status"),
        "references_sources": article.get("references_sources"),
        "completeness": article.get("completeness"),
        "record_source": article.get("record_source"),
        "source_url": article.get("source_url"),
        "field_sources": json_object(article.get("field_sources")),
        "match_confidence": provenance.get("match_confidence"),
        # The facts may belong to another article: the page says so above them.
        "probable_match": provenance.get("match_confidence") == "probable",
        "article_type_label": provenance.get("article_type_label"),
        "notes": json_list(provenance.get("notes")),
        "other_sources": json_list(provenance.get("other_sources")),
        "references": references,
        "cited_by": cited_by,
        "citing_works": citing_works,
    }

