"""Choose articles (PMIDs, a collection, a SQL query) and load them as full records.

``load_articles`` turns stored rows back into the ``records.Article`` shape the
parsers produce, authors in byline order, so every writer reads one shape
whether a record came from PubMed or from a file. It yields in batches, so
an export of a whole database never holds it in memory.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator

import sqlite_utils

from litbase.model.ids import chunks
from litbase.store.cite_keys import cite_key_reader
from litbase.store.sql import placeholders

BATCH = 500


class SelectionError(ValueError):
    """The selection cannot be made: unknown collection, bad or non-SELECT SQL."""


def all_pmids(db: sqlite_utils.Database) -> list[int]:
    """Every stored article's PMID, in PMID order."""
    return [row[0] for row in db.conn.execute("SELECT pmid FROM articles ORDER BY pmid")]


def stored_rows(db: sqlite_utils.Database, pmids: Iterable[int]) -> dict[int, dict]:
    """The ``articles`` rows of these PMIDs as dicts, by PMID (unknown PMIDs are left out)."""
    rows = {}
    for chunk in chunks(list(pmids), BATCH):
        cursor = db.conn.execute(f"SELECT * FROM articles WHERE pmid IN ({placeholders(chunk)})", chunk)
        names = [d[0] for d in cursor.description]
        rows.update((row[0], dict(zip(names, row))) for row in cursor)
    return rows


def _exists(db, table: str) -> bool:
    return db.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           [table]).fetchone() is not None


def collection_pmids(db: sqlite_utils.Database, name: str) -> list:
    """A collection's members: its PMIDs (shallowest first), then the ``unmatched_records``
    ids (strings) of its records without a PMID, in the order they were imported."""
    if not _exists(db, "collections") or not db.conn.execute(
            "SELECT 1 FROM collections WHERE name = ?", [name]).fetchone():
        raise SelectionError(f"No collection named {name!r}")
    rows = db.conn.execute(
        "SELECT pmid FROM collections_articles WHERE collection = ?"
        " GROUP BY pmid ORDER BY min(depth), min(rowid)",
        [name],
    )
    members: list = [row[0] for row in rows]
    if _exists(db, "collections_records"):
        members += [row[0] for row in db.conn.execute(
            "SELECT cr.record_id FROM collections_records cr"
            " JOIN unmatched_records u ON u.id = cr.record_id"
            " WHERE cr.collection = ? ORDER BY cr.rowid", [name])]
    return members


# Only reading is authorised: a read-only connection already refuses writes,
# and this also refuses ATTACH, PRAGMA and anything else that is not a read.
_ALLOWED = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION,
            sqlite3.SQLITE_RECURSIVE}


def _authorize(action, *args):
    return sqlite3.SQLITE_OK if action in _ALLOWED else sqlite3.SQLITE_DENY


