"""RIS writer: the tagged format every reference manager imports.

Line rules of the RIS specification: each line is a two-character tag, two
spaces, a hyphen, a space and the value; TY opens a record and ``ER  -``
closes it; a value never spans lines (so newlines inside an abstract become
spaces); lines end with CR LF. Repeatable tags (AU, KW) take one value per
line. Names are written "Last, First, Suffix".

PubMed's identifiers go out where the specification puts them (``AN`` with
``DB PubMed``, ``C2`` for the PMCID) and as ``M2  - PMID: 123`` lines, which Zotero
keeps in Extra (it has no place for C2 in a journal article).

``SP``/``EP`` are whole page numbers, so PubMed's "233-41" goes out as
``SP 233``/``EP 241``. ``N1`` notes carry a retraction and the way litbase
reached the record (collection, seed, hop, direction), one note each.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from litbase.formats.vocab import GROUP_COMMA, RIS_TYPE_OF, fold, language_name, publication_type_names, work_kind
from litbase.formats.writers.bibtex import subject_terms
from litbase.formats.writers.notes import caution_note, provenance_note
from litbase.formats.writers.pages import expand_pages

EOL = "\r\n"


def ris_name(author: dict) -> str:
    if author.get("collective_name"):
        # A comma splits an RIS name into family and given (Zotero, EndNote, litbase):
        # a group's own commas ("Lung Screening, Tobacco and Health Trial") are
        # written as U+201A, which looks the same and keeps the name one field.
        return author["collective_name"].replace(",", GROUP_COMMA)
    parts = [author.get("last_name") or "", author.get("fore_name") or author.get("initials")]
    if author.get("suffix"):
        parts.append(author["suffix"])
    return ", ".join(p or "" for p in parts)


def split_pages(pages: str) -> tuple[str, str | None]:
    start, _, end = pages.partition("-")
    return start.strip(), (end.strip() or None)


def ris_lines(article: dict) -> list[tuple[str, str]]:
    kind = work_kind(article)
    journal = article.get("journal") or {}
    lines = [("TY", RIS_TYPE_OF[kind])]
    lines += [("AU", ris_name(a)) for a in article.get("authors") or []]
    if kind == "book":
        lines.append(("TI", article.get("book_title") or article.get("title")))
    else:
        lines.append(("TI", article.get("title")))
    if kind == "chapter":
        lines.append(("T2", article.get("book_title")))
    else:
        # Zotero and EndNote format the journal from T2; J2 alone prints none
        # (the NLM style then says "Vol. 30."), so the abbreviation stands in.
        lines.append(("T2", journal.get("title") or journal.get("iso_abbreviation")))
        lines.append(("J2", journal.get("iso_abbreviation")))
    lines.append(("PB", article.get("publisher")))
    year, month, day = article.get("year"), article.get("month"), article.get("day")
    lines.append(("PY", year))
    if year:
        # DA is YYYY/MM/DD/other-info, empty parts left empty.
        parts = [f"{year:04d}", f"{month:02d}" if month else "",
                 f"{day:02d}" if month and day else "", ""]
        lines.append(("DA", "/".join(parts)))
    lines.append(("VL", article.get("volume")))
    lines.append(("IS", article.get("issue")))
    if article.get("pages"):
        start, end = split_pages(expand_pages(article["pages"]))
        lines += [("SP", start), ("EP", end)]
    elif article.get("article_number"):
        lines.append(("SP", article["article_number"]))
    # C7 is the RIS specification's "Article Number" for journal articles.
    lines.append(("C7", article.get("article_number")))
    lines.append(("DO", article.get("doi")))
    lines.append(("AN", article.get("pmid")))
    lines.append(("DB", "PubMed" if article.get("pmid") else None))
    # C2 is the specification's PMCID field.
    lines.append(("C2", article.get("pmcid")))
    # Zotero drops C2 of a journal article and files AN as "Loc. in Archive"; it reads
    # each M2 line into Extra, where it keeps PubMed's identifiers ("PMID: 123").
    if article.get("pmid"):
        lines.append(("M2", f"PMID: {article['pmid']}"))
    if article.get("pmcid"):
        lines.append(("M2", f"PMCID: {article['pmcid']}"))
    lines.append(("SN", journal.get("issn")))
    lines += [("LA", language_name(code)) for code in article.get("languages") or []]
    lines.append(("M3", "; ".join(publication_type_names(article)) or None))
    lines += [("KW", term) for term in subject_terms(article)]
    lines.append(("AB", article.get("abstract")))
    lines.append(("N1", caution_note(article)))
    lines.append(("N1", provenance_note(article)))
    if article.get("pmid"):
        lines.append(("UR", f"https://pubmed.ncbi.nlm.nih.gov/{article['pmid']}/"))
    written = []
    for tag, value in lines:
        if value is not None:
            text = value if type(value) is str else str(value)
            # What has something other than whitespace (strip() would copy an abstract to say so),
            # its line structure folded to one space; no-break and thin spaces (8\u202fyears) are text.
            if text and not text.isspace():
                written.append((tag, fold(text)))
    return written


def ris_record(article: dict) -> str:
    body = "".join(f"{tag}  - {value}{EOL}" for tag, value in ris_lines(article))
    return body + "ER  - " + EOL


def write_ris(articles: Iterable[dict]) -> Iterator[str]:
    """Yield one RIS record per article, a blank line between records."""
    for index, article in enumerate(articles):
        yield (EOL if index else "") + ris_record(article)
