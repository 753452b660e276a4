"""Streaming parser for PubMed XML: efetch responses, baseline and update files.

``parse_pubmed_xml`` yields one ``Article`` per PubmedArticle or
PubmedBookArticle and one ``Deletion`` per DeleteCitation, in document order
(``litbase.model.records`` defines both). Memory stays flat however large the file:
each record element is cleared as soon as it has been read.

The XML is untrusted. Entities are never expanded, no DTD is loaded and
nothing is fetched from the network, so an XXE or "billion laughs" document
yields no foreign text. A malformed document raises ``PubmedParseError``
naming the line; records read before the fault have already been yielded.
Entity references, internal ones included, contribute no text; a document
whose entities nest past libxml2's amplification limit ("billion laughs")
is refused with ``PubmedParseError`` at once.

Layout whitespace is dropped while parsing, which is much of the work in an
indented file; ``parse_pubmed_blanks`` explains how no space that is text
goes with it.

Choices: authors marked ValidYN="N" (NLM's record of a misprinted name) are
skipped; text keeps no-break and thin spaces but collapses layout whitespace;
editors of a book are not its authors; OtherAbstract is not read.
"""

from __future__ import annotations

import io
import os
import re
import zlib
from pathlib import Path
from typing import BinaryIO, Iterator, Union

from lxml import etree

try:
    # Intel's ISA-L inflates gzip about 2.5 times faster than zlib (a baseline
    # file: 0.18 s instead of 0.51 s), a tenth of the whole parse.
    from isal.igzip import IGzipFile as _GzipFile
    from isal.isal_zlib import error as _InflateError
except ImportError:  # a platform without isal's wheels: the standard library
    from gzip import GzipFile as _GzipFile
    from zlib import error as _InflateError

from litbase.parse.pubmed_blanks import BlankMayBeLost, RecentBytes, record_with_blanks
from litbase.parse.pubmed_fields import (
    add_reference_list,
    iso_date,
    normalise_pmcid,
    parse_abstract,
    parse_article_ids,
    parse_authors,
    parse_comments_corrections,
    parse_date,
    parse_mesh_headings,
    text_of,
    to_int,
)
from litbase.model.records import Article, Deletion

__all__ = ["PubmedParseError", "parse_pubmed_xml", "parse_pubmed_bytes"]

Source = Union[str, os.PathLike, bytes, bytearray, BinaryIO]

_RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
_GZIP_MAGIC = b"\x1f\x8b"
# lxml appends ", line N, column M" to libxml2's message; we print it once.
_TRAILING_POSITION = re.compile(r",? line \d+, column \d+$")
# The parser is fed 1 MiB at a time (iterparse reads 32 KiB): fewer round
# trips through Python for a 170 MB baseline file.
_CHUNK_SIZE = 1 << 20


class PubmedParseError(ValueError):
    """The document is not well-formed XML (or not readable gzip)."""

    def __init__(self, message: str, lineno: int | None = None):
        super().__init__(message)
        self.lineno = lineno


def parse_pubmed_xml(source: Source) -> Iterator[Article | Deletion]:
    """Yield the records of a PubMed XML document one at a time.

    Parameters
    ----------
    source : str, os.PathLike, bytes or binary file object
        A path (``.gz`` files are decompressed), the document's bytes
        (gzip-compressed or not) or an open binary file.

    Yields
    ------
    Article or Deletion
        ``record_type`` is "article", "book" or "delete".

    Raises
    ------
    PubmedParseError
        When the document is malformed; its message names the line.
    """
    stream, name, owned = _open(source)
    recent = RecentBytes(stream)
    try:
        # A pull parser fed chunk by chunk, not iterparse: since lxml 6.2,
        # iterparse drops every event of a chunk whose parsing fails, so one
        # malformed record would take with it the complete records read from
        # the same chunk (a small file: all of them). The pull parser keeps them.
        parser = etree.XMLPullParser(
            events=("end",),
            tag=_RECORD_TAGS,
            # Untrusted input: keep entity references as inert nodes, never
            # read a DTD, never touch the network, keep libxml2's size limits.
            resolve_entities=False,
            load_dtd=False,
            no_network=True,
            huge_tree=False,
            # Layout whitespace is half the nodes of an indented file; the
            # rare record where a real space goes with it is read again
            # (parse_pubmed_blanks).
            remove_blank_text=True,
        )
        events = parser.read_events()
        try:
            while True:
                chunk = recent.read(_CHUNK_SIZE)
                fault = None
                if chunk:
                    try:
                        parser.feed(chunk)
                    except etree.XMLSyntaxError as exc:
                        # The records this chunk completed before the fault are
                        # whole: yield them, then report the fault.
                        fault = exc
                else:
                    # A failing close() is raised at once: lxml 6.2 ends the
                    # record left open by a truncated document as if it were
                    # complete, and that half record must not be yielded.
                    parser.close()
                for _, elem in events:
                    try:
                        record = _record(elem)
                    except BlankMayBeLost:
                        record = _record(record_with_blanks(elem, recent))
                    # Drop the finished record and every earlier sibling so the
                    # tree never holds more than the record being read.
                    elem.clear()
                    while elem.getprevious() is not None:
                        del elem.getparent()[0]
                    yield record
                if fault is not None:
                    raise fault
                if not chunk:
                    break
        except etree.XMLSyntaxError as exc:
            line, column = exc.position if exc.position else (exc.lineno, None)
            where = f"line {line}" + (f", column {column}" if column else "")
            problem = _TRAILING_POSITION.sub("", exc.msg or "") or "syntax error"
            raise PubmedParseError(
                f"malformed PubMed XML in {name} at {where}: {problem}", lineno=line
            ) from None
        except (OSError, EOFError, zlib.error, _InflateError) as exc:
            # gzip.BadGzipFile is an OSError; a truncated download is EOFError;
            # a corrupt deflate block is the inflater's own error.
            raise PubmedParseError(f"unreadable PubMed XML in {name}: {exc}") from None
    finally:
        if owned:
            stream.close()


