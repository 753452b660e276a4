"""Read CSL-JSON (an array of items, as Zotero, pandoc and litbase write it).

Items are decoded one at a time from their offsets so that an item's problem
is reported at the line the item starts on, which ``json.loads`` of the whole
array would not tell; an item that cannot be read is skipped and the others
are kept. Dates come in every form CSL allows: ``date-parts`` (strings or
numbers, ranges, with a ``season``), ``raw``, ``literal``, an EDTF string; a
year before 1000 or BC is kept as text (``pub_date``), not refused.
"""

from __future__ import annotations

import json
import re

from litbase.formats.vocab import CSL_TYPES, language_code
from litbase.formats.reading import (
    BibliographyError,
    Records,
    date_text,
    day_number,
    doi_in,
    empty_article,
    group,
    month_number,
    number_authors,
    pages_and_number,
    lenient_pmid,
    parse_year,
    person,
    as_pmcid,
    pmcid_in,
    pmid_in,
    publication_types,
    nothing_read_is_an_error,
    read_each,
    split_terms,
)

_DECODER = json.JSONDecoder()


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def csl_items_with_lines(text: str, path: str) -> list[tuple[int, object]]:
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
    # Lines counted from the item before, not from the start: counting from the
    # start made 20,000 items (a PubMed file's export) take minutes.
    line, counted = 1, 0
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if text[position] == "]":
            return items
        item, end = _DECODER.raw_decode(text, position)
        line += text.count("\n", counted, position)
        counted = position
        items.append((line, item))
        position = end


def parse_csljson(text: str, path: str = "<csljson>") -> Records:
    """Articles from CSL-JSON text; unreadable items are in ``.skipped``."""
    return nothing_read_is_an_error(
        read_each(csl_items_with_lines(text, path), _article, path))


def _number(value) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if re.fullmatch(r"-?\d{1,6}", text) else None


def _date(issued) -> tuple[int | None, int | None, int | None, str | None]:
    """(year, month, day, text) of a CSL date; text when the year alone cannot say it."""
    if isinstance(issued, list):  # an old form: "issued": [{"year": 2000}] or [[2000, 1]]
        issued = issued[0] if issued else {}
        issued = {"date-parts": [issued]} if isinstance(issued, list) else issued
    if isinstance(issued, (str, int)):
        issued = {"raw": str(issued)}
    if not isinstance(issued, dict):
        return None, None, None, None
    parts = issued.get("date-parts")
    first = parts[0] if isinstance(parts, list) and parts and isinstance(parts[0], list) else []
    if not first and isinstance(issued.get("year"), (int, str)):
        first = [issued["year"], issued.get("month"), issued.get("day")]
    numbers = [_number(p) for p in first[:3]]
    text = issued.get("literal") or issued.get("raw")
    if numbers and numbers[0] is not None:
        month = month_number(numbers[1]) if len(numbers) > 1 else None
        day = day_number(numbers[2]) if len(numbers) > 2 and month else None
        if numbers[0] < 1000:  # 325, or -44 (44 BC): kept as text, not made a year
            written = [str(numbers[0])] + [f"{n:02d}" for n in (month, day) if n]
            return None, None, None, text or "-".join(written)
        return numbers[0], month, day, text
    if text:
        year = parse_year(text)
        match = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", str(text).strip())
        if match:  # EDTF / ISO, "2019-04" or "2019-04-01"
            return year, month_number(match.group(2)), day_number(match.group(3)), text
        return year, None, None, text
    return None, None, None, None


def _name(name: dict) -> dict:
    # Parts are text in CSL, but a number ("family": 3) must not cost the item.
    part = lambda key: _text(name.get(key))  # noqa: E731
    if part("literal"):
        return group(part("literal"))
    last = " ".join(p for p in (part("non-dropping-particle"), part("family")) if p)
    return person(last, part("given"), part("suffix"))


def _strings(value) -> list[str]:
    """A list of terms however it came: a list, one string, or nothing usable."""
    values = value if isinstance(value, list) else [value]
    return [text for v in values if not isinstance(v, (dict, list)) and (text := _text(v))]


def _text(value) -> str | None:
    if value is None:
        return None
    # ASCII whitespace only: a no-break space at the edge of a PubMed keyword is the record's.
    return str(value).strip(" \t\r\n") or None


def _article(item, line: int, path: str, warn) -> dict:
    if not isinstance(item, dict):
        raise BibliographyError(path, line, "a CSL item must be an object")
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
    year, month, day, text = _date(item.get("issued"))
    article["year"], article["month"], article["day"] = year, month, day
    date_text(article, text)
    article["volume"], article["issue"] = _text(item.get("volume")), _text(item.get("issue"))
    article["pages"], article["article_number"] = pages_and_number(
        _text(item.get("page")), _text(item.get("number")))
    # Zotero writes identifiers it has no CSL variable for into note ("PMID: 123").
    free = [_text(item.get(k)) or "" for k in ("note", "URL")]
    article["doi"] = (doi_in(_text(item.get("DOI"))) or _text(item.get("DOI"))
                      or next((d for v in free if (d := doi_in(v))), None))
    article["pmid"] = (lenient_pmid(item.get("PMID"), warn) if _text(item.get("PMID"))
                       else next((p for v in free if (p := pmid_in(v))), None))
    article["pmcid"] = as_pmcid(_text(item.get("PMCID"))) or next(
        (p for v in free if (p := pmcid_in(v))), None)
    article["languages"] = _strings(custom.get("languages")) or (
        [language_code(_text(item["language"]))] if _text(item.get("language")) else [])
    article["publication_types"] = publication_types(_strings(custom.get("publication_types")),
                                                     kind)
    if "mesh_terms" in custom or "keywords" in custom:
        # litbase's own files say which terms are MeSH descriptors.
        article["mesh_headings"] = [{"descriptor_ui": None, "descriptor": d, "major_topic": False,
                                     "qualifiers": []} for d in _strings(custom.get("mesh_terms"))]
        article["keywords"] = _strings(custom.get("keywords"))
    else:
        article["keywords"] = split_terms(_text(item.get("keyword")))
    article["abstract"] = _text(item.get("abstract"))
    article["source_line"] = line
    return number_authors(article)
