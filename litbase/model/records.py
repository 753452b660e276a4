"""The plain-dict shapes that flow from every parser into the store.

Parsers (PubMed XML, the dataset folder, user files) produce these; ``store``
writes them. Nothing here does I/O. A key a source cannot fill is ``None``
(or an empty list), never a guess.
"""

from __future__ import annotations

from typing import Literal, TypedDict


class Author(TypedDict, total=False):
    position: int  # 1-based order on the byline
    last_name: str | None
    fore_name: str | None
    initials: str | None
    suffix: str | None
    collective_name: str | None  # a group author ("COVID Study Group"), no personal name
    orcid: str | None  # bare identifier, 0000-0002-1825-0097
    affiliations: list[str]


class Journal(TypedDict, total=False):
    title: str | None
    iso_abbreviation: str | None
    issn: str | None  # the ISSN printed on the article (print or electronic)
    issn_type: str | None  # "Print" or "Electronic"
    issn_linking: str | None
    nlm_unique_id: str | None
    country: str | None


class MeshHeading(TypedDict, total=False):
    descriptor_ui: str | None  # D012345
    descriptor: str
    major_topic: bool
    qualifiers: list[str]  # qualifier names; a "*" suffix marks a major qualifier


class PublicationType(TypedDict, total=False):
    ui: str | None  # D016428
    name: str


class Reference(TypedDict, total=False):
    """One entry of an article's reference list, with or without a PMID."""

    position: int  # 1-based within its source's list
    citation: str | None  # the reference as printed
    pmid: int | None
    doi: str | None
    pmcid: str | None
    # reference_list (PubmedData/ReferenceList), comments_corrections
    # (RefType="Cites"), seed_page, dataset, ...
    source: str


class Article(TypedDict, total=False):
    record_type: Literal["article", "book"]  # PubmedArticle or PubmedBookArticle
    pmid: int
    version: int | None
    title: str | None  # inline markup flattened to text
    vernacular_title: str | None
    abstract: str | None  # sections joined as "LABEL: text" paragraphs
    abstract_sections: list[dict]  # {"label", "nlm_category", "text"}
    copyright: str | None
    journal: Journal
    year: int | None
    month: int | None
    day: int | None
    pub_date: str | None  # as printed: "2016 Jul-Sep", "2022 Apr 1"
    volume: str | None
    issue: str | None
    pages: str | None  # MedlinePgn, "293-302"
    article_number: str | None  # ELocationID of type pii when there are no pages, "e10728"
    doi: str | None
    pmcid: str | None  # "PMC8963728"
    pii: str | None
    languages: list[str]  # ISO 639-2 codes as PubMed gives them ("eng")
    publication_types: list[PublicationType]
    mesh_headings: list[MeshHeading]
    keywords: list[str]
    authors: list[Author]
    references: list[Reference]
    # Other CommentsCorrections (RetractionIn, ErratumFor, CommentOn, ...):
    # {"ref_type", "pmid", "citation"}
    related_notices: list[dict]
    is_retracted: bool  # a RetractionIn notice exists
    is_retraction_notice: bool  # this record is itself a notice (RetractionOf)
    medline_status: str | None  # "MEDLINE", "PubMed-not-MEDLINE", ...
    publication_status: str | None  # "ppublish", "epublish", "aheadofprint"
    date_revised: str | None  # ISO date
    # Book records only
    book_title: str | None
    publisher: str | None


class Deletion(TypedDict):
    """A DeleteCitation block from a PubMed update file."""

    record_type: Literal["delete"]
    pmids: list[int]