def _record(elem) -> Article | Deletion:
    tag = elem.tag
    if tag == "PubmedArticle":
        return _article(elem)
    if tag == "PubmedBookArticle":
        return _book(elem)
    return _deletion(elem)


def parse_pubmed_bytes(data: bytes) -> list[Article | Deletion]:
    """Every record of an in-memory PubMed XML document, as a list."""
    return list(parse_pubmed_xml(data))


def open_gzip(raw: BinaryIO) -> BinaryIO:
    """A decompressing reader over a gzip stream (PubMed's .xml.gz files)."""
    return _GzipFile(fileobj=raw, mode="rb")


def _open(source: Source) -> tuple[BinaryIO, str, bool]:
    """(binary stream, name for messages, whether we must close it)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if data[:2] == _GZIP_MAGIC:
            return open_gzip(io.BytesIO(data)), "<bytes>", True
        return io.BytesIO(data), "<bytes>", True
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        raw = open(path, "rb")
        # Sniff the magic bytes too: update files are sometimes saved without
        # their .gz suffix.
        if path.suffix == ".gz" or raw.read(2) == _GZIP_MAGIC:
            raw.seek(0)
            return open_gzip(raw), str(path), True
        raw.seek(0)
        return raw, str(path), True
    return source, getattr(source, "name", "<stream>"), False


# Every key an Article has, in a fixed order. A 35-key dict display costs
# 3.4 microseconds to build; copying this template and filling in the lists
# costs a fifth of that, for each of the 50,000 records of two baseline files.
_RECORD_TEMPLATE = {
    "record_type": None,
    "pmid": None,
    "version": None,
    "title": None,
    "vernacular_title": None,
    "abstract": None,
    "abstract_sections": None,
    "copyright": None,
    "journal": None,
    "year": None,
    "month": None,
    "day": None,
    "pub_date": None,
    "volume": None,
    "issue": None,
    "pages": None,
    "article_number": None,
    "doi": None,
    "pmcid": None,
    "pii": None,
    "languages": None,
    "publication_types": None,
    "mesh_headings": None,
    "keywords": None,
    "authors": None,
    "references": None,
    "related_notices": None,
    "is_retracted": False,
    "is_retraction_notice": False,
    "medline_status": None,
    "publication_status": None,
    "date_revised": None,
    "book_title": None,
    "publisher": None,
}
_JOURNAL_TEMPLATE = {
    "title": None,
    "iso_abbreviation": None,
    "issn": None,
    "issn_type": None,
    "issn_linking": None,
    "nlm_unique_id": None,
    "country": None,
}


def _empty_record(record_type: str) -> dict:
    record = _RECORD_TEMPLATE.copy()
    record["record_type"] = record_type
    record["journal"] = _JOURNAL_TEMPLATE.copy()
    record["abstract_sections"] = []
    record["languages"] = []
    record["publication_types"] = []
    record["mesh_headings"] = []
    record["keywords"] = []
    record["authors"] = []
    record["references"] = []
    record["related_notices"] = []
    return record


def _article(elem) -> Article:
    record = _empty_record("article")
    elocation: dict[str, str] = {}
    article_date = None
    ids: dict[str, str] = {}
    cites: list[dict] = []
    listed: list[dict] = []
    for part in elem:
        if part.tag == "MedlineCitation":
            record["medline_status"] = part.get("Status")
            for child in part:
                tag = child.tag
                if tag == "Article":
                    article_date = _fill_article(child, record, elocation)
                elif tag == "PMID":
                    record["pmid"] = to_int(child.text)
                    record["version"] = to_int(child.get("Version"))
                elif tag == "MeshHeadingList":
                    record["mesh_headings"] = parse_mesh_headings(child)
                elif tag == "MedlineJournalInfo":
                    _fill_journal_info(child, record["journal"])
                elif tag == "KeywordList":
                    _add_keywords(child, record["keywords"])
                elif tag == "CommentsCorrectionsList":
                    cites, record["related_notices"] = parse_comments_corrections(child)
                elif tag == "DateRevised":
                    record["date_revised"] = iso_date(child)
        elif part.tag == "PubmedData":
            for child in part:
                tag = child.tag
                if tag == "ArticleIdList":
                    ids = parse_article_ids(child)
                elif tag == "ReferenceList":
                    add_reference_list(child, listed)
                elif tag == "PublicationStatus":
                    record["publication_status"] = child.text
    if record["year"] is None and article_date is not None:
        _fill_date(record, article_date, keep_printed=record["pub_date"] is not None)
    _finish(record, ids, elocation, listed + cites)
    return record


def _fill_article(article, record: dict, elocation: dict[str, str]):
    """Fill ``record`` from MedlineCitation/Article; return its ArticleDate."""
    article_date = None
    for child in article:
        tag = child.tag
        if tag == "Journal":
            _fill_journal(child, record)
        elif tag == "ArticleTitle":
            record["title"] = text_of(child)
        elif tag == "Pagination":
            record["pages"] = _pages(child)
        elif tag == "ELocationID":
            _add_elocation(child, elocation)
        elif tag == "Abstract":
            record["abstract"], record["abstract_sections"], record["copyright"] = (
                parse_abstract(child)
            )
        elif tag == "AuthorList":
            record["authors"] = parse_authors(child)
        elif tag == "Language":
            _add_language(child, record["languages"])
        elif tag == "PublicationTypeList":
            record["publication_types"] = [
                {"ui": pt.get("UI"), "name": pt.text}
                for pt in child
                if pt.tag == "PublicationType"
            ]
        elif tag == "VernacularTitle":
            record["vernacular_title"] = text_of(child)
        elif tag == "ArticleDate" and article_date is None:
            article_date = child
    return article_date


def _fill_journal(journal, record: dict) -> None:
    info = record["journal"]
    for child in journal:
        tag = child.tag
        if tag == "JournalIssue":
            for part in child:
                if part.tag == "PubDate":
                    _fill_date(record, part)
                elif part.tag == "Volume":
                    record["volume"] = text_of(part)
                elif part.tag == "Issue":
                    record["issue"] = text_of(part)
        elif tag == "Title":
            info["title"] = text_of(child)
        elif tag == "ISOAbbreviation":
            info["iso_abbreviation"] = text_of(child)
        # Coded values (ISSN, NLM ID, country, language, status) are clean
        # leaves in every file seen; .text skips a flattening call each.
        elif tag == "ISSN":
            info["issn"] = child.text
            info["issn_type"] = child.get("IssnType")


def _fill_journal_info(journal_info, info: dict) -> None:
    for child in journal_info:
        tag = child.tag
        if tag == "Country":
            info["country"] = child.text
        elif tag == "NlmUniqueID":
            info["nlm_unique_id"] = child.text
        elif tag == "ISSNLinking":
            info["issn_linking"] = child.text


def _fill_date(record: dict, date_el, keep_printed: bool = False) -> None:
    year, month, day, printed = parse_date(date_el)
    record["year"], record["month"], record["day"] = year, month, day
    if not keep_printed:
        record["pub_date"] = printed


def _pages(pagination) -> str | None:
    medline = start = end = None
    for child in pagination:
        if child.tag == "MedlinePgn":
            medline = text_of(child)
        elif child.tag == "StartPage":
            start = text_of(child)
        elif child.tag == "EndPage":
            end = text_of(child)
    if medline:
        return medline
    if start and end:
        return f"{start}-{end}"
    return start


def _add_elocation(child, elocation: dict[str, str]) -> None:
    if child.get("ValidYN") == "N":
        return
    kind = child.get("EIdType")
    value = text_of(child)
    if kind and value and kind not in elocation:
        elocation[kind] = value


def _add_language(child, languages: list[str]) -> None:
    value = child.text
    if value:
        languages.append(value)


def _add_keywords(keyword_list, keywords: list[str]) -> None:
    for keyword in keyword_list:
        if keyword.tag == "Keyword":
            value = text_of(keyword)
            if value:
                keywords.append(value)


def _finish(record: dict, ids: dict[str, str], elocation: dict[str, str],
            references: list[dict]) -> None:
    """Settle identifiers, retraction flags and references from all sources."""
    # PubmedData/ArticleIdList is curated by NLM; ELocationID is what the
    # publisher printed, so it only fills gaps.
    record["doi"] = ids.get("doi") or elocation.get("doi")
    record["pmcid"] = normalise_pmcid(ids.get("pmc"))
    record["pii"] = ids.get("pii") or elocation.get("pii")
    if record["pages"] is None:
        record["article_number"] = elocation.get("pii")
    record["references"] = references
    for notice in record["related_notices"]:
        if notice["ref_type"] == "RetractionIn":
            record["is_retracted"] = True
        elif notice["ref_type"] == "RetractionOf":
            record["is_retraction_notice"] = True
    for publication_type in record["publication_types"]:
        if publication_type["name"] == "Retracted Publication":
            record["is_retracted"] = True
        elif publication_type["name"] == "Retraction of Publication":
            record["is_retraction_notice"] = True


def _book(elem) -> Article:
    """A PubmedBookArticle: a whole book or one of its chapters.

    Only authors are kept (AuthorList Type="authors", or untyped); editors
    are not authors of the work. A chapter's own AuthorList wins over the
    book's.
    """
    record = _empty_record("book")
    ids: dict[str, str] = {}
    elocation: dict[str, str] = {}
    references: list[dict] = []
    book_authors: list[dict] = []
    for part in elem:
        if part.tag == "BookDocument":
            for child in part:
                tag = child.tag
                if tag == "PMID":
                    record["pmid"] = to_int(child.text)
                    record["version"] = to_int(child.get("Version"))
                elif tag == "Book":
                    book_authors = _fill_book(child, record, elocation)
                elif tag == "ArticleTitle":
                    record["title"] = text_of(child)
                elif tag == "VernacularTitle":
                    record["vernacular_title"] = text_of(child)
                elif tag == "ArticleIdList":
                    ids = parse_article_ids(child)
                elif tag == "Pagination":
                    record["pages"] = _pages(child)
                elif tag == "Language":
                    _add_language(child, record["languages"])
                elif tag == "AuthorList" and child.get("Type", "authors") == "authors":
                    record["authors"] = parse_authors(child)
                elif tag == "PublicationType":
                    record["publication_types"].append(
                        {"ui": child.get("UI"), "name": text_of(child)}
                    )
                elif tag == "Abstract":
                    record["abstract"], record["abstract_sections"], record["copyright"] = (
                        parse_abstract(child)
                    )
                elif tag == "KeywordList":
                    _add_keywords(child, record["keywords"])
                elif tag == "DateRevised":
                    record["date_revised"] = iso_date(child)
                elif tag == "ReferenceList":
                    add_reference_list(child, references)
        elif part.tag == "PubmedBookData":
            for child in part:
                if child.tag == "ArticleIdList":
                    # The BookDocument list is usually the complete one.
                    for id_type, value in parse_article_ids(child).items():
                        ids.setdefault(id_type, value)
                elif child.tag == "PublicationStatus":
                    record["publication_status"] = text_of(child)
    if record["title"] is None:
        record["title"] = record["book_title"]
    if not record["authors"]:
        record["authors"] = book_authors
    _finish(record, ids, elocation, references)
    return record


def _fill_book(book, record: dict, elocation: dict[str, str]) -> list[dict]:
    """Fill ``record`` from BookDocument/Book; return the book's authors."""
    authors: list[dict] = []
    for child in book:
        tag = child.tag
        if tag == "BookTitle":
            record["book_title"] = text_of(child)
        elif tag == "Publisher":
            for part in child:
                if part.tag == "PublisherName":
                    record["publisher"] = text_of(part)
        elif tag == "PubDate":
            _fill_date(record, child)
        elif tag == "AuthorList" and child.get("Type", "authors") == "authors":
            authors = parse_authors(child)
        elif tag == "Volume":
            record["volume"] = text_of(child)
        elif tag == "ELocationID":
            _add_elocation(child, elocation)
    return authors


def _deletion(elem) -> Deletion:
    pmids = [to_int(child.text) for child in elem if child.tag == "PMID"]
    return {"record_type": "delete", "pmids": [pmid for pmid in pmids if pmid is not None]}
