"""The database's shape, as data, applied by one idempotent function.

Tables are declared explicitly because type inference from the first batch
would be wrong (a first article without a volume would make ``volume`` a
NULL-typed column). Edge tables have compound primary keys and foreign keys
that are declared but not enforced, so a link can be stored before both of its
ends have been fetched (SQLite only enforces them under ``PRAGMA
foreign_keys=ON``, which litbase never sets).
"""

from __future__ import annotations

import sqlite_utils

from litbase.store.cite_keys import fill_cite_key_bases
from litbase.store.fts import ensure_fts_index
from litbase.store.retractions import ensure_retraction_indexes
from litbase.store.site_counts import ensure_site_tables

# Column name -> type. ``articles`` is the one wide table every view reads.
ARTICLE_COLUMNS = {
    "pmid": int,
    "title": str,
    "abstract": str,
    "authors": str,  # "Jain A, Tabatabai R, ..." as PubMed prints a byline
    "journal": str,  # full title
    "journal_iso": str,
    "journal_id": str,
    "issn": str,
    "year": int,
    "month": int,
    "day": int,
    "pub_date": str,
    "volume": str,
    "issue": str,
    "pages": str,
    "article_number": str,
    "doi": str,
    "pmcid": str,
    "pii": str,
    "language": str,  # ISO 639-2 codes, "; "-separated
    "publication_types": str,  # JSON array, for Datasette's _facet_array
    "mesh_terms": str,  # JSON array of descriptor names
    "keywords": str,  # JSON array
    "abstract_sections": str,  # JSON array of {label, nlm_category, text}
    "copyright": str,
    "record_type": str,  # article | book
    "medline_status": str,
    "publication_status": str,
    "date_revised": str,
    "is_retracted": int,
    "is_retraction_notice": int,
    "related_notices": str,  # JSON array
    "references_status": str,  # see REFERENCES_STATUS
    "references_sources": str,  # which sources gave the list, "; "-separated
    "references_count": int,
    "cited_by_count": int,  # citing articles PubMed links to (PMC only)
    "completeness": str,  # what this record lacks, in words
    "book_title": str,  # book chapters and PubMed book records
    "publisher": str,
    "record_source": str,  # efetch | dataset | import | ...
    "source_url": str,  # where the record's facts were read
    "field_sources": str,  # JSON {field group: source}
    "fetched_at": str,  # when the full record was stored
    "links_fetched_at": str,  # when elink was last asked for its links
    "updated_at": str,
    # NIH iCite's metrics (litbase.grow.links); NULL until iCite has been asked.
    "icite_citation_count": int,
    "relative_citation_ratio": float,
    "nih_percentile": float,
    "is_research_article": int,
    "is_clinical": int,
    "icite_provisional": int,  # 1: the RCR of a recent article, still moving
    "cites_retracted": int,  # retracted articles stored here that it cites; NULL: none (store.retractions)
    "cite_key_base": str,  # its cite key before a/b/c (store.cite_keys); NULL: not computed yet
}

REFERENCES_STATUS = {
    "unknown": "nobody has looked for this article's reference list yet",
    "unavailable": "PubMed was asked and no source lists its references "
    "(it may still cite other work)",
    "known": "at least one source gives its reference list (see references_sources)",
}

