"""Read MEDLINE / .nbib files (PubMed's "Send to: Citation manager" output, ERIC's too).

A record is a run of tag lines (``TAG - value``, the tag padded to four
characters) ended by a blank line; PubMed wraps a long value onto lines
indented by six spaces, which are joined back with one space. Every tag is
collected as a list in file order and each stored field takes one string
from it, so a repeated tag (two ``CI`` lines, two ``TI``) never leaves a list
where the store expects text. The byline comes from the FAU, AU and CN lines
in order: PubMed pairs each FAU (full name) with an AU (initials); older
records and ERIC have AU alone; ``AU - et al.`` stands for names not given.
"""

from __future__ import annotations

import re

from litbase.formats.vocab import MONTHS
from litbase.formats.reading import (
    BibliographyError,
    Problem,
    Records,
    date_text,
    day_number,
    doi_in,
    empty_article,
    group,
    lenient_pmid,
    number_authors,
    parse_year,
    person,
    publication_types,
    nothing_read_is_an_error,
    read_each,
)

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]{0,3}) *- ?(.*)$")
_SUFFIXES = ("Jr", "Sr", "2nd", "3rd", "II", "III", "IV")
_ET_AL = re.compile(r"et\.? al\.?", re.I)
# Free text a record may hold more than once; its parts are joined.
_TEXT_TAGS = ("TI", "AB", "CI", "BTI")


def medline_blocks(text: str, path: str) -> list[tuple[int, list[list]]]:
    """(first line number, [[tag, value, line]]) per record, in file order.

    A line that is neither a tag line nor indented is kept as ("", line) so
    that its record is skipped with that line's number, not the whole file.
    """
    blocks, fields, start = [], [], None
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = line.rstrip(" \t\r")  # only ASCII: a no-break or thin space at an end is text
        if not line.strip():
            if fields:
                blocks.append((start, fields))
            fields, start = [], None
            continue
        if line[0] in " \t" and fields:
            fields[-1][1] = (fields[-1][1] + " " + line.strip(" \t")).strip(" ")
            continue
        match = _TAG_LINE.match(line)
        if match and match.group(1) == "PMID" and fields:
            # Every PubMed record starts with PMID: one without the blank line before it
            # is still a record of its own.
            blocks.append((start, fields))
            fields, start = [], None
        start = start or number
        if match:
            fields.append([match.group(1), match.group(2).strip(" \t"), number])
        else:
            fields.append(["", line, number])
    if fields:
        blocks.append((start, fields))
    return blocks


def parse_medline(text: str, path: str = "<medline>") -> Records:
    """Articles from MEDLINE-format text; unreadable records are in ``.skipped``."""
    result = read_each(medline_blocks(text, path), _article, path)
    if not result and not result.skipped and text.strip():
        result.skipped.append(Problem(path, None, "no MEDLINE record (TAG - value lines) in this file"))
    return nothing_read_is_an_error(result)


def _mesh(line: str) -> dict:
    descriptor, *qualifiers = line.split("/")
    return {"descriptor_ui": None, "descriptor": descriptor.lstrip("*"),
            "major_topic": descriptor.startswith("*"),
            # PubMed marks a major qualifier "*psychology"; records.py "psychology*".
            "qualifiers": [q[1:] + "*" if q.startswith("*") else q for q in qualifiers]}


def _date(display: str | None) -> tuple:
    """PubMed's "1993 Oct 8", "2015 May", "2019 Spring"; ERIC's "2019", "Apr 2019"."""
    if not display:
        return None, None, None
    words = display.split()
    month_at = next((i for i, w in enumerate(words) if w[:3].lower() in MONTHS), None)
    if month_at is None:
        return parse_year(display), None, None
    # A season or month range ("2021 Apr-Jun 01") names no day, whatever follows it.
    ranged = "-" in words[month_at]
    day = words[month_at + 1] if month_at + 1 < len(words) and not ranged else None
    return (parse_year(display), MONTHS.index(words[month_at][:3].lower()) + 1,
            day_number(day) if day and not parse_year(day) else None)


def _short_name(value: str) -> dict:
    """An AU line with no FAU: PubMed's "Hiles ID" / "Smith JA Jr", or ERIC's "Test, David W."."""
    if "," in value:
        last, _, given = value.partition(",")
        return person(last.strip(), given.strip() or None)
    words = value.split()
    suffix = words.pop() if len(words) > 2 and words[-1] in _SUFFIXES else None
    if len(words) > 1 and re.fullmatch(r"[A-Z]{1,4}", words[-1]):
        initials = words.pop()
        author = person(" ".join(words), " ".join(initials), suffix)
        author["initials"] = initials
        return author
    return person(" ".join(words), None, suffix)


def _authors(fields: list[list]) -> list[dict]:
    authors: list[dict] = []
    awaiting_au = False  # the last author came from a FAU line whose AU has not come yet
    for tag, value, _ in fields:
        if tag == "FAU":
            last, _, given = value.partition(",")
            authors.append(person(last.strip(), given.strip() or None))
            awaiting_au = True
        elif tag == "CN":
            authors.append(group(value))
            awaiting_au = False
        elif tag == "AU" and _ET_AL.fullmatch(value.strip()):
            awaiting_au = False  # "et al.": names the record does not give
        elif tag == "AU" and awaiting_au:
            _add_initials(authors[-1], value)
            awaiting_au = False
        elif tag == "AU" and value.strip():
            authors.append(_short_name(value))
        elif tag == "AUID" and authors and value.startswith("ORCID:"):
            authors[-1]["orcid"] = value.removeprefix("ORCID:").strip()
        elif tag == "AD" and authors:
            authors[-1]["affiliations"].append(value)
    return authors


