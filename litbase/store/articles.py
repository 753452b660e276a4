"""Write parsed records into SQLite: ``save_*(db, rows)``, upserts keyed by PMID.

Every function takes the ``sqlite_utils.Database`` first and plain dicts
(``litbase.model.records``) after it. The hot paths use ``executemany`` with
``INSERT ... ON CONFLICT`` rather than ``Table.upsert_all``: the shape comes
from ``schema.ensure_db_shape``, and raw executemany is four times faster
(317k against 81k rows/s for sqlite-utils' insert_all with its defaults, measured
on a 2-core machine), which matters for baseline files of 30,000 records each.
Callers own the transaction (``with db.conn:``), so a batch lands whole or
not at all and a killed process loses nothing it had committed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from operator import itemgetter
from typing import TYPE_CHECKING, NamedTuple

from litbase.model.citekeys import key_base
from litbase.model.records import Article, Author, Reference
from litbase.store.changes import record_changes
from litbase.store.completeness import (
    own_reference_status,
    refresh_reference_status,
    with_stored_references,
)
from litbase.store.sql import IDS, execute_in, placeholders

if TYPE_CHECKING:  # the parsing process of a bulk import needs no sqlite_utils (nor its numpy)
    import sqlite_utils


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def stable_id(key: str) -> int:
    """A 63-bit integer that is the same for the same key in every database."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big") >> 1


def author_key(author: Author) -> str:
    """Identity of an author across articles: ORCID when known, else the name."""
    if author.get("orcid"):
        return "orcid:" + author["orcid"]
    if author.get("collective_name"):
        return "group:" + author["collective_name"].strip().lower()
    last = (author.get("last_name") or "").strip().lower()
    fore = (author.get("fore_name") or author.get("initials") or "").strip().lower()
    return f"name:{last}|{fore}"


def author_display(author: Author) -> str:
    """The byline form PubMed prints: "Jain A", or a group's name."""
    if author.get("collective_name"):
        return author["collective_name"]
    return " ".join(p for p in (author.get("last_name"), author.get("initials")) if p)


def journal_id(journal: dict) -> str | None:
    if journal.get("nlm_unique_id"):
        return journal["nlm_unique_id"]
    if journal.get("issn"):
        return "issn:" + journal["issn"]
    name = journal.get("title") or journal.get("iso_abbreviation")
    return "title:" + name if name else None


def mesh_id(heading: dict) -> str:
    return heading.get("descriptor_ui") or "name:" + heading["descriptor"]


# json.dumps with keyword arguments builds a new encoder per call; a bulk
# import encodes half a million small lists.
_encode_json = json.JSONEncoder(ensure_ascii=False).encode


def _json(value) -> str | None:
    return _encode_json(value) if value else None


class TableRows(NamedTuple):
    """Rows for one table: column names and a tuple of values per row.

    Tuples, not dicts: a bulk import builds a million of them in its parsing
    process and pickles them to the importer, and a dict carries its keys along.
    """

    columns: tuple[str, ...]
    values: list[tuple]


JOURNAL_COLUMNS = ("id", "title", "iso_abbreviation", "issn", "issn_linking", "nlm_unique_id", "country")
AUTHOR_COLUMNS = ("id", "key", "name", "last_name", "fore_name", "initials", "suffix", "collective_name",
                  "orcid")
# The byline as this record wrote it travels with the authorship (see schema).
AUTHORSHIP_COLUMNS = ("pmid", "position", "author_id", "affiliation", "last_name", "fore_name",
                      "initials", "suffix", "collective_name")
MESH_TERM_COLUMNS = ("id", "name")
HEADING_COLUMNS = ("pmid", "mesh_id", "major_topic", "qualifiers")
# Links PubMed itself reported from a deleted article's side (a DeleteCitation takes them along).
PUBMED_LINK_SOURCES = ("pubmed_refs", "reference_list", "comments_corrections", "citedin")
REFERENCE_COLUMNS = ("citing", "source", "position", "citation", "cited_pmid", "doi", "pmcid",
                     "is_self_reference", "retrieved_at")
# article_rows adds these to each articles row: what its own reference lists say (completeness).
STATUS_COLUMNS = ("references_status", "references_sources", "references_count", "completeness")


def stored_first_author(article: Article) -> str | None:
    """The name a cite key starts with: the family (or group) name of the author stored at position 1."""
    first = None
    for position, author in enumerate(article.get("authors") or [], start=1):
        if (author.get("position") or position) == 1:
            first = author  # a second author at position 1 replaces the first, as its upsert does
    if first is None:
        return None
    return first["last_name"] if first.get("last_name") is not None else first.get("collective_name")