TABLES = {
    "articles": dict(columns=ARTICLE_COLUMNS, pk="pmid"),
    "journals": dict(
        columns={
            "id": str,  # NLM unique ID, else ISSN, else the title
            "title": str,
            "iso_abbreviation": str,
            "issn": str,
            "issn_linking": str,
            "nlm_unique_id": str,
            "country": str,
        },
        pk="id",
    ),
    "authors": dict(
        columns={
            "id": int,  # stable hash of the identity key, see store.author_key
            "key": str,
            "name": str,
            "last_name": str,
            "fore_name": str,
            "initials": str,
            "suffix": str,
            "collective_name": str,
            "orcid": str,
        },
        pk="id",
    ),
    "articles_authors": dict(
        columns={
            "pmid": int,
            "position": int,
            "author_id": int,
            "affiliation": str,  # every affiliation, "; "-separated
            # The name as this article's record wrote it: authors holds one row per
            # ORCID or case-folded name, whose spelling is whichever record came last.
            "last_name": str,
            "fore_name": str,
            "initials": str,
            "suffix": str,
            "collective_name": str,
        },
        pk=("pmid", "position"),
        foreign_keys=[("pmid", "articles", "pmid"), ("author_id", "authors", "id")],
    ),
    "mesh_terms": dict(columns={"id": str, "name": str}, pk="id"),
    "articles_mesh_terms": dict(
        columns={"pmid": int, "mesh_id": str, "major_topic": int, "qualifiers": str},
        pk=("pmid", "mesh_id"),
        foreign_keys=[("pmid", "articles", "pmid"), ("mesh_id", "mesh_terms", "id")],
    ),
    "citations": dict(
        columns={"citing": int, "cited": int, "source": str, "retrieved_at": str},
        pk=("citing", "cited", "source"),
        foreign_keys=[("citing", "articles", "pmid"), ("cited", "articles", "pmid")],
    ),
    # Every entry of a reference list as printed, with or without a PMID.
    "article_references": dict(
        columns={
            "citing": int,
            "source": str,
            "position": int,
            "citation": str,
            "cited_pmid": int,
            "doi": str,
            "pmcid": str,
            "is_self_reference": int,  # the list names the citing article itself
            "retrieved_at": str,
        },
        pk=("citing", "source", "position"),
        foreign_keys=[("citing", "articles", "pmid"), ("cited_pmid", "articles", "pmid")],
    ),
    "similar_articles": dict(
        columns={
            "pmid": int,
            "similar_pmid": int,
            "score": int,
            "rank": int,
            "retrieved_at": str,
        },
        pk=("pmid", "similar_pmid"),
        foreign_keys=[("pmid", "articles", "pmid"), ("similar_pmid", "articles", "pmid")],
    ),
    # Works known to cite an article but with no PMID (so no articles row).
    "citing_works": dict(
        columns={
            "id": str,  # DOI when known, else a slug of the title
            "cited_pmid": int,
            "title": str,
            "authors": str,
            "journal": str,
            "journal_iso": str,
            "year": int,
            "volume": str,
            "issue": str,
            "pages": str,
            "doi": str,
            "source_url": str,
            "evidence": str,
            "notes": str,
        },
        pk="id",
        foreign_keys=[("cited_pmid", "articles", "pmid")],
    ),
    "collections": dict(
        columns={
            "name": str,
            "title": str,
            "description": str,
            "seed_pmids": str,  # JSON array
            "query": str,
            "query_count": int,
            "stored_count": int,
            "facts_gathered_on": str,
            "source": str,
            "created_at": str,
            "updated_at": str,
        },
        pk="name",
    ),
    "collections_articles": dict(
        columns={
            "collection": str,
            "pmid": int,
            "role": str,  # seed | reference | citing | similar | search | import
            "depth": int,
            "seed_pmid": int,
            "added_at": str,
        },
        pk=("collection", "pmid", "role"),
        foreign_keys=[("collection", "collections", "name"), ("pmid", "articles", "pmid")],
    ),
    # Which citation source (icite, europepmc) was asked about which article,
    # when, and how long its lists were: an empty list is only "cites nothing
    # known" when the source was asked (litbase.grow.links).
    "article_sources": dict(
        columns={
            "pmid": int,
            "source": str,
            "fetched_at": str,
            "status": str,  # found | not_found | failed (asked, no usable answer: asked again next run)
            "references_count": int,  # entries of its reference list (0: none known)
            "cited_by_count": int,  # citing works it lists
            "error": str,  # why it failed (status failed), else empty
        },
        pk=("pmid", "source"),
        foreign_keys=[("pmid", "articles", "pmid")],
    ),
    # PubMed baseline and update files imported (litbase.imports.pubmed): a rerun
    # skips a file whose content (sha256) is done and resumes an interrupted one.
    "pubmed_files": dict(
        columns={
            "name": str,  # pubmed25n1298.xml.gz
            "path": str,
            "size": int,
            "sha256": str,
            "records_done": int,  # records (articles and deletions) committed, in file order
            "articles": int,
            "deletions": int,  # PMIDs removed by DeleteCitation
            "status": str,  # importing | done | failed
            "error": str,  # what stopped a failed file, with its line
            "started_at": str,
            "imported_at": str,
        },
        pk="name",
    ),
    "missing_pmids": dict(
        columns={"pmid": int, "reason": str, "first_seen": str, "last_checked": str},
        pk="pmid",
    ),
    # What `litbase refresh` found had changed at PubMed since the last look.
    "changes": dict(
        columns={
            "id": int,
            "pmid": int,  # the article that changed (or gained a citing/similar article)
            "what": str,  # new_citing | new_similar | record_corrected | retracted | erratum | expression_of_concern
            "related_pmid": int,  # the new citing or similar article, the retraction notice
            "detail": str,
            "collection": str,  # the collection being refreshed, if one was named
            "detected_at": str,
        },
        pk="id",
        foreign_keys=[("pmid", "articles", "pmid"), ("related_pmid", "articles", "pmid")],
    ),
    "fetches": dict(
        columns={
            "id": int,
            "started_at": str,
            "endpoint": str,
            "method": str,
            "params": str,  # JSON, never carrying api_key
            "status": int,
            "bytes": int,
            "seconds": float,
            "attempt": int,
            "outcome": str,
            "error": str,
        },
        pk="id",
    ),
    # Derived by graph_store.update_graph; never part of a dataset folder.
    "graph_runs": dict(
        columns={
            "id": int,
            "computed_at": str,
            "articles": int,
            "citations": int,
            "cocitation_pairs": int,
            "cocitation_min_count": int,
            "coupling_pairs": int,
            "coupling_min_count": int,
            "seconds": float,
            "inputs": str,  # fingerprint of articles, links and seeds, see graph_store
        },
        pk="id",
        foreign_keys=[],
    ),
    "article_metrics": dict(
        columns={
            "pmid": int,
            "citations_received": int,  # from articles in this database
            "citations_made": int,
            "pagerank": float,
            "community": int,
            "hops_from_seed": int,
            "computed_at": str,
        },
        pk="pmid",
        foreign_keys=[("pmid", "articles", "pmid")],
    ),
    # Each article's place on the network map (litbase.graph.layout), in 0..1, and its
    # rank by citations received (0: the most cited), the order the network page draws in; derived.
    "article_layout": dict(
        columns={"pmid": int, "x": float, "y": float, "rank": int},
        pk="pmid",
        foreign_keys=[("pmid", "articles", "pmid")],
    ),
    "cocitations": dict(
        columns={"a": int, "b": int, "count": int},
        pk=("a", "b"),
        foreign_keys=[("a", "articles", "pmid"), ("b", "articles", "pmid")],
    ),
    "bibliographic_coupling": dict(
        columns={"a": int, "b": int, "count": int},
        pk=("a", "b"),
        foreign_keys=[("a", "articles", "pmid"), ("b", "articles", "pmid")],
    ),
    # Imported records with no PMID yet, kept whole and matched later by DOI.
    "unmatched_records": dict(columns={
        # doi:<lowercase DOI>, else the file's own record: file:<source_file>#line <line>
        # (#record <n> when the reader gave no line); never title and year, which two
        # different works share ("Editorial", 2020).
        "id": str,
        "doi": str,  # lowercase: DOIs are case-insensitive
        "title": str,
        "year": int,
        "first_author": str,
        "source_file": str,
        "line": int,
        "format": str,
        "collection": str,  # joined on matching
        "record": str,  # the Article dict as JSON
        "imported_at": str,
    }, pk="id"),
    # Which collections a record of unmatched_records was imported into (its own
    # ``collection`` column keeps only the first); moved to collections_articles
    # when the record is matched to a PMID.
    "collections_records": dict(
        columns={"collection": str, "record_id": str, "role": str, "added_at": str},
        pk=("collection", "record_id"),
        foreign_keys=[("collection", "collections", "name"),
                      ("record_id", "unmatched_records", "id")],
    ),
    # Screening decisions, one row per decision ever made (litbase.store.screening):
    # a reviewer's current decision is their latest row; history is never overwritten.
    "screening": dict(
        columns={
            "id": int,
            "collection": str,
            "pmid": int,
            "reviewer": str,
            "stage": str,  # title_abstract | full_text
            "decision": str,  # include | exclude | maybe
            "reason": str,  # one of the collection's screening_reasons, or free text from a CSV
            "note": str,
            "decided_at": str,  # UTC, ISO 8601 with microseconds
        },
        pk="id",
        foreign_keys=[("collection", "collections", "name"), ("pmid", "articles", "pmid")],
    ),
    # Each run of a command that changes a collection (litbase.store.runs), for the methods log of
    # `litbase report`: the command line without secrets (never the API key or the e-mail).
    "runs": dict(
        columns={
            "id": int,
            "command": str,  # fetch | search | import | ...
            "command_line": str,
            "collection": str,
            "litbase_version": str,
            "started_at": str,
            "finished_at": str,  # empty: interrupted or failed
            "outcome": str,  # ok | failed (exit status not 0)
            "counts": str,  # JSON: what the run stored, e.g. records per hop
        },
        pk="id",
    ),
    "screening_reasons": dict(
        columns={"collection": str, "reason": str, "position": int},
        pk=("collection", "reason"),
        foreign_keys=[("collection", "collections", "name")],
    ),
    # When a reviewer first asked to see the others' decisions (blind review ends
    # for them there; a methods section may need to say so).
    "screening_comparisons": dict(
        columns={"collection": str, "reviewer": str, "stage": str, "compared_at": str},
        pk=("collection", "reviewer", "stage"),
        foreign_keys=[("collection", "collections", "name")],
    ),
    # What the dataset's sources said beyond the fields PubMed has (how sure a
    # match is, the journal's own article-type label, notes, other pages that
    # carry the record). It has no place in the PubMed-shaped tables, and dropping
    # it would lose provenance, so the dataset layer keeps its own table.
    "article_provenance": dict(
        columns={
            "pmid": int,
            "match_confidence": str,  # confirmed | probable | not_found (record matched to PMID)
            "article_type_label": str,  # the journal's section label, not a PubMed type
            "abstract_seen_at": str,
            "other_sources": str,  # JSON array of URLs that also carry the record
            "notes": str,  # JSON array of remarks by whoever gathered the facts
            "extra": str,  # JSON object: any other field of the source record, verbatim
        },
        pk="pmid",
        foreign_keys=[("pmid", "articles", "pmid")],
    ),
}

