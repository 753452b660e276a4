"""MEDLINE (.nbib) writer: PubMed's own tagged display, what EndNote and Zotero import.

Line rules, as PubMed writes them: a tag left-justified in four columns, then
"- " and the value; long values wrap at 80 columns onto continuation lines
indented six spaces (readers join them with one space, so words are never
split, not even at hyphens); a blank line between records.

Comments and corrections go out as PubMed writes them, one line per notice
("RIN - Lancet. 2010 Feb 6;375(9713):445. PMID: 20137807"), and a retracted
record always carries the publication type "Retracted Publication", which is
how PubMed marks one, even when it came from a file that only said so.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable, Iterator

from litbase.formats.vocab import MONTHS, fold, publication_type_names, work_kind
from litbase.formats.writers.notes import is_retracted, notice_line

WIDTH = 80
# PubMed's MEDLINE tags for CommentsCorrections RefTypes.
NOTICE_TAGS = {
    "CommentIn": "CIN", "CommentOn": "CON", "ErratumIn": "EIN", "ErratumFor": "EFR",
    "ExpressionOfConcernIn": "ECI", "ExpressionOfConcernFor": "ECF",
    "RepublishedIn": "RPI", "RepublishedFrom": "RPF", "RetractionIn": "RIN",
    "RetractionOf": "ROF", "UpdateIn": "UIN", "UpdateOf": "UOF",
    "RetractedandRepublishedIn": "RRI", "RetractedandRepublishedFrom": "RRF",
    "SummaryForPatientsIn": "SPIN", "OriginalReportIn": "ORI",
}


def initials(author: dict) -> str:
    if "initials" in author:  # PubMed gives some fore names no initials ("Wu, De"): none then
        return author["initials"] or ""
    return "".join(part[0] for part in (author.get("fore_name") or "").replace("-", " ").split())


def mesh_line(heading: dict) -> str:
    """PubMed's form: "*Peer Group/psychology" (major descriptor), "Burnout/*prevention"."""
    text = ("*" if heading.get("major_topic") else "") + heading["descriptor"]
    for qualifier in heading.get("qualifiers") or []:
        text += "/" + ("*" + qualifier[:-1] if qualifier.endswith("*") else qualifier)
    return text


def display_date(article: dict) -> str | None:
    if article.get("pub_date"):
        return article["pub_date"]
    year, month, day = article.get("year"), article.get("month"), article.get("day")
    if not year:
        return None
    parts = [str(year)]
    if month:
        parts.append(MONTHS[month - 1].capitalize())
        if day:
            parts.append(str(day))
    return " ".join(parts)


def source_line(article: dict) -> str | None:
    journal = (article.get("journal") or {}).get("iso_abbreviation")
    if not journal:
        return None
    text = f"{journal}. {display_date(article) or ''}"
    if article.get("volume"):
        text += f";{article['volume']}"
        if article.get("issue"):
            text += f"({article['issue']})"
    location = article.get("pages") or article.get("article_number")
    if location:
        text += f":{location}"
    text += "."
    if article.get("doi"):
        text += f" doi: {article['doi']}."
    return text