def article_row(article: Article, record_source: str, now: str, bylines: list[str] | None = None) -> dict:
    """Flatten a parsed article into an ``articles`` row (``bylines``: its authors' display names)."""
    journal = article.get("journal") or {}
    if bylines is None:
        bylines = [author_display(a) for a in article.get("authors") or []]
    return {
        "pmid": article["pmid"],
        "title": article.get("title"),
        "abstract": article.get("abstract"),
        "authors": ", ".join(filter(None, bylines)) or None,
        "journal": journal.get("title"),
        "journal_iso": journal.get("iso_abbreviation"),
        "journal_id": journal_id(journal),
        "issn": journal.get("issn") or journal.get("issn_linking"),
        "year": article.get("year"),
        "month": article.get("month"),
        "day": article.get("day"),
        "pub_date": article.get("pub_date"),
        "volume": article.get("volume"),
        "issue": article.get("issue"),
        "pages": article.get("pages"),
        "article_number": article.get("article_number"),
        "doi": article.get("doi"),
        "pmcid": article.get("pmcid"),
        "pii": article.get("pii"),
        "language": "; ".join(article.get("languages") or []) or None,
        "publication_types": _json([p["name"] for p in article.get("publication_types") or []]),
        "mesh_terms": _json([m["descriptor"] for m in article.get("mesh_headings") or []]),
        "keywords": _json(article.get("keywords") or []),
        "abstract_sections": _json(article.get("abstract_sections") or []),
        "copyright": article.get("copyright"),
        "record_type": article.get("record_type", "article"),
        "medline_status": article.get("medline_status"),
        "publication_status": article.get("publication_status"),
        "date_revised": article.get("date_revised"),
        "is_retracted": int(bool(article.get("is_retracted"))),
        "is_retraction_notice": int(bool(article.get("is_retraction_notice"))),
        "related_notices": _json(article.get("related_notices") or []),
        "book_title": article.get("book_title"),
        "publisher": article.get("publisher"),
        "record_source": record_source,
        "source_url": article.get("source_url"),
        "field_sources": _json(article.get("field_sources") or {}),
        "cite_key_base": key_base(stored_first_author(article), article.get("year"), article.get("title")),
        "fetched_at": now,
        "updated_at": now,
    }


def _upsert_sql(table: str, columns: list[str], pk: tuple[str, ...]) -> str:
    names = ", ".join(f"[{c}]" for c in columns)
    marks = placeholders(columns)
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c not in pk)
    conflict = ", ".join(pk)
    return (
        f"INSERT INTO [{table}] ({names}) VALUES ({marks}) "
        f"ON CONFLICT({conflict}) DO UPDATE SET {updates}"
    )


def _upsert_rows(db, table: str, pk: tuple[str, ...], rows: TableRows) -> None:
    if rows.values:
        db.conn.executemany(_upsert_sql(table, list(rows.columns), pk), rows.values)


def save_articles(
    db: sqlite_utils.Database,
    articles: Iterable[Article],
    record_source: str = "efetch",
    now: str | None = None,
) -> list[int]:
    """Upsert articles with their authors, journal, MeSH terms and references.

    Re-saving an article replaces its child rows, so a second run leaves the
    same rows as the first. Returns the PMIDs saved, in input order.
    """
    now = now or utc_now()
    return save_article_rows(db, article_rows(list(articles), record_source, now))