# Pair tables grow with the square of reference-list length: a 100k-article
# collection has tens of millions of coupled pairs, most sharing one reference.
# Past this many rows per table only the strongest pairs are stored (the
# threshold is recorded in graph_runs); `related` counts exact pairs itself.
PAIR_ROWS_BUDGET = 500_000

# Tables computed from the others (by `litbase graph`), left out of snapshots.
DERIVED_TABLES = {"article_metrics", "cocitations", "bibliographic_coupling", "graph_runs"}
DERIVED_TABLES.add("article_layout")

# Columns joined on or filtered by, beyond each table's primary key.
INDEXES = {
    "articles": [["year"], ["journal_id"], ["doi"], ["pmcid"], ["references_status"],
                 ["journal_iso"],  # journal_iso: a journal facet selection (issue 17)
                 # The articles an exported one's key is told apart from (year: read from the index).
                 ["cite_key_base", "year"]],
    "articles_authors": [["author_id"]],
    "articles_mesh_terms": [["mesh_id"]],
    # (cited, citing) covers "who cites X" without touching the table; the
    # primary key (citing, cited, source) already covers "what X cites".
    "citations": [["cited", "citing"], ["source"]],
    "article_references": [["cited_pmid"], ["doi"]],
    "similar_articles": [["similar_pmid"]],
    "citing_works": [["cited_pmid"]],
    "collections_articles": [["pmid"], ["seed_pmid"], ["role"]],  # role: the network page finds the seeds
    "authors": [["key"]],
    "article_sources": [["source"]],
    "changes": [["pmid"], ["what"], ["detected_at"]],
    "article_metrics": [["community"], ["hops_from_seed"], ["pagerank"]],  # pagerank: most_central
    "cocitations": [["b"]],
    "bibliographic_coupling": [["b"]],
    "unmatched_records": [["doi"]],
    "article_layout": [["rank"]],
    "collections_records": [["record_id"]],
    "screening": [["collection", "pmid", "reviewer", "stage"]],
    "runs": [["collection"]],
}

