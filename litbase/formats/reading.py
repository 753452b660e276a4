"""What every bibliography reader shares: the error it raises and small field parsers.

Readers (``parse_medline``, ``parse_ris``, ``parse_bibtex``, ``parse_csljson``)
take the text of a file and its name, do no I/O, and return ``Records``: a
list of ``records.Article`` dicts in file order that also says which records
it skipped and which values it left out, each with its line and why. One odd
record in a library of thousands must not cost the others, and nothing may
be dropped without a word. Each record carries ``source_line``, where it
began, so a record kept without a PMID can say where it came from. A reader
raises ``BibliographyError`` only when the file as a whole cannot be read:
a JSON syntax error, which leaves no way to tell where the next item starts,
or a file none of whose records could be read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from litbase.model.errors import BibliographyError
from litbase.formats.vocab import DEFAULT_PUBLICATION_TYPE, MONTHS


@dataclass(frozen=True)
class Problem:
    """A record skipped, or a value left out of a kept record: where and why."""

    path: str
    line: int | None
    why: str

    def __str__(self) -> str:
        where = f"{self.path}, line {self.line}" if self.line else self.path
        return f"{where}: {self.why}"


class Records(list):
    """The records a reader kept (it is the list), plus ``skipped`` and ``warnings``.

    ``skipped``: records that were not read at all. ``warnings``: values left
    out of records that were kept (a PMID that is not a number). A list
    subclass so that callers that only want the records need not change.
    """

    def __init__(self, records: Iterable[dict] = (), skipped: Iterable[Problem] = (),
                 warnings: Iterable[Problem] = ()):
        super().__init__(records)
        self.skipped: list[Problem] = list(skipped)
        self.warnings: list[Problem] = list(warnings)


def read_each(items: Iterable, build: Callable, path: str) -> Records:
    """Build a record from each (line, item); a record that fails is skipped, not fatal.

    ``build(item, line, path, warn)`` returns the article (or None for a block
    that holds no record); ``warn(why)`` notes a value it left out. Any
    exception skips that record only: an unforeseen shape in one record of a
    reference manager's export must not cost the others, and the reason is
    reported with its line rather than hidden.
    """
    result = Records()
    for line, item in items:
        notes: list[str] = []
        try:
            article = build(item, line, path, notes.append)
        except BibliographyError as error:
            result.skipped.append(Problem(path, error.line or line, error.message))
            continue
        except Exception as error:  # noqa: BLE001 - see the docstring
            result.skipped.append(Problem(path, line, f"cannot read this record ({error!r})"))
            continue
        if article is not None:
            result.append(article)
            result.warnings.extend(Problem(path, line, why) for why in notes)
    return result


def nothing_read_is_an_error(result: Records) -> Records:
    """A file none of whose records could be read is refused, naming its first problem.

    Storing nothing and reporting success would hide a file that is not what
    its name says (a Web of Science export named .ris) or is broken throughout.
    """
    if not result and result.skipped:
        first = result.skipped[0]
        more = len(result.skipped) - 1
        raise BibliographyError(first.path, first.line,
                                first.why + (f" ({more} more skipped)" if more else ""))
    return result


def empty_article(kind: str = "article") -> dict:
    """The Article skeleton readers fill; kind is article | chapter | book."""
    return {
        "record_type": "article" if kind == "article" else "book",
        "pmid": None, "title": None, "abstract": None,
        "journal": {"title": None, "iso_abbreviation": None, "issn": None},
        "year": None, "month": None, "day": None, "pub_date": None,
        "volume": None, "issue": None, "pages": None, "article_number": None,
        "doi": None, "pmcid": None, "pii": None,
        "languages": [], "publication_types": [], "mesh_headings": [], "keywords": [],
        "authors": [], "references": [], "book_title": None, "publisher": None,
    }


def publication_types(names: list[str], kind: str) -> list[dict]:
    """PubMed-style publication types; the kind's own type when the format names none."""
    names = [n.strip() for n in names if n and n.strip()]
    return [{"ui": None, "name": n} for n in names or [DEFAULT_PUBLICATION_TYPE[kind]]]


def parse_pmid(value, path: str, line: int | None) -> int | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if not re.fullmatch(r"[1-9][0-9]{0,9}", text):
        raise BibliographyError(path, line, f"PMID {text!r} is not a positive whole number")
    return int(text)


