"""Read BibTeX / biblatex files with bibtexparser 2, decoding LaTeX to Unicode.

bibtexparser splits the file into blocks and reports those it could not parse
(unbalanced braces, a missing comma) with their starting line; each is skipped
and reported, and every other entry is read. Its line numbers are zero-based.
Field values are taken raw and resolved here as BibTeX does: ``@string``
macros (case-insensitive, also inside other strings), ``#`` concatenation,
the month macros; ``crossref`` fills fields the entry lacks from its parent.
``@preamble`` and ``@comment`` hold no record.

What litbase's writer puts where a format cannot say it plainly is read back (see
writers.bibtex): a braced group opening the number field after an integer volume
(``volume = {20}``, ``number = {{Suppl 1}, 3}``) is the rest of the volume PubMed wrote
("20 Suppl 1", issue "3"); U+201A inside a part of a person's name, or a keyword, is
the comma the writer could not write there. The macros of files litbase wrote before
(``{\\litbaseU{FB01}fi}``, ``{\\litbaseVolume{20 Suppl 1}}``) are read too (vocab).
"""

from __future__ import annotations

import re

import bibtexparser
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, String
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)

from litbase.formats.vocab import (
    BIBTEX_TYPES,
    BIBTEX_VOLUME_MACRO,
    LOW_COMMA,
    UNTITLED,
    language_code,
)
from litbase.formats.readers.latex import closing, decode, decode_terms, verbatim
from litbase.formats.reading import (
    Problem,
    Records,
    as_pmcid,
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
    pmcid_in,
    pmid_in,
    publication_types,
    nothing_read_is_an_error,
    read_each,
)



# A bare word (a macro, a number); a stray character of a broken value is taken as it is.
_WORD = re.compile(r"[^\s#{}\"]+|\S")
_NEXT_FIELD = re.compile(r"\s*([\w:.+-]+)\s*=\s*(.*)$", re.S)


def _fields(key: str, raw: str, strings: dict[str, str]) -> list[tuple[str, str]]:
    """(name, value) of a field, and of those a missing comma ran into it.

    ``title = {A}`` followed on the next line by ``file = {...}`` without the
    comma reaches here as one raw value; Zotero reads both fields, so do we.
    """
    found = []
    while True:
        value, rest = _resolve(raw, strings)
        found.append((key.lower(), value))
        following = _NEXT_FIELD.match(rest)
        if not following:
            return found
        key, raw = following.group(1), following.group(2)


def _resolve(raw: str, strings: dict[str, str]) -> tuple[str, str]:
    """A raw field value: {braced} or "quoted" pieces, numbers and macros joined by #.

    Returns the value and whatever follows it without a # (normally nothing).
    """
    pieces, position, raw = [], 0, raw.strip()
    joined = True  # the next piece belongs to the value (start, or after #)
    while position < len(raw):
        char = raw[position]
        if char == "#":
            joined = True
            position += 1
            continue
        if char in " \t\r\n":
            position += 1
            continue
        if not joined:
            return "".join(pieces), raw[position:]
        joined = False
        if char in "{\"":
            end = closing(raw, position)
            pieces.append(raw[position + 1:end])
            position = end + 1
        else:
            match = _WORD.match(raw, position)
            word = match.group(0)
            # An undefined macro is kept as its name: a month (jan) or a bare year (1942).
            pieces.append(strings.get(word.lower(), word))
            position = match.end()
    return "".join(pieces), ""




