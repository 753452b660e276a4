"""Store records read from bibliography files: merge by PMID, keep the rest by DOI.

``articles.pmid`` is the INTEGER primary key, so a record a reference manager
exported without a PMID has no articles row to live in. Rather than invent
negative or synthetic PMIDs (which would leak into every join, facet and
export as if they were PubMed's), such records wait whole in
``unmatched_records``; ``match_unmatched`` merges each into the article that
shares its DOI as soon as one is stored, by any command. Until then each is
its own record: one per DOI (compared in lower case), else one per record of
its file (``file:<path>#line N``), in the collections it was imported into
(``collections_records``), and exported with them (``store.load``).

Merging keeps what is stored and fills its gaps from the file: a stored
record usually came from PubMed, and a file (BibTeX above all) carries less.
"""

from __future__ import annotations

import json

import sqlite_utils

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
    ``unmatched``: records without a PMID, each kept as its own record;
    ``same_record``: how many of them are a record already kept (the same DOI in any
    case, or the same record of the same file imported again) and were merged with it.
    """
    with_pmid = [r for r in records if r.get("pmid")]
    without = [r for r in records if not r.get("pmid")]
    merged = save_merged(db, with_pmid)
    now = utc_now()
    if collection:
        save_collection(db, {"name": collection, "source": f"import of {source_file}"}, keep_stored=True)
        add_to_collection(db, collection, [{"pmid": r["pmid"], "role": "import"}
                                           for r in with_pmid])
    rows = [_unmatched_row(r, index, collection, source_file, file_format, now)
            for index, r in enumerate(without, start=1)]
    same_record = save_unmatched(db, rows)
    matched = match_unmatched(db)
    return {"stored": len(with_pmid), "merged": merged, "unmatched": len(without),
            "same_record": same_record, "matched_by_doi": matched}


def save_unmatched(db: sqlite_utils.Database, rows: list[dict]) -> int:
    """Keep records that have no PMID yet (``unmatched_records`` rows; a column left out is NULL).

    A row whose ``id`` is already stored (the same DOI, or the same record of the
    same file imported again) is merged with it: the stored record's fields win
    and the new one fills their gaps, and the first collection stays in
    ``collection``. Every row's collection is recorded in ``collections_records``.
    Returns how many rows were merged into one stored or given before them.
    """
    columns = list(TABLES["unmatched_records"]["columns"])
    by_id: dict[str, dict] = {}
    merged = 0
    for row in rows:
        if row["id"] in by_id:
            merged += 1
            by_id[row["id"]] = _merged_rows(by_id[row["id"]], row)
        else:
            by_id[row["id"]] = row
    if not by_id:
        return 0
    ids = list(by_id)
    stored = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        cursor = db.conn.execute(
            f"SELECT * FROM unmatched_records WHERE id IN ({placeholders(chunk)})", chunk)
        names = [d[0] for d in cursor.description]
        stored.update((values[0], dict(zip(names, values))) for values in cursor)
    for key, row in by_id.items():
        if key in stored:
            merged += 1
            by_id[key] = _merged_rows(stored[key], row)
    db.conn.executemany(
        f"INSERT OR REPLACE INTO unmatched_records ({', '.join(columns)})"
        f" VALUES ({placeholders(columns)})",
        [[row.get(c) for c in columns] for row in by_id.values()],
    )
    db.conn.executemany(
        "INSERT OR IGNORE INTO collections_records (collection, record_id, role, added_at)"
        " VALUES (?, ?, 'import', ?)",
        [(row["collection"], row["id"], row.get("imported_at")) for row in rows
         if row.get("collection")],
    )
    return merged


def _merged_rows(first: dict, later: dict) -> dict:
    """Two rows of one record: the first's fields and record win, the later fills gaps."""
    row = {k: (v if not _empty(v) else later.get(k)) for k, v in first.items()}
    for key, value in later.items():
        row.setdefault(key, value)
    if first.get("record") and later.get("record"):
        row["record"] = json.dumps(merge(json.loads(first["record"]), json.loads(later["record"])),
                                   ensure_ascii=False)
    return row


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


def unmatched_id(record: dict, index: int, source_file: str) -> str:
    """A record's identity without a PMID: its DOI in lower case, else its place in its file.

    Never its title and year: two different works share them ("Editorial", 2020).
    """
    doi = (record.get("doi") or "").strip().lower()
    if doi:
        return "doi:" + doi
    line = record.get("source_line")
    return f"file:{source_file}#" + (f"line {line}" if line else f"record {index}")


def _unmatched_row(record: dict, index: int, collection, source_file, file_format, now) -> dict:
    doi = (record.get("doi") or "").strip().lower() or None
    authors = record.get("authors") or []
    first = authors[0] if authors else {}
    return {
        "id": unmatched_id(record, index, source_file),
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
        collections = {c for (c,) in db.conn.execute(
            "SELECT collection FROM collections_records WHERE record_id = ?", [key])}
        for name in sorted(collections | ({collection} if collection else set())):
            add_to_collection(db, name, [{"pmid": pmid, "role": "import"}])
        db.conn.execute("DELETE FROM collections_records WHERE record_id = ?", [key])
        db.conn.execute("DELETE FROM unmatched_records WHERE id = ?", [key])
    return len(pairs)
