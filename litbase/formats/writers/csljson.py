"""CSL-JSON writer: the item shape citeproc processors (pandoc, Zotero, citeproc-py) read.

CSL has no variable for PubMed's publication types or for telling MeSH
descriptors from author keywords; CSL-JSON 1.0.2 keeps such facts under
``custom``, which processors ignore and litbase reads back.

Many PubMed records name their journal only by its ISO abbreviation. CSL
styles test ``container-title`` before they print a journal at all (the NLM
style otherwise takes the item for a book: "[Internet]. Vol. 30." in pandoc),
so the abbreviation is written as ``container-title`` too, and
``custom.journal_title_unknown`` says so for a reader that wants the
difference back. The abbreviation is ``container-title-short`` (CSL 1.0.2) and
``journalAbbreviation`` too: the name citeproc-js reads as the same variable and
the only one Zotero's CSL-JSON import maps to its Journal Abbr field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from litbase.formats.vocab import CSL_TYPE_OF, language_tag, publication_type_names, work_kind
from litbase.model.citekeys import UniqueKeys
from litbase.formats.writers.bibtex import subject_terms
from litbase.formats.writers.notes import caution_note
from litbase.formats.writers.pages import expand_pages

# JSON lets these stand raw inside a string, but str.splitlines, line-based
# tools and pre-2019 JavaScript treat them as line ends; escaped, the text is
# the same to every JSON reader and a record can no longer cut a file in two.
_LINE_BREAK_RE = re.compile("[\\u2028\\u2029\\u0085]")


def csl_name(author: dict) -> dict:
    if author.get("collective_name"):
        return {"literal": author["collective_name"]}
    # Built key by key: this runs for every author of every exported record.
    name = {}
    family = author.get("last_name")
    if family:
        name["family"] = family
    given = author.get("fore_name") or author.get("initials")
    if given:
        name["given"] = given
    suffix = author.get("suffix")
    if suffix:
        name["suffix"] = suffix
    return name


def printed_fields(article: dict, key: str | None) -> dict:
    """The item's fields a reference style prints (type, names, titles, date, volume, issue,
    pages, numbers, DOI), in CSL-JSON's order; empty ones still there."""
    kind = work_kind(article)
    journal = article.get("journal") or {}
    item = {"id": key, "type": CSL_TYPE_OF[kind]}
    if article.get("authors"):
        item["author"] = [csl_name(a) for a in article["authors"]]
    item["title"] = article.get("book_title") if kind == "book" else article.get("title")
    if kind == "chapter":
        item["container-title"] = article.get("book_title")
    elif kind == "article":
        item["container-title"] = journal.get("title") or journal.get("iso_abbreviation")
        item["container-title-short"] = journal.get("iso_abbreviation")
        item["journalAbbreviation"] = journal.get("iso_abbreviation")
    item["publisher"] = article.get("publisher")
    parts = [article.get(p) for p in ("year", "month", "day")]
    if parts[0]:
        parts = parts[:1] + ([parts[1]] if parts[1] else []) + (
            [parts[2]] if parts[1] and parts[2] else [])
        item["issued"] = {"date-parts": [parts]}
    item["volume"] = article.get("volume")
    item["issue"] = article.get("issue")
    # Styles print page; APA prints number as "Article e10728".
    item["page"] = expand_pages(article.get("pages")) or article.get("article_number")
    item["number"] = article.get("article_number")
    item["DOI"] = article.get("doi")
    return item


def csl_item(article: dict, key: str) -> dict:
    item = printed_fields(article, key)
    journal = article.get("journal") or {}
    kind = work_kind(article)
    item["PMID"] = str(article["pmid"]) if article.get("pmid") else None
    item["PMCID"] = article.get("pmcid")
    item["ISSN"] = journal.get("issn")
    languages = article.get("languages") or []
    item["language"] = language_tag(languages[0]) if languages else None
    item["keyword"] = "; ".join(subject_terms(article)) or None
    item["abstract"] = article.get("abstract")
    item["note"] = caution_note(article)
    if article.get("pmid"):
        item["URL"] = f"https://pubmed.ncbi.nlm.nih.gov/{article['pmid']}/"
    custom = {
        "publication_types": publication_type_names(article),
        "mesh_terms": [m["descriptor"] for m in article.get("mesh_headings") or []],
        "keywords": article.get("keywords") or [],
        "languages": languages,
        "journal_iso": journal.get("iso_abbreviation"),
        "journal_title_unknown": kind == "article" and bool(
            journal.get("iso_abbreviation") and not journal.get("title")),
    }
    item["custom"] = {k: v for k, v in custom.items() if v}
    # A true value is none of the empty ones: only the others are compared with each.
    return {k: v for k, v in item.items() if v or v not in (None, "", [], {})}


def csl_items(articles: Iterable[dict]) -> Iterator[dict]:
    keys = UniqueKeys()
    for article in articles:
        yield csl_item(article, keys(article))



# json's own string encoder (C), as json.dumps(ensure_ascii=False) uses it.
_STRING = json.encoder.encode_basestring
# isinstance(value, str), as a function map() can call.
_IS_TEXT = str.__instancecheck__


def indented(value, indent: str = "") -> str:
    """What ``json.dumps(value, ensure_ascii=False, indent=2)`` writes, each line after the
    first indented by ``indent`` more. json writes with indentation in Python, not C: this
    writes the same text at a third of the cost."""
    if isinstance(value, str):
        return _STRING(value)
    if isinstance(value, dict) and all(map(_IS_TEXT, value)):
        if not value:
            return "{}"
        inner = indent + "  "
        # A text value is written here, not by a call for it: most of a record's 200 values.
        return "{\n" + ",\n".join([
            f"{inner}{_STRING(key)}: {_STRING(item) if type(item) is str else indented(item, inner)}"
            for key, item in value.items()]) + "\n" + indent + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        inner = indent + "  "
        if all(map(_IS_TEXT, value)):  # a list of text (MeSH terms, keywords): joined in one go
            return "[\n" + inner + (",\n" + inner).join(map(_STRING, value)) + "\n" + indent + "]"
        return "[\n" + ",\n".join([inner + indented(item, inner) for item in value]) + "\n" + indent + "]"
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__repr__(value)
    # Anything rarer (true, null, a float, keys that are not text): json itself.
    # Its only line ends are its own (a string's are escaped).
    return json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n" + indent)


def write_csljson(articles: Iterable[dict]) -> Iterator[str]:
    """Yield a JSON array of CSL items, one item at a time."""
    yield "["
    for index, item in enumerate(csl_items(articles)):
        text = "  " + indented(item, "  ")
        if "\u2028" in text or "\u2029" in text or "\x85" in text:  # rare: three scans cost less than the regex's one
            text = _LINE_BREAK_RE.sub(lambda m: "\\u%04x" % ord(m.group()), text)
        yield ("," if index else "") + "\n" + text
    yield "\n]\n"