def lenient_pmid(value, warn: Callable[[str], None]) -> int | None:
    """A PMID, or None with a warning: a bad identifier loses itself, not its record."""
    try:
        return parse_pmid(value, "", None)
    except BibliographyError as error:
        warn(f"{error.message}; the record is kept without a PMID")
        return None


def parse_year(value) -> int | None:
    """The year a date's text names: "2004///", "Apr 2019", "2014/06/01" -> the year.

    A four-digit number from 1000 on, standing alone; None otherwise ("Date of
    Code", "0000", "325", "-44", "2000 BC"), and the caller keeps the text as
    pub_date, so nothing is refused and nothing invented.
    """
    text = str(value).strip() if value is not None else ""
    match = re.search(r"(?<![\d-])(\d{4})(?!\d)(?!\s*B\.?C)", text, re.I)
    if not match or int(match.group(1)) < 1000:
        return None
    return int(match.group(1))


def date_text(article: dict, text) -> None:
    """Keep a date the year could not be read from as text, as the file wrote it."""
    text = " ".join(str(text).split()) if text is not None else ""
    if text and article.get("year") is None and not article.get("pub_date"):
        article["pub_date"] = text


_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>]+)")
_PMID = re.compile(r"\bPMID:?\s*([1-9]\d{0,9})\b|pubmed(?:\.ncbi\.nlm\.nih\.gov|/)/?(\d+)", re.I)
_PMCID = re.compile(r"\b(PMC\d+(?:\.\d+)?)\b", re.I)  # PubMed may give a version: PMC6134338.4


def doi_in(text: str | None) -> str | None:
    """A DOI inside free text: "doi: 10.1/x", "https://doi.org/10.1/x"."""
    match = _DOI.search(text or "")
    return match.group(1).rstrip(".,;)]}") if match else None


def pmid_in(text: str | None) -> int | None:
    """A PMID named inside free text: "PMID: 123", "https://pubmed.ncbi.nlm.nih.gov/123/"."""
    match = _PMID.search(text or "")
    return int(match.group(1) or match.group(2)) if match else None


def as_pmcid(text: str | None) -> str | None:
    """A PMCID field's value: "PMC123", "pmc123" or a bare "123" -> "PMC123"."""
    text = (text or "").strip()
    return f"PMC{text}" if text.isdigit() else pmcid_in(text)


def pmcid_in(text: str | None) -> str | None:
    match = _PMCID.search(text or "")
    return match.group(1).upper() if match else None


def month_number(value) -> int | None:
    """3, "3", "03", "mar", "March" -> 3; anything else -> None."""
    text = str(value).strip().lower() if value is not None else ""
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    return MONTHS.index(text[:3]) + 1 if text[:3] in MONTHS else None


def day_number(value) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.isdigit() and 1 <= int(text) <= 31 else None


def pages_and_number(pages: str | None, number: str | None) -> tuple[str | None, str | None]:
    """Formats that put an article number in the pages field say so twice; say it once."""
    if number and pages == number:
        return None, number
    return pages or None, number or None


def person(last: str | None, given: str | None, suffix: str | None = None) -> dict:
    return {"last_name": last or None, "fore_name": given or None,
            "initials": initials_of(given), "suffix": suffix or None,
            "collective_name": None, "affiliations": []}


def group(name: str) -> dict:
    return {"last_name": None, "fore_name": None, "initials": None, "suffix": None,
            "collective_name": name, "affiliations": []}


def initials_of(given: str | None) -> str | None:
    """ "Ann B" -> "AB", "Jean-Luc" -> "JL", as PubMed abbreviates fore names."""
    if not given:
        return None
    return "".join(part[0] for part in re.split(r"[\s\-.]+", given) if part) or None


def number_authors(article: dict) -> dict:
    for position, author in enumerate(article["authors"], start=1):
        author["position"] = position
    return article


def split_terms(text: str | None) -> list[str]:
    """Keywords: semicolons when present (MeSH terms hold commas), else commas."""
    if not text:
        return []
    separator = ";" if ";" in text else ","
    return [t.strip() for t in text.split(separator) if t.strip()]