def parse_bibtex(text: str, path: str = "<bibtex>") -> Records:
    """Articles from BibTeX text; unreadable entries are in ``.skipped``."""
    library = bibtexparser.parse_string(text.lstrip("\ufeff"), parse_stack=[])
    # A key used twice is a clash of names, not a broken record: bibtexparser sets
    # the second block aside, and it is read like the others, in file order (a
    # later @string redefines the macro, as in BibTeX).
    duplicates = [b.ignore_error_block for b in library.failed_blocks
                  if isinstance(b, DuplicateBlockKeyBlock)]
    failed = [b for b in library.failed_blocks if not isinstance(b, DuplicateBlockKeyBlock)]
    strings: dict[str, str] = {}
    for string in sorted(library.strings + [d for d in duplicates if isinstance(d, String)],
                         key=lambda s: s.start_line):
        strings[string.key.lower()] = _resolve(string.value, strings)[0]
    read = sorted(library.entries + [d for d in duplicates if isinstance(d, Entry)],
                  key=lambda e: e.start_line)
    own = [(entry, _own_fields(entry, strings)) for entry in read]
    by_key: dict[str, dict] = {}
    for entry, fields in own:
        by_key.setdefault(entry.key.lower(), fields)
    items = [(entry.start_line + 1, (entry, _inherit(fields, by_key))) for entry, fields in own]
    result = read_each(items, _article, path)
    for block in failed:
        error = getattr(block, "error", None)
        reason = f" ({error})" if error and str(error) else ""
        result.skipped.append(Problem(path, block.start_line + 1,
                                      f"cannot read this BibTeX entry{reason}"))
    result.skipped.sort(key=lambda p: p.line or 0)
    if not result and not result.skipped and re.search(r"@\s*\w", text) is None and text.strip():
        result.skipped.append(Problem(path, None, "no BibTeX entry (@type{key, ...}) in this file"))
    return nothing_read_is_an_error(result)