def _add_initials(author: dict, value: str) -> None:
    """AU follows its FAU: it carries PubMed's own initials (and suffix).

    PubMed writes "Waring, George O 4th" / "Waring GO 4th": the words both lines
    end with (short of the initials) are the suffix, whatever it is ("4th",
    "PsyD", ", MSN, MS"); what AU has after the last name and before the suffix
    is the initials, none at all for a name PubMed gives no initials ("Wu, De" /
    "Wu"); "Galynker, Igor I" / "Galynker II" has initials II and no suffix.
    """
    short, surname = value.split(), (author["last_name"] or "").split()
    if not surname or short[:len(surname)] != surname:
        _add_initials_unpaired(author, short)
        return
    rest, given = short[len(surname):], (author["fore_name"] or "").split()
    shared = 0
    while (shared < min(len(rest) - 1, len(given) - 1)
           and given[-shared - 1:] == rest[-shared - 1:]):
        shared += 1
    if shared:
        author["suffix"] = " ".join(rest[-shared:])
        author["fore_name"] = " ".join(given[:-shared])
        rest = rest[:-shared]
    author["initials"] = "".join(rest) or None


def _add_initials_unpaired(author: dict, short: list[str]) -> None:
    """An AU whose last name is not its FAU's (another tool's file): "Smith JA Jr"."""
    if len(short) > 1 and short[-1] in _SUFFIXES:
        author["suffix"] = short[-1]
        author["last_name"] = (author["last_name"] or "").removesuffix(" " + short[-1]) or None
        author["fore_name"] = (author["fore_name"] or "").removesuffix(" " + short[-1]) or None
        short = short[:-1]
    if len(short) > 1:
        author["initials"] = short[-1]


def _article(fields: list[list], start: int, path: str, warn) -> dict:
    for tag, value, number in fields:
        if not tag:
            raise BibliographyError(path, number, f"not a MEDLINE line (TAG - value): {value[:60]!r}")
    values: dict[str, list[str]] = {}
    for tag, value, _ in fields:
        if value:
            values.setdefault(tag, []).append(value)

    def one(tag: str) -> str | None:
        found = values.get(tag) or [None]
        return " ".join(found) if tag in _TEXT_TAGS and found[0] else found[0]

    kind = "article"
    if one("BTI"):
        kind = "chapter" if one("TI") and one("TI") != one("BTI") else "book"
    article = empty_article(kind)
    article["pmid"] = lenient_pmid(one("PMID"), warn)
    article["title"] = one("TI") or one("BTI")
    article["book_title"] = one("BTI")
    article["publisher"] = one("PB")
    article["abstract"] = one("AB")
    article["copyright"] = one("CI")
    issn = one("IS")
    if issn:
        number, _, issn_type = issn.partition(" (")
        article["journal"]["issn"] = number.strip()
        article["journal"]["issn_type"] = issn_type.rstrip(")") or None
    article["journal"]["title"] = one("JT")
    article["journal"]["iso_abbreviation"] = one("TA")
    article["pub_date"] = one("DP")
    article["year"], article["month"], article["day"] = _date(one("DP"))
    date_text(article, one("DP"))
    article["volume"], article["issue"] = one("VI"), one("IP")
    _identifiers(article, values)
    # PubMed prints the e-locator in PG only where there are no pages, and always as a
    # bare LID ("LID - e408"): a PG equal to that LID is the article number, any other
    # PG is pages, even one shaped like an e-locator ("e408" printed as a page).
    pages = one("PG")
    article["pages"] = pages if pages != article["article_number"] else None
    article["languages"] = values.get("LA", [])
    article["publication_types"] = publication_types(values.get("PT", []), kind)
    article["mesh_headings"] = [_mesh(v) for v in values.get("MH", [])]
    article["keywords"] = values.get("OT", [])
    article["medline_status"] = one("STAT")
    article["publication_status"] = one("PST")
    article["authors"] = _authors(fields)
    article["source_line"] = start
    return number_authors(article)


def _identifiers(article: dict, values: dict[str, list[str]]) -> None:
    """LID and AID carry "10.1/x [doi]", "S0140-6736(20)30183-5 [pii]", "PMC123 [pmc]"."""
    ids = values.get("LID", []) + values.get("AID", [])
    for value in ids:
        if not value.endswith("]"):
            # A bare LID is PubMed's electronic article number; ERIC's is its record's URL.
            if "://" not in value and value in values.get("LID", []):
                article["article_number"] = article["article_number"] or value.strip()
            continue
        identifier, _, mark = value.rpartition(" [")
        if mark == "doi]" and not article["doi"]:
            article["doi"] = identifier.strip()
        elif mark == "pii]" and not article["pii"]:
            article["pii"] = identifier.strip()
        elif mark == "pmc]" and not article["pmcid"]:
            article["pmcid"] = identifier.strip()
    article["doi"] = article["doi"] or next((d for v in ids if (d := doi_in(v))), None)
    pmc = (values.get("PMC") or [None])[0]
    article["pmcid"] = pmc or article["pmcid"]