# One view joins every collection's members to their articles, so each
# collection browses (with facets) as collection_members?collection=NAME.
VIEWS = {
    "collection_members": (
        "SELECT ca.collection, ca.pmid, ca.role, ca.depth, ca.seed_pmid, a.title, a.authors,"
        " a.journal_iso, a.year, a.doi, a.references_status, a.cited_by_count, a.record_source,"
        " ca.added_at, NULL AS record_id FROM collections_articles ca LEFT JOIN articles a ON a.pmid = ca.pmid"
        # Records without a PMID are members too (collections_records), with what their file said.
        " UNION ALL SELECT cr.collection, NULL, cr.role, NULL, NULL, u.title, u.first_author,"
        " json_extract(u.record, '$.journal.iso_abbreviation'), u.year, u.doi, NULL, NULL, 'import',"
        " cr.added_at, cr.record_id FROM collections_records cr"
        " LEFT JOIN unmatched_records u ON u.id = cr.record_id"
    ),
}

# The order of the columns is the order of search's bm25 weights (litbase.store.search).
FTS_CONFIG = {"articles": ["title", "abstract", "keywords", "mesh_terms",
                           "authors", "journal", "journal_iso", "publication_types", "year"]}


def index_name(table: str, columns: list[str]) -> str:
    """The name sqlite-utils gives an index it creates."""
    return f"idx_{table}_{'_'.join(columns)}"


