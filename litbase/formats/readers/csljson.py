"""Read CSL-JSON (an array of items, as Zotero, pandoc and litbase write it).

Items are decoded one at a time from their offsets so that an item's problem
(a PMID that is not a number) is reported at the line the item starts on,
which ``json.loads`` of the whole array would not tell.
"""

from __future__ import annotations

import json

from litbase.formats.vocab import CSL_TYPES, language_code
from litbase.formats.reading import (
    BibliographyError,
    day_number,
    empty_article,
    group,
    month_number,
    number_authors,
    pages_and_number,
    parse_pmid,
    parse_year,
    person,
    publication_types,
    split_terms,
)

_DECODER = json.JSONDecoder()


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def csl_items_with_lines(text: str, path: str) -> list[tuple[int, dict]]:
    """(line, item) for each item of the array (or the single item) in the text."""
    text = text.lstrip("\ufeff")
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise BibliographyError(path, error.lineno, f"not valid JSON: {error.msg}")
    except RecursionError:
        # json's decoder recurses per level; a hostile file nests thousands deep.
        raise BibliographyError(path, None, "JSON nested too deeply to be a CSL-JSON bibliography")
    position = len(text) - len(text.lstrip())
    if text[position:position + 1] != "[":
        item = json.loads(text)
        if not isinstance(item, dict):
            raise BibliographyError(path, 1, "CSL-JSON must be an array of items or one item")
        return [(_line_of(text, position), item)]
    items, position = [], position + 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if text[position] == "]":
            return items
        item, end = _DECODER.raw_decode(text, position)
        if not isinstance(item, dict):
            raise BibliographyError(path, _line_of(text, position), "a CSL item must be an object")
        items.append((_line_of(text, position), item))
        position = end


def parse_csljson(text: str, path: str = "<csljson>") -> list[dict]:
    """Articles from CSL-JSON text."""
    return [_article(item, line, path) for line, item in csl_items_with_lines(text, path)]


def _name(name: dict) -> dict:
    if name.get("literal"):
        return group(name["literal"])
    last = " ".join(p for p in (name.get("non-dropping-particle"), name.get("family")) if p)
    return person(last, name.get("given"), name.get("suffix"))


def _text(value) -> str | None:
    if value is None:
        return None
    return str(value).strip() or None


def _article(item: dict, line: int, path: str) -> dict:
    kind = CSL_TYPES.get(item.get("type"), "article")
    custom = item.get("custom") if isinstance(item.get("custom"), dict) else {}
    article = empty_article(kind)
    if not isinstance(item.get("author", []), list):
        raise BibliographyError(path, line, "author must be a list of names")
    article["authors"] = [_name(n) for n in item.get("author", []) if isinstance(n, dict)]
    title = _text(item.get("title"))
    if kind == "chapter":
        article["title"], article["book_title"] = title, _text(item.get("container-title"))
    elif kind == "book":
        article["title"] = article["book_title"] = title
    else:
        article["title"] = title
        article["journal"]["title"] = _text(item.get("container-title"))
        article["journal"]["iso_abbreviation"] = _text(
            item.get("container-title-short") or item.get("journalAbbreviation")
            or custom.get("journal_iso"))
    issn = item.get("ISSN")
    article["journal"]["issn"] = _text(issn[0] if isinstance(issn, list) and issn else issn)
    article["publisher"] = _text(item.get("publisher"))
    parts = ((item.get("issued") or {}).get("date-parts") or [[]])[0]
    article["year"] = parse_year(parts[0] if parts else None, path, line)
    article["month"] = month_number(parts[1]) if len(parts) > 1 else None
    article["day"] = day_number(parts[2]) if len(parts) > 2 else None
    article["volume"], article["issue"] = _text(item.get("volume")), _text(item.get("issue"))
    article["pages"], article["article_number"] = pages_and_number(
        _text(item.get("page")), _text(item.get("number")))
    article["doi"] = _text(item.get("DOI"))
    article["pmid"] = parse_pmid(item.get("PMID"), path, line)
    article["pmcid"] = _text(item.get("PMCID"))
    article["languages"] = custom.get("languages") or (
        [language_code(item["language"])] if item.get("language") else [])
    article["publication_types"] = publication_types(custom.get("publication_types") or [], kind)
    if "mesh_terms" in custom or "keywords" in custom:
        # litbase's own files say which terms are MeSH descriptors.
        article["mesh_headings"] = [{"descriptor_ui": None, "descriptor": d, "major_topic": False,
                                     "qualifiers": []} for d in custom.get("mesh_terms", [])]
        article["keywords"] = custom.get("keywords", [])
    else:
        article["keywords"] = split_terms(_text(item.get("keyword")))
    article["abstract"] = _text(item.get("abstract"))
    article["source_line"] = line
    return number_authors(article)
