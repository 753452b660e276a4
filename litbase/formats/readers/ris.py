"""Read RIS files, as Zotero, EndNote, Mendeley, publishers and databases write them.

The specification's line is a two-character tag, two spaces, a hyphen, a
space and the value, TY first and ER last. Real files bend every part of it,
and Zotero and rispy read them all, so this reader does too:

- a line that is not a tag line continues the value before it (an abstract or
  a title wrapped by the exporting program; a keyword list running onto the
  next lines gives one keyword per line);
- ``TY - JOUR`` with one space is a tag line;
- lines between records (EndNote's ``Record #1 of 2``, ``1.``, ``Provider:``
  headers) are not part of any record and are passed over;
- a record that starts before the previous one closed, or is never closed,
  is kept, with a warning;
- tags the reader does not know are ignored.

What cannot be a record (tag lines before any TY) is skipped and reported
with its line, and the rest of the file is read.
"""

from __future__ import annotations

import re

from litbase.formats.vocab import GROUP_COMMA, RIS_TYPES, fold, language_code
from litbase.formats.reading import (
    Problem,
    Records,
    date_text,
    day_number,
    doi_in,
    empty_article,
    group,
    lenient_pmid,
    month_number,
    number_authors,
    pages_and_number,
    parse_year,
    person,
    pmcid_in,
    pmid_in,
    publication_types,
    nothing_read_is_an_error,
    read_each,
)

_LINE = re.compile(r"^([A-Z][A-Z0-9]) {1,2}-(?:[ \t](.*))?$")
_AUTHOR_TAGS = ("AU", "A1")
# Values PubMed-aware exporters put identifiers in, beyond their own tags.
_NOTE_TAGS = ("N1", "M2", "M3", "C2", "UR", "L2", "AN")


def ris_records(text: str, path: str) -> tuple[list[tuple[int, list[list]]], list[Problem],
                                                list[Problem]]:
    """([(line of TY, [[tag, value, line]])], skipped, warnings) in file order."""
    records: list = []
    skipped: list[Problem] = []
    warnings: list[Problem] = []
    current, start, stray = None, None, None
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = line.rstrip()
        match = _LINE.match(line.lstrip("\ufeff"))
        if match is None:
            if current and line.strip():
                _continue(current, line.strip())
            continue  # outside a record: EndNote's headers, blank lines
        tag, value = match.group(1), fold(match.group(2) or "")
        if tag == "TY":
            if current is not None:
                warnings.append(Problem(path, start, f"record has no ER line before the"
                                                     f" record at line {number}; kept"))
                records.append((start, current))
            current, start, stray = [], number, None
        elif current is None:
            # A tag outside any record: one report per run of such lines.
            if stray is None:
                stray = number
                skipped.append(Problem(path, number, f"a RIS record must start with TY, not {tag}"))
            continue
        if tag == "ER":
            records.append((start, current))
            current = None
        else:
            current.append([tag, value, number])
    if current is not None:
        warnings.append(Problem(path, start, "record is not closed with an ER line; kept"))
        records.append((start, current))
    return records, skipped, warnings


def _continue(fields: list[list], text: str) -> None:
    last = fields[-1]
    if last[0] == "KW":
        # A keyword list runs on one keyword a line, as Zotero reads it.
        fields.append(["KW", fold(text), last[2]])
    else:
        last[1] = fold(f"{last[1]} {text}")


def parse_ris(text: str, path: str = "<ris>") -> Records:
    """Articles from RIS text; unreadable records are in ``.skipped``."""
    records, skipped, warnings = ris_records(text, path)
    result = read_each(records, _article, path)
    result.skipped[:0] = skipped
    result.skipped.sort(key=lambda p: p.line or 0)
    result.warnings.extend(warnings)
    result.warnings.sort(key=lambda p: p.line or 0)
    if not result and not result.skipped and text.strip():
        # A Web of Science or other tagged file is not RIS; say so rather than read nothing.
        result.skipped.append(Problem(path, None, "no RIS record (a TY  - line) in this file"))
    return nothing_read_is_an_error(result)