def ensure_indexes(db: sqlite_utils.Database) -> None:
    """Every index of INDEXES (a bulk import drops them while it loads)."""
    for name, indexes in INDEXES.items():
        for columns in indexes:
            db[name].create_index(columns, index_name=index_name(name, columns), if_not_exists=True)
    ensure_retraction_indexes(db)


def ensure_db_shape(db: sqlite_utils.Database) -> None:
    """Create every table, index and the full-text index; safe to run twice."""
    db.conn.execute("PRAGMA journal_mode=WAL")
    for name, spec in TABLES.items():
        table = db[name]
        if not table.exists():
            table.create(
                spec["columns"],
                pk=spec["pk"],
                foreign_keys=spec.get("foreign_keys"),
            )
        else:
            missing = {c: t for c, t in spec["columns"].items() if c not in table.columns_dict}
            for column, column_type in missing.items():
                table.add_column(column, column_type)
    ensure_indexes(db)
    if db.conn.in_transaction:
        fill_cite_key_bases(db)
    else:
        with db.conn:
            fill_cite_key_bases(db)
    for name, columns in FTS_CONFIG.items():
        ensure_fts_index(db, name, columns)
    for name, sql in VIEWS.items():
        # A view whose definition changed is replaced; an unchanged one is left
        # alone, so a reader's prepared statements are not invalidated every command.
        stored = db.conn.execute("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?",
                                 [name]).fetchone()
        if stored and not stored[0].endswith(sql):
            db.conn.execute(f"DROP VIEW [{name}]")
        db.create_view(name, sql, ignore=True)
    with db.conn:
        ensure_site_tables(db.conn)


def open_db(path) -> sqlite_utils.Database:
    """Open (creating if need be) a litbase database with its full shape."""
    db = sqlite_utils.Database(path)
    ensure_db_shape(db)
    return db