def article_rows(articles: list[Article], record_source: str, now: str) -> dict[str, TableRows]:
    """Every row that saving these articles writes, by table; pure, so a bulk
    import builds them in its parsing process (litbase.imports.pubmed_batches)."""
    journals, authors, authorships, terms, headings, references = {}, {}, [], {}, [], []
    article_columns, article_values = (), []
    for article in articles:
        pmid = article["pmid"]
        journal = article.get("journal") or {}
        journal_key = journal_id(journal)
        if journal_key:
            journals[journal_key] = (
                journal_key, journal.get("title"), journal.get("iso_abbreviation"), journal.get("issn"),
                journal.get("issn_linking"), journal.get("nlm_unique_id"), journal.get("country"))
        bylines = []
        for position, author in enumerate(article.get("authors") or [], start=1):
            key = author_key(author)
            author_id = stable_id(key)
            byline = author_display(author)
            bylines.append(byline)
            get = author.get
            authors[key] = (author_id, key, byline or None, get("last_name"), get("fore_name"),
                            get("initials"), get("suffix"), get("collective_name"), get("orcid"))
            authorships.append((pmid, get("position") or position, author_id,
                                "; ".join(get("affiliations") or []) or None, get("last_name"),
                                get("fore_name"), get("initials"), get("suffix"),
                                get("collective_name")))
        for heading in article.get("mesh_headings") or []:
            term = mesh_id(heading)
            terms[term] = (term, heading["descriptor"])
            headings.append((pmid, term, int(bool(heading.get("major_topic"))),
                             _json(heading.get("qualifiers") or [])))
        own_references = _reference_values(pmid, article.get("references") or [], now)
        references.extend(own_references)
        row = article_row(article, record_source, now, bylines)
        article_columns = article_columns or (*row, *STATUS_COLUMNS)
        article_values.append((*row.values(), *own_reference_status(
            own_references, row["title"], row["abstract"], record_source)))
    return {
        "articles": TableRows(article_columns, article_values),
        "journals": TableRows(JOURNAL_COLUMNS, list(journals.values())),
        "authors": TableRows(AUTHOR_COLUMNS, list(authors.values())),
        "articles_authors": TableRows(AUTHORSHIP_COLUMNS, authorships),
        "mesh_terms": TableRows(MESH_TERM_COLUMNS, list(terms.values())),
        "articles_mesh_terms": TableRows(HEADING_COLUMNS, headings),
        "article_references": TableRows(REFERENCE_COLUMNS, references),
    }


def save_article_rows(db: sqlite_utils.Database, rows: dict[str, TableRows]) -> list[int]:
    """Write what ``article_rows`` built; returns the PMIDs saved, in input order."""
    articles = rows["articles"]
    if not articles.values:
        return []
    pmids = [values[0] for values in articles.values]
    # Each row carries the reference status its own lists give; where more is stored (an
    # article saved before, links saved without their record, a PMID twice in one call), it is
    # recomputed from the tables once everything is written.
    recompute = with_stored_references(db, pmids)
    if len(set(pmids)) < len(pmids):
        recompute.update(pmid for pmid, n in Counter(pmids).items() if n > 1)
    _upsert_rows(db, "articles", ("pmid",), articles)
    _replace_children(db, pmids)
    _upsert_rows(db, "journals", ("id",), rows["journals"])
    _upsert_rows(db, "authors", ("id",), rows["authors"])
    _upsert_rows(db, "articles_authors", ("pmid", "position"), rows["articles_authors"])
    _upsert_rows(db, "mesh_terms", ("id",), rows["mesh_terms"])
    _upsert_rows(db, "articles_mesh_terms", ("pmid", "mesh_id"), rows["articles_mesh_terms"])
    _save_reference_table(db, rows["article_references"])
    refresh_reference_status(db, [pmid for pmid in pmids if pmid in recompute])
    return pmids


# A row with nothing but its PMID keys as an article without author, year or title.
PLACEHOLDER_KEY_BASE = key_base(None, None, None)


def save_placeholders(db: sqlite_utils.Database, pmids: Iterable[int], now: str) -> None:
    """An articles row with nothing but its PMID (record_source ``import``) for each PMID not stored
    yet, so a listed article is a member before its record is fetched; stored rows are left alone."""
    db.conn.executemany(
        "INSERT OR IGNORE INTO articles (pmid, record_source, updated_at, cite_key_base)"
        " VALUES (?, 'import', ?, ?)", [(p, now, PLACEHOLDER_KEY_BASE) for p in pmids])


def _replace_children(db, pmids: list[int]) -> None:
    for table in ("articles_authors", "articles_mesh_terms"):
        execute_in(db, f"DELETE FROM [{table}] WHERE pmid IN ({IDS})", pmids)


def _reference_values(citing: int, references: list[Reference], now: str) -> list[tuple]:
    """``article_references`` rows (REFERENCE_COLUMNS) for one article's list."""
    return [
        (citing, ref.get("source") or "reference_list", ref.get("position") or position,
         ref.get("citation"), ref.get("pmid"), ref.get("doi"), ref.get("pmcid"),
         # A list that names its own article (the seed's reference 47 is the
         # seed) is kept as printed but never counted as a link.
         int(ref.get("pmid") == citing), now)
        for position, ref in enumerate(references, start=1)
    ]