def medline_fields(article: dict) -> list[tuple[str, str]]:
    journal = article.get("journal") or {}
    kind = work_kind(article)
    fields = [("PMID", article.get("pmid")), ("STAT", article.get("medline_status"))]
    if journal.get("issn"):
        fields.append(("IS", f"{journal['issn']} ({journal.get('issn_type') or 'Print'})"))
    fields += [("VI", article.get("volume")), ("IP", article.get("issue")),
               ("DP", display_date(article))]
    fields.append(("TI", article.get("title")))
    if kind != "article":
        fields += [("BTI", article.get("book_title")), ("PB", article.get("publisher"))]
    # Pages, or the article number where PubMed has no pages (as it prints them); the
    # article number also goes out as a bare LID, as PubMed writes it, which is how a
    # reader tells PG's e-locator from pages that merely look like one ("e408").
    fields.append(("PG", article.get("pages") or article.get("article_number")))
    fields.append(("LID", f"{article['pii']} [pii]" if article.get("pii") else None))
    fields.append(("LID", f"{article['doi']} [doi]" if article.get("doi") else None))
    fields.append(("LID", article.get("article_number")))
    fields += [("AB", article.get("abstract")), ("CI", article.get("copyright"))]
    for author in article.get("authors") or []:
        if author.get("collective_name"):
            fields.append(("CN", author["collective_name"]))
            fields += [("AD", affiliation) for affiliation in author.get("affiliations") or []]
            continue
        full = author.get("last_name") or ""
        if author.get("fore_name"):
            full += ", " + author["fore_name"]
        short = " ".join(p for p in (author.get("last_name"), initials(author)) if p)
        if author.get("suffix"):
            full += " " + author["suffix"]
            short += " " + author["suffix"]
        fields += [("FAU", full), ("AU", short)]
        if author.get("orcid"):
            fields.append(("AUID", f"ORCID: {author['orcid']}"))
        fields += [("AD", affiliation) for affiliation in author.get("affiliations") or []]
    fields += [("LA", code) for code in article.get("languages") or []]
    types = publication_type_names(article)
    if is_retracted(article) and "Retracted Publication" not in types:
        types.append("Retracted Publication")
    fields += [("PT", name) for name in types]
    fields += [("TA", journal.get("iso_abbreviation")), ("JT", journal.get("title"))]
    fields += [(NOTICE_TAGS[n["ref_type"]], notice_line(n))
               for n in article.get("related_notices") or [] if n.get("ref_type") in NOTICE_TAGS]
    fields += [("MH", mesh_line(h)) for h in article.get("mesh_headings") or []]
    fields.append(("PMC", article.get("pmcid")))
    fields += [("OT", keyword) for keyword in article.get("keywords") or []]
    fields.append(("AID", f"{article['doi']} [doi]" if article.get("doi") else None))
    fields += [("PST", article.get("publication_status")), ("SO", source_line(article))]
    # Line structure folds to one space; no-break and thin spaces ("16\u00a0weeks") are text.
    written = []
    for tag, value in fields:
        if value is not None:
            text = value if type(value) is str else str(value)
            if text.strip():
                written.append((tag, fold(text)))
    return written


# Whitespace other than a space: textwrap splits at ASCII whitespace, but drops a word that
# str.strip() empties ("\u00a0") at either end of a line.
_OTHER_SPACE = re.compile(r"[^\S ]")


def _wrapped(value: str, width: int) -> list[str]:
    """``textwrap.wrap(value, width, break_long_words=False, break_on_hyphens=False) or [value]``.

    A folded value (words parted by single spaces, none at either end, no other whitespace)
    is packed greedily here, as textwrap packs it, a word longer than the width alone on its
    line: textwrap's chunking was half of a MEDLINE export (1,000 abstracts). Anything else
    goes to textwrap.
    """
    if "  " in value or value[:1] == " " or value[-1:] == " " or _OTHER_SPACE.search(value):
        return textwrap.wrap(value, width, break_long_words=False, break_on_hyphens=False) or [value]
    # Each line ends at the last space that keeps it within the width (a line of whole
    # words, as many as fit), found by rfind rather than by adding up the words one by one.
    lines, start, length = [], 0, len(value)
    while length - start > width:
        cut = value.rfind(" ", start, start + width + 1)
        if cut <= start:  # the first word alone is longer than the width: a line of its own
            cut = value.find(" ", start)
            if cut < 0:
                break
        lines.append(value[start:cut])
        start = cut + 1
    lines.append(value[start:])
    return lines


# Each tag's line start ("AU  - "), made once, not formatted for each of an export's 30,000 lines.
_LEADS: dict[str, str] = {}


def medline_record(article: dict) -> str:
    lines = []
    for tag, value in medline_fields(article):
        lead = _LEADS.get(tag) or _LEADS.setdefault(tag, f"{tag:<4}- ")
        # A folded value (single spaces, none at either end) that fits is its own one line,
        # which is what textwrap gives it, without textwrap's cost (30 values a record);
        # but textwrap drops a last word of other whitespace ("word \u00a0" -> "word ").
        if len(value) <= WIDTH - 6 and not value[-1:].isspace():
            lines.append(lead + value)
            continue
        wrapped = _wrapped(value, WIDTH - 6)
        lines.append(lead + wrapped[0])
        lines += ["      " + part for part in wrapped[1:]]
    return "\n".join(lines) + "\n"


def write_medline(articles: Iterable[dict]) -> Iterator[str]:
    """Yield one MEDLINE record per article, a blank line before each (as PubMed does)."""
    for article in articles:
        yield "\n" + medline_record(article)
