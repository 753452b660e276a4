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
from markupsafe import Markup, escape

# The database section of metadata.yml is written under this name (the
# default file, litbase.db) and copied to whatever name is served.
TEMPLATE_DATABASE = "litbase"

# Columns whose integer values are PMIDs, in tables and in canned queries.
PMID_COLUMNS = {"pmid", "citing", "cited", "cited_pmid", "similar_pmid", "seed_pmid", "seed", "retracted_pmid"}

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
    # Built with escape() and an f-string, not Markup.format: a query page of 1,000 rows has
    # 2,000 of these, and Markup.format escaping field by field took most of its rendering.
    pmid = int(pmid)
    return Markup(f'<a href="{escape(article_url)}">{pmid}</a>&nbsp;<a class="litbase-ext" '
                  f'href="{pubmed_url(pmid)}" title="PMID {pmid} on PubMed">PubMed</a>')


RETRACTED_CHIP = Markup(
    '&nbsp;<span class="litbase-flag litbase-flag-retracted"'
    ' title="PubMed marks this article as retracted">Retracted</span>')


def unknown_pmid_html(pmid) -> Markup:
    """A PMID PubMed has no record of: said in words, linked to nothing."""
    return Markup('<span class="litbase-no-record">{} <em>(PubMed has no record of this PMID)</em></span>'
                  ).format(pmid)


def render_cell_html(column: str, value, article_url, marks: dict | None = None) -> Markup | None:
    """Display HTML for one cell, or None to leave it to Datasette.

    ``article_url(pmid)`` gives the URL of an article's row page; ``marks``
    ({"retracted": set, "missing": set} of PMIDs, litbase.publish.marks) adds a
    "Retracted" chip to a retracted article's PMID and says so of a PMID
    PubMed does not know.
    """
    marks = marks or {}
    if isinstance(value, dict) and column in PMID_COLUMNS and value.get("label") is None:
        # A foreign key to an article with no title: say so instead of "None".
        pmid = value.get("value")
        if pmid is None:
            return None
        if pmid in marks.get("missing", ()):
            return unknown_pmid_html(pmid)
        return Markup('<a href="{}">{}</a>&nbsp;<em>{}</em>').format(
            article_url(pmid), unknown_title_html(), pmid
        ) + (RETRACTED_CHIP if pmid in marks.get("retracted", ()) else "")
    if column in PMID_COLUMNS and isinstance(value, dict) and value.get("value") in marks.get("retracted", ()):
        pmid = value["value"]
        return Markup('<a href="{}">{}</a>&nbsp;<em>{}</em>').format(
            article_url(pmid), value["label"], pmid) + RETRACTED_CHIP
    if column == "title" and value is None:
        return unknown_title_html()
    if value in (None, ""):
        return None
    if column in PMID_COLUMNS and isinstance(value, int):
        if value in marks.get("missing", ()) and value not in marks.get("retracted", ()):
            return unknown_pmid_html(value)
        html = pmid_html(value, article_url(value))
        return html + RETRACTED_CHIP if value in marks.get("retracted", ()) else html
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


def query_rewriting_app(app, rewrite, methods=None):
    """ASGI wrapper that hands Datasette ``rewrite(path, query_string)`` instead of the request's query.

    ``methods``: only requests of these methods are rewritten (None: every HTTP request).
    """

    async def wrapped(scope, receive, send):
        if scope.get("type") == "http" and (methods is None or scope.get("method") in methods):
            query = scope.get("query_string", b"").decode("latin-1")
            changed = rewrite(scope.get("path", ""), query)
            if changed != query:
                scope = {**scope, "query_string": changed.encode("latin-1")}
        await app(scope, receive, send)

    return wrapped