def save_reference_rows(db: sqlite_utils.Database, rows: list[dict]) -> None:
    """Store reference-list entries (dicts with REFERENCE_COLUMNS) and the PMID-to-PMID links they state."""
    values = itemgetter(*REFERENCE_COLUMNS)  # in C
    _save_reference_table(db, TableRows(REFERENCE_COLUMNS, list(map(values, rows))))


def _save_reference_table(db: sqlite_utils.Database, rows: TableRows) -> None:
    if not rows.values:
        return
    # A source's list replaces its previous version, links included: a corrected
    # record (a PubMed update file revises thousands) may have dropped an entry.
    stale = list({(r[0], r[1]) for r in rows.values})
    db.conn.executemany("DELETE FROM article_references WHERE citing = ? AND source = ?", stale)
    db.conn.executemany("DELETE FROM citations WHERE citing = ? AND source = ?", stale)
    _upsert_rows(db, "article_references", ("citing", "source", "position"), rows)
    # (citing, cited_pmid, source, retrieved_at) for entries naming another PubMed article.
    save_citations(db, [(r[0], r[4], r[1], r[8]) for r in rows.values if r[4] and not r[7]])


def save_citations(db: sqlite_utils.Database, links: Iterable[tuple]) -> None:
    """Store (citing, cited, source, retrieved_at) links; a link seen again keeps its row."""
    db.conn.executemany(
        "INSERT INTO citations (citing, cited, source, retrieved_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(citing, cited, source) DO UPDATE SET retrieved_at = excluded.retrieved_at",
        [link for link in links if link[0] != link[1]],
    )


def save_links(db: sqlite_utils.Database, linksets: Iterable[dict], now: str | None = None) -> list[int]:
    """Store what elink said of each article: references, citing articles, similar ones."""
    now = now or utc_now()
    linked = []
    for linkset in linksets:
        pmid = linkset["pmid"]
        if linkset.get("error"):
            continue
        linked.append(pmid)
        refs = [(pmid, cited, "pubmed_refs", now) for cited in linkset.get("refs") or []]
        citers = [(citing, pmid, "citedin", now) for citing in linkset.get("cited_by") or []]
        save_citations(db, refs + citers)
        similar = [
            (pmid, other, score, rank, now)
            for rank, (other, score) in enumerate(linkset.get("similar") or [], start=1)
        ]
        db.conn.execute("DELETE FROM similar_articles WHERE pmid = ?", [pmid])
        db.conn.executemany(
            "INSERT OR REPLACE INTO similar_articles (pmid, similar_pmid, score, rank, retrieved_at)"
            " VALUES (?, ?, ?, ?, ?)",
            similar,
        )
        db.conn.execute(
            "UPDATE articles SET links_fetched_at = ?, cited_by_count = ? WHERE pmid = ?",
            [now, len(linkset.get("cited_by") or []), pmid],
        )
    refresh_reference_status(db, linked)
    return linked


def delete_articles(db: sqlite_utils.Database, pmids: list[int], detail: str, now: str) -> int:
    """Remove articles with their child rows and PubMed's links from them; log each in changes."""
    if not pmids:
        return 0
    for table, column in (("articles_authors", "pmid"), ("articles_mesh_terms", "pmid"),
                          ("article_references", "citing"), ("similar_articles", "pmid")):
        execute_in(db, f"DELETE FROM [{table}] WHERE [{column}] IN ({IDS})", pmids)
    execute_in(db, f"DELETE FROM citations WHERE citing IN ({IDS})"
               f" AND source IN ({placeholders(PUBMED_LINK_SOURCES)})", pmids, PUBMED_LINK_SOURCES)
    # The articles_fts rows go with them, through the delete trigger (or the bulk importer's upkeep).
    execute_in(db, f"DELETE FROM articles WHERE pmid IN ({IDS})", pmids)
    record_changes(db, [{"pmid": pmid, "what": "deleted", "detail": detail} for pmid in pmids], None, now)
    return len(pmids)


def record_fetch(db: sqlite_utils.Database, request: dict) -> None:
    """Log one E-utilities request (the client has already removed any API key)."""
    row = {column: request.get(column) for column in (
        "started_at", "endpoint", "method", "status", "bytes", "seconds", "attempt",
        "outcome", "error")}
    # Defence in depth: the client strips the key, and so does this.
    params = {k: v for k, v in (request.get("params") or {}).items() if k.lower() != "api_key"}
    row["params"] = json.dumps(params, sort_keys=True)
    with db.conn:
        db["fetches"].insert(row)