def sql_pmids(db_path: str, sql: str) -> list[int]:
    """PMIDs from a read-only SELECT that has a ``pmid`` column, in its order."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        conn.set_authorizer(_authorize)
        try:
            cursor = conn.execute(sql)
        except sqlite3.Error as error:
            raise SelectionError(f"--sql must be a single read-only SELECT: {error}")
        names = [d[0].lower() for d in cursor.description or []]
        if "pmid" not in names:
            raise SelectionError("--sql must return a column named pmid")
        index = names.index("pmid")
        pmids = [row[index] for row in cursor if row[index] is not None]
    finally:
        conn.close()
    return list(dict.fromkeys(int(p) for p in pmids))


def select_pmids(db, pmids: Iterable[int] = (), collection: str | None = None,
                 sql: str | None = None, db_path: str | None = None) -> list[int]:
    """The union of every selection given, in order, each PMID once."""
    chosen = list(pmids)
    if collection:
        chosen += collection_pmids(db, collection)
    if sql:
        chosen += sql_pmids(db_path, sql)
    return list(dict.fromkeys(chosen))


# json's C scanner: json.loads goes through three Python layers to reach it, and an
# export of 1,000 articles decodes 15,000 stored values.
_SCAN = json.JSONDecoder().scan_once


def _loads(value, default):
    if not value:
        return default
    try:
        decoded, end = _SCAN(value, 0)
    except (StopIteration, ValueError):
        end = -1
    # Leading or trailing whitespace, or a value that is not JSON: json.loads decides (or raises).
    return decoded if end == len(value) else json.loads(value)


def _split(value: str | None) -> list[str]:
    if not value:
        return []
    parts = value.split("; ")
    # An empty part ("a; ; b", a trailing "; ") is rare: the list is filtered only then.
    return parts if "" not in parts else [part for part in parts if part]


def load_articles(db: sqlite_utils.Database, pmids: Iterable,
                  cite_keys: bool = True, mesh_names: MeshNames | None = None) -> Iterator[dict]:
    """Full Article dicts for these PMIDs, in the order given; unknown PMIDs are skipped.

    A string is the id of a record without a PMID (``unmatched_records``): it loads
    as the Article its file gave, with ``pmid`` None (and no stored cite key: the
    writer makes one from its byline, year and title). ``mesh_names``: the names of
    MeSH descriptors kept from an earlier load on the same connection (a server's).
    """
    keys = cite_key_reader(db) if cite_keys else None
    pmids = list(pmids)
    columns = _article_select(db.conn) if pmids else None
    mesh_names = mesh_names or MeshNames()
    for start in range(0, len(pmids), BATCH):
        batch = pmids[start:start + BATCH]
        stored = [p for p in batch if not isinstance(p, str)]
        loaded = _load_batch(db, stored, columns, mesh_names)
        if keys:
            keys.prepare(stored)
        loaded.update(_load_unmatched(db, [p for p in batch if isinstance(p, str)]))
        for pmid in batch:
            if pmid in loaded:
                article = loaded[pmid]
                if keys and not isinstance(pmid, str):
                    article["cite_key"] = keys(pmid, article.get("year"))
                yield article


def _load_unmatched(db, ids: list[str]) -> dict[str, dict]:
    if not ids:
        return {}
    found = {}
    for key, record in db.conn.execute(
            f"SELECT id, record FROM unmatched_records WHERE id IN ({placeholders(ids)})", ids):
        article = {**_article_defaults(), **_loads(record, {})}
        article["pmid"] = None
        article["unmatched_id"] = key
        found[key] = article
    if found and _exists(db, "collections_records"):
        for key, collection, role in db.conn.execute(
                "SELECT record_id, collection, role FROM collections_records"
                f" WHERE record_id IN ({placeholders(ids)}) ORDER BY rowid", ids):
            if key in found:
                found[key].setdefault("collections", []).append(
                    {"collection": collection, "role": role, "depth": 0, "seed_pmid": None})
    return found


def _article_defaults() -> dict:
    """The empty Article: what a stub record (an unresolved DOI of an ID list) lacks."""
    return {"record_type": "article", "title": None, "abstract": None, "abstract_sections": [],
            "journal": {}, "year": None, "month": None, "day": None, "pub_date": None,
            "volume": None, "issue": None, "pages": None, "article_number": None, "doi": None,
            "pmcid": None, "pii": None, "languages": [], "publication_types": [],
            "mesh_headings": [], "keywords": [], "authors": [], "related_notices": [],
            "is_retracted": False, "is_retraction_notice": False, "record_source": "import",
            "collections": []}


# The five parts of an author's name as this record wrote them (articles_authors), or all five
# from the shared authors row when the record's are all NULL (stored before they were kept):
# chosen by SQLite, so the shared row's strings are not made into Python ones only to be dropped.
_NAME_PARTS = ("last_name", "fore_name", "initials", "suffix", "collective_name")
_NO_OWN_NAME = " AND ".join(f"aa.{part} IS NULL" for part in _NAME_PARTS)
_BYLINE_NAME = ", ".join(f"CASE WHEN {_NO_OWN_NAME} THEN au.{part} ELSE aa.{part} END" for part in _NAME_PARTS)

# The columns a record is made of, in the order _article takes them: only these are read
# (not the 53 of the row: counts, iCite figures, the display strings of the site).
_ARTICLE_COLUMNS = (
    "a.record_type", "a.pmid", "a.title", "a.abstract", "a.abstract_sections", "a.copyright",
    "a.journal", "a.journal_iso", "a.issn", "j.issn_linking", "j.nlm_unique_id", "j.country",
    "a.year", "a.month", "a.day", "a.pub_date", "a.volume", "a.issue", "a.pages", "a.article_number",
    "a.doi", "a.pmcid", "a.pii", "a.language", "a.publication_types", "a.keywords",
    "a.related_notices", "a.is_retracted", "a.is_retraction_notice", "a.medline_status",
    "a.publication_status", "a.date_revised", "a.source_url", "a.field_sources", "a.record_source",
    "a.book_title", "a.publisher",
)


def _article_select(conn) -> str:
    """The record's columns as this file has them: one an older litbase did not write reads as NULL."""
    present = {"a." + d[0] for d in conn.execute("SELECT * FROM articles LIMIT 0").description}
    present |= {"j." + d[0] for d in conn.execute("SELECT * FROM journals LIMIT 0").description}
    return ", ".join(c if c in present else "NULL" for c in _ARTICLE_COLUMNS)


def _load_batch(db, pmids: list[int], columns: str, mesh_names: MeshNames) -> dict[int, dict]:
    marks = placeholders(pmids)
    conn = db.conn
    articles = {}
    for row in conn.execute(
        f"SELECT {columns} FROM articles a"
        f" LEFT JOIN journals j ON j.id = a.journal_id WHERE a.pmid IN ({marks})",
        pmids,
    ):
        articles[row[1]] = _article(*row)
    # The name as this article's record wrote it (articles_authors); rows stored before
    # it was kept there fall back to the shared authors row.
    for pmid, position, last, fore, initials, suffix, collective, orcid, affiliation in conn.execute(
        f"SELECT aa.pmid, aa.position, {_BYLINE_NAME}, au.orcid, aa.affiliation"
        " FROM articles_authors aa"
        f" LEFT JOIN authors au ON au.id = aa.author_id WHERE aa.pmid IN ({marks})"
        " ORDER BY aa.pmid, aa.position",
        pmids,
    ):
        person = {"position": position, "last_name": last, "fore_name": fore,
                  "initials": initials, "suffix": suffix, "collective_name": collective,
                  "orcid": orcid, "affiliations": _split(affiliation)}
        articles[pmid]["authors"].append(person)
    # Which collections hold each article, and how it was reached (role, hop, seed):
    # the writers' provenance (RIS N1, the CSV's collection/seed_pmid/hop/direction).
    if _exists(db, "collections_articles"):
        for pmid, collection, role, depth, seed in conn.execute(
            "SELECT pmid, collection, role, depth, seed_pmid FROM collections_articles"
            f" WHERE pmid IN ({marks}) ORDER BY pmid, collection, depth, rowid",
            pmids,
        ):
            if pmid in articles:
                articles[pmid]["collections"].append(
                    {"collection": collection, "role": role, "depth": depth, "seed_pmid": seed})
    rows = conn.execute(
        "SELECT pmid, mesh_id, major_topic, qualifiers FROM articles_mesh_terms"
        f" WHERE pmid IN ({marks}) ORDER BY rowid",
        pmids,
    ).fetchall()
    terms = mesh_names.terms(conn, {row[1] for row in rows})
    current = headings = None
    qualifier_lists: dict[str, list] = {}  # a list of qualifiers recurs ("metabolism")
    for pmid, ui, major, qualifiers in rows:
        term = terms.get(ui)
        if term is None:  # no mesh_terms row: the join this replaces left the heading out
            continue
        # In the order they were stored (rowid), which is article by article: an article's
        # list is looked up once, not once a heading (the order within it is all that counts).
        if pmid != current:
            current, headings = pmid, articles[pmid]["mesh_headings"]
        if qualifiers:
            if qualifiers not in qualifier_lists:
                qualifier_lists[qualifiers] = _loads(qualifiers, [])
            # Each heading its own list: a caller may change one record's.
            qualifiers = list(qualifier_lists[qualifiers])
        headings.append({"descriptor_ui": term[0], "descriptor": term[1], "major_topic": bool(major),
                         "qualifiers": qualifiers or []})
    return articles


class MeshNames:
    """MeSH descriptors' names, read once per connection while no one changes the database.

    An export of 1,000 articles names 9,195 headings of 2,000-odd descriptors:
    joining each heading to ``mesh_terms`` cost more than reading the names
    already known from this dict. They are read again when the database changed
    since they were read: ``PRAGMA data_version`` moves when another connection
    commits, ``total_changes`` when this one writes.
    """

    def __init__(self):
        self.state = None
        self.known: dict[str, tuple] = {}  # mesh_id -> (descriptor_ui, name)

    def terms(self, conn, ids) -> dict[str, tuple]:
        """(descriptor_ui, name) of each of these ids that ``mesh_terms`` holds."""
        # Read before the names: a commit in between moves it, and the names are read again.
        state = (conn.execute("PRAGMA data_version").fetchone()[0], conn.total_changes, conn.text_factory)
        if state != self.state:
            self.state, self.known = state, {}
        unknown = [ui for ui in ids if ui not in self.known]
        for chunk in chunks(unknown, BATCH):
            for ui, name in conn.execute(
                    f"SELECT id, name FROM mesh_terms WHERE id IN ({placeholders(chunk)})", chunk):
                # A term without a descriptor UI is stored by its name ("name:...").
                self.known[ui] = (None if ui.startswith("name:") else ui, name)
        return self.known


def _article(record_type, pmid, title, abstract, abstract_sections, copyright, journal, journal_iso,
             issn, issn_linking, nlm_unique_id, country, year, month, day, pub_date, volume, issue,
             pages, article_number, doi, pmcid, pii, language, publication_types, keywords,
             related_notices, is_retracted, is_retraction_notice, medline_status, publication_status,
             date_revised, source_url, field_sources, record_source, book_title, publisher) -> dict:
    """An ``articles`` row (the _ARTICLE_COLUMNS, with its journal) back in the parser's Article shape."""
    return {
        "record_type": record_type or "article",
        "pmid": pmid,
        "title": title,
        "abstract": abstract,
        "abstract_sections": _loads(abstract_sections, []),
        "copyright": copyright,
        "journal": {
            "title": journal,
            "iso_abbreviation": journal_iso,
            "issn": issn,
            "issn_linking": issn_linking,
            "nlm_unique_id": nlm_unique_id,
            "country": country,
        },
        "year": year,
        "month": month,
        "day": day,
        "pub_date": pub_date,
        "volume": volume,
        "issue": issue,
        "pages": pages,
        "article_number": article_number,
        "doi": doi,
        "pmcid": pmcid,
        "pii": pii,
        "languages": _split(language),
        "publication_types": [{"ui": None, "name": n} for n in _loads(publication_types, [])],
        "mesh_headings": [],
        "keywords": _loads(keywords, []),
        "authors": [],
        "collections": [],
        "related_notices": _loads(related_notices, []),
        "is_retracted": bool(is_retracted),
        "is_retraction_notice": bool(is_retraction_notice),
        "medline_status": medline_status,
        "publication_status": publication_status,
        "date_revised": date_revised,
        "source_url": source_url,
        "field_sources": _loads(field_sources, {}),
        "record_source": record_source,
        # articles.book_title and publisher, for chapters and PubMed book records.
        "book_title": book_title,
        "publisher": publisher,
    }