def _own_fields(entry, strings: dict[str, str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for field in entry.fields:
        for name, value in _fields(field.key, field.value, strings):
            fields.setdefault(name, value)
    return fields


def _inherit(fields: dict, by_key: dict[str, dict]) -> dict:
    """The entry's fields, completed from its crossref parent (a proceedings, a book)."""
    parent = by_key.get((fields.get("crossref") or "").strip().lower())
    if not parent or parent is fields:
        return fields
    fields = dict(fields)
    for name, value in parent.items():
        fields.setdefault(name, value)
    if parent.get("title"):
        fields.setdefault("booktitle", parent["title"])
    return fields


def _name(raw: str) -> dict:
    parts = parse_single_name_into_parts(raw.strip())
    if not parts.first and not parts.von and not parts.jr and len(parts.last) == 1 \
            and parts.last[0].startswith("{") and parts.last[0].endswith("}"):
        # {COVID Study Group}: braces make a whole group one name.
        return group(decode(parts.last[0][1:-1]))
    last, first, suffix = (_name_text(" ".join(p)) for p in (
        parts.von + parts.last, parts.first, parts.jr))
    return person(last, first, suffix)


def _name_text(raw: str) -> str | None:
    text = decode(raw)
    return text.replace(LOW_COMMA, ",") if text else text


def _article(item, line: int, path: str, warn) -> dict:
    entry, fields = item
    kind = BIBTEX_TYPES.get(entry.entry_type.lower(), "article")
    article = empty_article(kind)
    article["authors"] = [_name(n) for n in split_multiple_persons_names(fields.get("author", ""))
                          if n.strip()]
    title = decode(fields.get("title"))
    if entry.entry_type.lower() == "misc" and title in UNTITLED.values():
        title = None  # litbase's writer says so of a work whose title nobody knows
    if kind == "chapter":
        article["title"], article["book_title"] = title, decode(fields.get("booktitle"))
    elif kind == "book":
        article["title"] = article["book_title"] = title
    else:
        article["title"] = title
    # MathSciNet writes the abbreviation as journal and the full title as fjournal.
    journal = decode(fields.get("journal") or fields.get("journaltitle"))
    full = decode(fields.get("fjournal"))
    article["journal"]["title"] = full or journal
    article["journal"]["iso_abbreviation"] = decode(fields.get("shortjournal")) or (
        journal if full and journal != full else None)
    article["journal"]["issn"] = verbatim(fields.get("issn"))
    article["publisher"] = decode(fields.get("publisher"))
    date = (verbatim(fields.get("date")) or "").split("-")
    written = verbatim(fields.get("year")) or verbatim(fields.get("date"))
    article["year"] = parse_year(written)
    article["month"] = month_number(date[1] if len(date) > 1 else verbatim(fields.get("month")))
    article["day"] = day_number(date[2]) if len(date) > 2 else day_number(fields.get("day"))
    date_text(article, written)
    article["volume"], article["issue"] = _volume_and_issue(
        fields.get("volume"), fields.get("number") or fields.get("issue"))
    pages = verbatim(fields.get("pages"))
    pages = pages.replace("--", "-") if pages else None
    article["pages"], article["article_number"] = pages_and_number(
        pages, verbatim(fields.get("eid")))
    _identifiers(article, fields, warn)
    languages = decode(fields.get("language") or fields.get("langid")) or ""
    article["languages"] = [language_code(v) for v in languages.split(" and ") if v.strip()]
    article["publication_types"] = publication_types([], kind)
    # litbase's BibTeX writer turns the comma inside a MeSH term ("Adaptation,
    # Psychological") into U+201A so that Zotero and biblatex, which split keywords
    # on commas, keep the term whole; reading it back restores the comma.
    # litbase writes a ";" inside a term braced, {;}: it does not separate terms.
    held = (fields.get("keywords") or "").replace("{;}", "\ue0ff") or None
    article["keywords"] = [term.replace(LOW_COMMA, ",").replace("\ue0ff", ";")
                           for term in decode_terms(held)]
    article["abstract"] = decode(fields.get("abstract"), lines=True)
    article["source_line"] = line
    return number_authors(article)


def _volume_and_issue(volume: str | None, number: str | None) -> tuple[str | None, str | None]:
    r"""The volume and the issue. ``volume = {20}``, ``number = {{Suppl 1}, 3}`` is litbase's
    writer's: volume "20 Suppl 1", issue "3" (a group of digits alone is only braced)."""
    marker = _VOLUME_MACRO.search(number or "")
    if not marker:
        return _volume_rest(volume, number) or (decode(volume), decode(number))
    return _old_volume_macro(volume, number, marker)


def _volume_rest(volume: str | None, number: str | None) -> tuple[str | None, str | None] | None:
    raw = (number or "").strip()
    lead = verbatim(volume)
    if not raw.startswith("{") or (lead and not lead.isdigit()):
        return None
    end = closing(raw, 0)
    rest, after = decode(raw[1:end]), raw[end + 1:].strip()
    if not rest or rest.isdigit() or (after and not after.startswith(",")):
        return None
    return (f"{lead} {rest}" if lead else rest), decode(after.removeprefix(","))


def _old_volume_macro(volume: str | None, number: str, marker: re.Match) -> tuple:
    r"""{\litbaseVolume{20 Suppl 1}}Suppl 1, 3: the volume as PubMed wrote it, its printed
    rest, then the issue (litbase's writer until 2026-12)."""
    argument = marker.end() - 1
    end = closing(number, argument)
    whole = decode(number[argument + 1:end]) or ""
    printed = decode(number[:marker.start()] + number[closing(number, marker.start()) + 1:]) or ""
    lead = decode(volume) or ""
    rest = whole[len(lead):].strip() if whole.startswith(lead) else whole
    after = printed[len(rest):] if printed.startswith(rest) else printed
    return whole or decode(volume), after.removeprefix(",").strip() or None


_VOLUME_MACRO = re.compile(r"\{\\" + BIBTEX_VOLUME_MACRO + r"\s*\{")


def _identifiers(article: dict, fields: dict, warn) -> None:
    """DOI, PMID, PMCID from their own fields, biblatex's eprint, else the note or URL."""
    free = [verbatim(fields.get(f)) or "" for f in ("note", "annote", "annotation", "url",
                                                     "addendum", "howpublished")]
    eprint_type = (verbatim(fields.get("eprinttype")) or "").lower()
    article["doi"] = (doi_in(verbatim(fields.get("doi"))) or verbatim(fields.get("doi"))
                      or next((d for v in free if (d := doi_in(v))), None))
    pmid = verbatim(fields.get("pmid"))
    if not pmid and eprint_type == "pubmed":
        pmid = verbatim(fields.get("eprint"))
    article["pmid"] = (lenient_pmid(pmid, warn) if pmid
                       else next((p for v in free if (p := pmid_in(v))), None))
    pmcid = verbatim(fields.get("pmcid"))
    if not pmcid and eprint_type == "pmc":
        pmcid = verbatim(fields.get("eprint"))
    article["pmcid"] = as_pmcid(pmcid) or next((p for v in free if (p := pmcid_in(v))), None)
