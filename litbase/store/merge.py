"""Store records read from bibliography files: merge by PMID, keep the rest by DOI.

``articles.pmid`` is the INTEGER primary key, so a record a reference manager
exported without a PMID has no articles row to live in. Rather than invent
negative or synthetic PMIDs (which would leak into every join, facet and
export as if they were PubMed's), such records wait whole in
``unmatched_records``; ``match_unmatched`` merges each into the article that
shares its DOI as soon as one is stored, by any command.

Merging keeps what is stored and fills its gaps from the file: a stored
record usually came from PubMed, and a file (BibTeX above all) carries less.
"""

from __future__ import annotations

import hashlib
import json

import sqlite_utils

from litbase.model.citekeys import ascii_fold
from litbase.store.load import load_articles
from litbase.store.schema import TABLES
from litbase.store.sql import placeholders
from litbase.store.articles import save_articles, utc_now
from litbase.store.collections import add_to_collection, save_collection


def _empty(value) -> bool:
    return value is None or value == "" or value == [] or value == {}


def merge(stored: dict, incoming: dict) -> dict:
    """The stored record with its empty fields filled from the incoming one."""
    merged = dict(stored)
    for key, value in incoming.items():
        if key == "journal":
            journal = dict(stored.get("journal") or {})
            for jkey, jvalue in (value or {}).items():
                if _empty(journal.get(jkey)):
                    journal[jkey] = jvalue
            merged["journal"] = journal
        elif _empty(merged.get(key)):
            merged[key] = value
    return merged


def save_records(db: sqlite_utils.Database, records: list[dict], collection: str | None,
                 source_file: str, file_format: str) -> dict:
    """Store parsed records; the caller holds the transaction. Returns counts.

    Only plain SQL runs here (sqlite-utils' insert helpers commit on their own).
    """
    with_pmid = [r for r in records if r.get("pmid")]
    without = [r for r in records if not r.get("pmid")]
    merged = save_merged(db, with_pmid)
    now = utc_now()
    if collection:
        save_collection(db, {"name": collection, "source": f"import of {source_file}"}, keep_stored=True)
        add_to_collection(db, collection, [{"pmid": r["pmid"], "role": "import"}
                                           for r in with_pmid])
    save_unmatched(db, [_unmatched_row(r, collection, source_file, file_format, now) for r in without])
    matched = match_unmatched(db)
    return {"stored": len(with_pmid), "merged": merged, "unmatched": len(without),
            "matched_by_doi": matched}


def save_unmatched(db: sqlite_utils.Database, rows: list[dict]) -> None:
    """Keep records that have no PMID yet (``unmatched_records`` rows; a column left out is NULL)."""
    if rows:
        columns = list(TABLES["unmatched_records"]["columns"])
        db.conn.executemany(
            f"INSERT OR REPLACE INTO unmatched_records ({', '.join(columns)})"
            f" VALUES ({placeholders(columns)})",
            [[row.get(c) for c in columns] for row in rows],
        )


def save_merged(db: sqlite_utils.Database, records: list[dict], record_source: str = "import") -> int:
    """Save records by PMID, stored fields winning and the file filling their gaps; returns how
    many were stored before. A stored record keeps its record_source; a new one gets ``record_source``."""
    stored = {a["pmid"]: a for a in load_articles(db, [r["pmid"] for r in records], cite_keys=False)}
    merged_count = 0
    by_source: dict[str, list[dict]] = {}
    for record in records:
        record = {k: v for k, v in record.items() if k not in ("cite_key", "source_line")}
        if record["pmid"] in stored:
            old = stored[record["pmid"]]
            record = merge(old, record)
            merged_count += 1
            source = old.get("record_source") or record_source
        else:
            source = record_source
        by_source.setdefault(source, []).append(record)
    for source, batch in by_source.items():
        save_articles(db, batch, record_source=source)
    return merged_count


def _unmatched_row(record: dict, collection, source_file, file_format, now) -> dict:
    doi = (record.get("doi") or "").strip().lower() or None
    if doi:
        key = "doi:" + doi
    else:
        basis = f"{ascii_fold(record.get('title') or '')}|{record.get('year')}"
        key = "title:" + hashlib.sha1(basis.encode()).hexdigest()[:16]
    authors = record.get("authors") or []
    first = authors[0] if authors else {}
    return {
        "id": key,
        "doi": doi,
        "title": record.get("title"),
        "year": record.get("year"),
        "first_author": first.get("last_name") or first.get("collective_name"),
        "source_file": source_file,
        "line": record.get("source_line"),
        "format": file_format,
        "collection": collection,
        "record": json.dumps({k: v for k, v in record.items() if k != "source_line"},
                             ensure_ascii=False),
        "imported_at": now,
    }


def match_unmatched(db: sqlite_utils.Database) -> int:
    """Merge every waiting record whose DOI an article now has; returns how many."""
    if not db["unmatched_records"].exists():
        return 0
    pairs = db.conn.execute(
        "SELECT u.id, a.pmid, u.record, u.collection FROM articles a"
        " JOIN unmatched_records u ON u.doi = lower(a.doi)"
    ).fetchall()
    for key, pmid, record, collection in pairs:
        incoming = {**json.loads(record), "pmid": pmid}
        save_merged(db, [incoming])
        if collection:
            add_to_collection(db, collection, [{"pmid": pmid, "role": "import"}])
        db.conn.execute("DELETE FROM unmatched_records WHERE id = ?", [key])
    return len(pairs)
