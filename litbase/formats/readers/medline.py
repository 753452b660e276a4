"""Read MEDLINE / .nbib files (PubMed's "Send to: Citation manager" output).

Bio.Medline reads each record's fields. It keeps one value per tag for tags
it does not know as repeatable (two LID lines become one string) and loses
the order between FAU, CN and AD lines, which is what ties an affiliation
to its author and a group to its place on the byline; those come from the
tag lines in file order, which this module checks first (so a malformed line
is reported with its number).
"""

from __future__ import annotations

import re

from Bio import Medline

from litbase.formats.vocab import MONTHS
from litbase.formats.reading import (
    BibliographyError,
    day_number,
    empty_article,
    group,
    number_authors,
    parse_pmid,
    parse_year,
    person,
    publication_types,
)

_TAG_LINE = re.compile(r"^([A-Z][A-Z0-9]{0,3}) *- ?(.*)$")
_CONTINUATION = "      "


def medline_blocks(text: str, path: str) -> list[tuple[int, list[str], list[tuple]]]:
    """(first line number, raw lines, [(tag, value, line)]) per record."""
    blocks, lines, fields, start = [], [], [], None
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            if lines:
                blocks.append((start, lines, fields))
            lines, fields, start = [], [], None
            continue
        if line.startswith(_CONTINUATION) and fields:
            tag, value, first = fields[-1]
            fields[-1] = (tag, f"{value} {line.strip()}", first)
        elif match := _TAG_LINE.match(line):
            fields.append((match.group(1), match.group(2).strip(), number))
            start = start or number
        else:
            raise BibliographyError(path, number, f"not a MEDLINE line (TAG - value): {line[:60]!r}")
        lines.append(line)
    if lines:
        blocks.append((start, lines, fields))
    return blocks


def parse_medline(text: str, path: str = "<medline>") -> list[dict]:
    """Articles from MEDLINE-format text."""
    return [_article(start, lines, fields, path)
            for start, lines, fields in medline_blocks(text, path)]


def _mesh(line: str) -> dict:
    descriptor, *qualifiers = line.split("/")
    return {"descriptor_ui": None, "descriptor": descriptor.lstrip("*"),
            "major_topic": descriptor.startswith("*"),
            # PubMed marks a major qualifier "*psychology"; records.py "psychology*".
            "qualifiers": [q[1:] + "*" if q.startswith("*") else q for q in qualifiers]}


def _date(display: str | None, path: str, line: int) -> tuple:
    if not display:
        return None, None, None
    parts = display.split()
    month = parts[1][:3].lower() if len(parts) > 1 else ""
    return (parse_year(parts[0], path, line),
            MONTHS.index(month) + 1 if month in MONTHS else None,
            day_number(parts[2]) if len(parts) > 2 else None)


def _authors(fields: list[tuple]) -> list[dict]:
    authors = []
    for tag, value, _ in fields:
        if tag == "FAU":
            last, _, given = value.partition(", ")
            authors.append(person(last, given))
        elif tag == "CN":
            authors.append(group(value))
        elif tag == "AU" and authors and not authors[-1].get("collective_name"):
            # AU follows its FAU: it carries PubMed's own initials (and suffix).
            short = value.split()
            if len(short) > 1 and short[-1] in ("Jr", "Sr", "2nd", "3rd", "II", "III", "IV"):
                authors[-1]["suffix"] = short[-1]
                authors[-1]["last_name"] = authors[-1]["last_name"].removesuffix(
                    " " + short[-1])
                authors[-1]["fore_name"] = (authors[-1]["fore_name"] or "").removesuffix(
                    " " + short[-1]) or None
                short = short[:-1]
            if len(short) > 1:
                authors[-1]["initials"] = short[-1]
        elif tag == "AUID" and authors and value.startswith("ORCID:"):
            authors[-1]["orcid"] = value.removeprefix("ORCID:").strip()
        elif tag == "AD" and authors:
            authors[-1]["affiliations"].append(value)
    return authors


def _article(start: int, lines: list[str], fields: list[tuple], path: str) -> dict:
    record = Medline.read(lines)
    values: dict[str, list[str]] = {}
    for tag, value, _ in fields:
        values.setdefault(tag, []).append(value)
    one = lambda tag: (values.get(tag) or [None])[0]  # noqa: E731
    kind = "article"
    if one("BTI"):
        kind = "chapter" if one("TI") and one("TI") != one("BTI") else "book"
    article = empty_article(kind)
    article["pmid"] = parse_pmid(record.get("PMID"), path, start)
    article["title"] = record.get("TI") or one("BTI")
    article["book_title"] = one("BTI")
    article["publisher"] = one("PB")
    article["abstract"] = record.get("AB")
    article["copyright"] = record.get("CI")
    issn = one("IS")
    if issn:
        number, _, issn_type = issn.partition(" (")
        article["journal"]["issn"] = number.strip()
        article["journal"]["issn_type"] = issn_type.rstrip(")") or None
    article["journal"]["title"] = record.get("JT")
    article["journal"]["iso_abbreviation"] = record.get("TA")
    article["pub_date"] = record.get("DP")
    article["year"], article["month"], article["day"] = _date(record.get("DP"), path, start)
    article["volume"], article["issue"] = record.get("VI"), record.get("IP")
    pages = record.get("PG")
    # PubMed prints an electronic article number (e10728) where pages would be.
    if pages and re.fullmatch(r"[A-Za-z]+\d+", pages):
        article["article_number"] = pages
    else:
        article["pages"] = pages
    for value in values.get("LID", []) + values.get("AID", []):
        identifier, _, kind_mark = value.rpartition(" [")
        if kind_mark == "doi]" and not article["doi"]:
            article["doi"] = identifier
        elif kind_mark == "pii]" and not article["pii"]:
            article["pii"] = identifier
    article["pmcid"] = record.get("PMC")
    article["languages"] = values.get("LA", [])
    article["publication_types"] = publication_types(values.get("PT", []), kind)
    article["mesh_headings"] = [_mesh(v) for v in values.get("MH", [])]
    article["keywords"] = values.get("OT", [])
    article["medline_status"] = record.get("STAT")
    article["publication_status"] = record.get("PST")
    article["authors"] = _authors(fields)
    article["source_line"] = start
    return number_authors(article)
