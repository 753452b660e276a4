"""Parse the text of a PubMed article page (as copied from a browser): pure, no I/O.

The page's layout, top to bottom: the title; the byline; "Author Information"
with one numbered line per author ("1. Aarti Jain: Department of ... ORCID");
"Abstract" with "Label: text" lines; "References" with numbered lines such as
"1. Teach Learn Med. 2016 Jul-Sep;28(3):293-302 [PMID: 27092397]"; then page
furniture (Word Cloud, Similar Articles, Cited By) that is not the article's.
The page never states its own PMID: the caller supplies it.
"""

from __future__ import annotations

import re

SECTION_HEADINGS = ("Author Information", "Abstract", "References", "Keywords", "Word Cloud",
                    "Similar Articles", "Cited By", "Grants", "MeSH terms", "Full text links")
MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}

_NUMBERED = re.compile(r"^\s*(\d+)\.\s+(.*\S)\s*$")
# Identifiers PubMed prints in brackets after a reference: [PMID: 1] [DOI: 10.x/y] [PMC free article: PMC1]
_TAG = re.compile(r"\[\s*(PMID|DOI|PMCID|PMC free article)\s*:\s*([^\]]+?)\s*\]", re.I)
# "Journal Abbrev. 2016 Jul-Sep;28(3):293-302" -- NLM abbreviations carry no periods,
# so the first ". " followed by a year ends the journal.
_CITATION = re.compile(
    r"^(?P<journal>.+?)\.\s+(?P<date>\d{4}\b[^;:]*?)\s*"
    r"(?:;\s*(?P<volume>[^(:;]*?)\s*(?:\((?P<issue>[^)]*)\))?)?"
    r"(?::\s*(?P<pages>[^.;\s]+(?:\s*-\s*[^.;\s]+)?))?\s*\.?\s*$"
)


class PageError(ValueError):
    """The text is not a PubMed page this parser understands; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def parse_date(printed: str) -> dict:
    """Year, month and day of a printed date: "2016 Jul-Sep" -> 2016, 7, None."""
    year = re.match(r"(\d{4})", printed)
    words = re.findall(r"[A-Za-z]{3,}", printed)
    month = MONTHS.get(words[0][:3].lower()) if words else None
    # A day only when one month is named and a number follows it ("2005 Jun 22", not "Jul-Sep").
    day = re.fullmatch(r"\d{4}\s+[A-Za-z]+\s+(\d{1,2})", printed.strip())
    return {
        "year": int(year.group(1)) if year else None,
        "month": month,
        "day": int(day.group(1)) if day and month else None,
    }


def parse_reference_line(position: int, text: str) -> dict:
    """One numbered reference line: its identifiers and, when it reads as one, the citation parts."""
    tags = {name.lower(): value for name, value in _TAG.findall(text)}
    citation = _TAG.sub("", text).strip()
    pmcid = tags.get("pmcid") or tags.get("pmc free article")
    pmid = tags.get("pmid")
    ref = {
        "position": position,
        "citation": citation,
        "pmid": int(pmid) if pmid and pmid.isdigit() else None,
        "doi": tags.get("doi"),
        "pmcid": pmcid.upper() if pmcid else None,
        "journal_iso": None, "year": None, "month": None, "day": None, "pub_date": None,
        "volume": None, "issue": None, "pages": None,
    }
    found = _CITATION.match(citation)
    if found:
        date = found.group("date").strip()
        ref.update(parse_date(date))
        ref.update({
            "journal_iso": found.group("journal").strip(),
            "pub_date": date,
            "volume": (found.group("volume") or "").strip() or None,
            "issue": (found.group("issue") or "").strip() or None,
            "pages": re.sub(r"\s+", "", found.group("pages") or "") or None,
        })
    return ref


def _sections(lines: list[str]) -> dict[str, list[tuple[int, str]]]:
    """Lines by section heading; lines before the first heading go under ""."""
    sections: dict[str, list[tuple[int, str]]] = {"": []}
    current = ""
    for number, line in enumerate(lines, start=1):
        heading = line.strip()
        if heading in SECTION_HEADINGS:
            current = heading
            sections.setdefault(current, [])
        elif heading:
            sections[current].append((number, line))
    return sections


def _author(name: str, position: int, affiliation: str | None) -> dict:
    # The page prints given names first. The surname is the last word with the
    # lower-case particles before it ("Maria van der Berg" -> "van der Berg");
    # a two-word surname without particles is misread -- efetch corrects it later.
    parts = name.split()
    start = len(parts) - 1
    while start > 1 and parts[start - 1][:1].islower():
        start -= 1
    last = " ".join(parts[start:]) or name
    fore = " ".join(parts[:start]) or None
    initials = "".join(p[0].upper() for p in re.split(r"[\s-]+", fore or "") if p) or None
    return {"position": position, "last_name": last, "fore_name": fore, "initials": initials,
            "affiliations": [affiliation] if affiliation else []}


def parse_page(text: str) -> dict:
    """The page's article (no PMID) with its numbered reference list.

    Returns {"title", "authors", "abstract", "abstract_sections", "references"};
    each reference is a ``parse_reference_line`` dict.
    """
    lines = text.replace("\r\n", "\n").lstrip("\ufeff").split("\n")
    sections = _sections(lines)
    head = [line.strip() for _, line in sections[""]]
    if not head:
        raise PageError("no title: the page text is empty")
    if "References" not in sections:
        raise PageError("no \"References\" heading: this does not read as a PubMed page's text")
    affiliations = {}
    for _, line in sections.get("Author Information", []):
        found = _NUMBERED.match(line)
        if found and ":" in found.group(2):
            name, affiliation = found.group(2).split(":", 1)
            # "ORCID" at the end is the text of a link whose identifier the page text lacks.
            affiliation = re.sub(r"\s*\bORCID\s*$", "", affiliation).strip()
            affiliations[name.strip()] = affiliation or None
    byline = head[1] if len(head) > 1 else ""
    names = [n.strip() for n in byline.split(",") if n.strip()]
    authors = [_author(n, i, affiliations.get(n)) for i, n in enumerate(names, start=1)]
    abstract_sections = []
    for _, line in sections.get("Abstract", []):
        label = re.match(r"^\s*([A-Z][A-Za-z /&-]{1,40}):\s+(.*\S)", line)
        if label:
            abstract_sections.append({"label": label.group(1), "nlm_category": None,
                                      "text": label.group(2)})
        else:
            abstract_sections.append({"label": None, "nlm_category": None, "text": line.strip()})
    references = []
    for number, line in sections["References"]:
        found = _NUMBERED.match(line)
        if not found:
            raise PageError(f"reference line does not start with its number: {line.strip()!r}", number)
        position = int(found.group(1))
        if position != len(references) + 1:
            raise PageError(f"reference {position} follows reference {len(references)}", number)
        references.append(parse_reference_line(position, found.group(2)))
    if not references:
        raise PageError("the \"References\" section lists no numbered reference")
    return {
        "title": head[0],
        "authors": authors,
        "abstract": "\n".join(f"{s['label']}: {s['text']}" if s["label"] else s["text"]
                              for s in abstract_sections) or None,
        "abstract_sections": abstract_sections,
        "references": references,
    }