def _name(value: str) -> dict:
    """ "Family, Given[, Suffix]"; without a comma, one name as written (a group).

    Zotero reads a comma-less name as a single field, and litbase writes a
    group's name that way; only PubMed's "Family Initials" ("Fanning E.",
    "Smith JA") is unmistakably a person.
    """
    parts = [p.strip() for p in value.split(",")]
    if len(parts) > 1:
        # PubMed's suffixes may hold commas themselves (", MSN, MS, MPH").
        return person(parts[0], parts[1], ", ".join(parts[2:]) if len(parts) > 2 else None)
    words = value.split()
    if len(words) == 2 and re.fullmatch(r"(?:[A-Z]\.?){1,3}", words[1]):
        return person(words[0], words[1])
    # litbase's writer puts U+201A for the commas inside a group's name (see writers.ris).
    return group(value.strip().replace(GROUP_COMMA, ","))


def _article(fields: list[list], start: int, path: str, warn) -> dict:
    values: dict[str, list[str]] = {}
    for tag, value, _ in fields:
        if value:
            values.setdefault(tag, []).append(value)
    one = lambda *tags: next((values[t][0] for t in tags if values.get(t)), None)  # noqa: E731
    kind = RIS_TYPES.get(one("TY"), "article")
    article = empty_article(kind)
    # AU and A1 are both first authors; their order in the file is the byline.
    article["authors"] = [_name(v) for tag, v, _ in fields if tag in _AUTHOR_TAGS and v]
    title = one("TI", "T1")
    if kind == "chapter":
        article["title"], article["book_title"] = title, one("T2", "BT")
    elif kind == "book":
        article["title"] = article["book_title"] = title or one("BT")
    else:
        article["title"] = title
        journal = one("T2", "JF", "JO")
        abbreviation = one("J2", "JA") or (one("JO") if one("JO") != journal else None)
        # A record that names its journal only by abbreviation still has a journal.
        article["journal"].update(title=journal or abbreviation, iso_abbreviation=abbreviation)
    article["journal"]["issn"] = one("SN")
    article["publisher"] = one("PB")
    _dates(article, one)
    # EndNote puts a journal's issue in M1 ("Number") when it has no IS.
    article["volume"] = one("VL")
    article["issue"] = one("IS", "M1") if kind == "article" else one("IS")
    pages = one("SP")
    if pages and one("EP") and "-" not in pages:
        pages = f"{pages}-{one('EP')}"
    elif kind == "book" and pages and "-" not in pages:
        pages = None  # a book's lone SP is its number of pages, not a page range
    # C7 is an article number only for articles (EndNote's e-book keeps a PMCID there).
    article["pages"], article["article_number"] = pages_and_number(
        pages, one("C7") if kind == "article" else None)
    _identifiers(article, values, warn)
    article["languages"] = [language_code(v) for v in values.get("LA", [])]
    types = [t for v in values.get("M3", []) for t in v.split(";") if not doi_in(t)]
    article["publication_types"] = publication_types(types, kind)
    article["keywords"] = values.get("KW", [])
    article["abstract"] = one("AB", "N2")
    article["source_line"] = start
    return number_authors(article)


def _dates(article: dict, one) -> None:
    # DA is the full date and Y1 its deprecated form: DA wins when both are there.
    written = one("PY", "DA", "Y1")
    article["year"] = parse_year(written)
    # Y1 and DA are "YYYY/MM/DD/other"; PY is the year only.
    date = next((d.split("/") for d in (one("DA"), one("Y1"), one("PY")) if d and parse_year(d)),
                [])
    if article["year"] is None and date:
        article["year"] = parse_year(date[0])
    if len(date) > 1 and (not article["year"] or parse_year(date[0]) == article["year"]):
        article["month"] = month_number(date[1])
        article["day"] = day_number(date[2]) if len(date) > 2 and article["month"] else None
    date_text(article, written)


def _identifiers(article: dict, values: dict[str, list[str]], warn) -> None:
    notes = [v for tag in _NOTE_TAGS for v in values.get(tag, [])]
    article["doi"] = doi_in(" ".join(values.get("DO", []))) or next(
        (d for v in notes if (d := doi_in(v))), None)
    accession = (values.get("AN") or [""])[0]
    # AN is the accession number of the database the record came from: a PMID
    # from PubMed or MEDLINE, but CINAHL's and Embase's are digits too.
    database = " ".join(values.get("DB", []) + values.get("DP", [])).lower()
    from_pubmed = not database or any(n in database for n in ("pubmed", "medline", "nlm", "ncbi"))
    if accession.isdigit() and from_pubmed:
        article["pmid"] = lenient_pmid(accession, warn)
    else:
        article["pmid"] = next((p for v in notes if (p := pmid_in(v))), None)
    article["pmcid"] = next((p for v in notes if (p := pmcid_in(v))), None)
