"""Import PubMed's own XML files: annual baseline and daily update files, or saved efetch answers.

``litbase import DB pubmed25n*.xml.gz`` streams each file (memory stays flat
whatever its size) and commits every ``BATCH`` records. A bibliography file
is stored whole or not at all, but a baseline file is 30,000 records and
170 MB of XML: one transaction would hold a WAL as large as the file and a
kill would lose all of it. Each PubMed record is complete in itself and
stored by upsert, so a file cut short leaves whole records behind, and the
``pubmed_files`` table says how far it got: a rerun skips files already done
(same sha256) and resumes an interrupted or failed one where it stopped.

NLM numbers its files and each update may revise records of earlier ones, so
files are applied in number order, baseline files (any folder not named
``updatefiles``) before update files; a DeleteCitation removes the article
and what PubMed said about it, and the deletion is logged in ``changes``.
The records are the XML efetch returns, so they are stored with
record_source ``efetch`` and a later ``litbase fetch`` does not ask for them again.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

from litbase.store import fts
from litbase.imports.prefetch import PARSE_AHEAD, ParseAhead
from litbase.model.errors import BibliographyError
from litbase.parse.pubmed import PubmedParseError
from litbase.imports.pubmed_batches import BATCH, batches
from litbase.store.schema import FTS_CONFIG, INDEXES, ensure_indexes, index_name
from litbase.store.articles import add_to_collection, save_article_rows, save_collection, utc_now

SUFFIXES = (".xml", ".gz")
NUMBERED = re.compile(r"pubmed(\d{2})n(\d+)", re.IGNORECASE)
# Links PubMed itself reported from the deleted article's side.
PUBMED_LINK_SOURCES = ("pubmed_refs", "reference_list", "comments_corrections", "citedin")
# For the length of a bulk import (measured together: a fifth off the store's time).
# Under WAL, synchronous=NORMAL can lose the last commits on power loss but never
# corrupts, and the pubmed_files row says where to resume; a bigger page cache
# keeps the randomly keyed authors index in memory; fewer checkpoints rewrite
# each page of the database fewer times.
BULK_PRAGMAS = {"synchronous": 1, "cache_size": -32768, "wal_autocheckpoint": 20000}
_PROBLEM = re.compile(r" at line \d+(?:, column \d+)?: (.*)$", re.DOTALL)


class PubmedImportError(BibliographyError):
    """A file that could not be read to its end; ``stored`` says what was kept."""

    def __init__(self, path: str, line: int | None, message: str, stored: str):
        super().__init__(path, line, message)
        self.stored = stored


def file_number(path) -> tuple[int, int] | None:
    """(year, number) from NLM's file name: pubmed21n1298.xml.gz -> (21, 1298)."""
    found = NUMBERED.search(Path(path).name)
    return (int(found.group(1)), int(found.group(2))) if found else None


def is_update_file(path) -> bool:
    # NLM serves baseline/ and updatefiles/; both use the same naming.
    return any(part.lower() == "updatefiles" for part in Path(path).parts)


def import_order(paths) -> list:
    """Other files first, as given; then baseline files, then update files, each by number."""
    def key(indexed):
        index, path = indexed
        number = file_number(path) if Path(path).name.lower().endswith(SUFFIXES) else None
        if number is None:
            return (0, 0, (0, 0), index)
        return (1, is_update_file(path), number, index)
    return [path for _, path in sorted(enumerate(paths), key=key)]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def bulk_import(db, paths):
    """Keep the full-text index batch by batch and build the secondary indexes
    once, while PubMed files fill an empty database.

    Row-by-row triggers cost the full-text index twice its set-based upkeep
    (``import_pubmed`` does that per batch, while its parsing process keeps
    the other core busy), and keeping the join-column indexes sorted insert
    by insert costs more than sorting once at the end (the import itself only
    looks rows up by primary key). Only an empty articles table is deferred.
    If the process dies meanwhile, the next ``ensure_db_shape`` (every command
    runs it) restores the triggers, rebuilding the full-text index, and the
    indexes.

    With several PubMed files, each is parsed while the one before it is
    stored (``litbase.imports.prefetch``).
    """
    bulk = any(Path(p).name.lower().endswith(SUFFIXES) for p in paths)
    defer = bulk and db.conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    saved = {name: db.conn.execute(f"PRAGMA {name}").fetchone()[0] for name in BULK_PRAGMAS}
    if bulk:
        for name, value in BULK_PRAGMAS.items():
            db.conn.execute(f"PRAGMA {name} = {value}")
    if defer:
        with db.conn:
            for table in FTS_CONFIG:
                fts.drop_triggers(db, table)
            for table, indexes in INDEXES.items():
                for columns in indexes:
                    db.conn.execute(f"DROP INDEX IF EXISTS [{index_name(table, columns)}]")
    ahead = ParseAhead([p for p in paths if Path(p).name.lower().endswith(SUFFIXES)],
                       lambda path: resume_point(db, path), spool_dir=database_folder(db))
    token = PARSE_AHEAD.set(ahead)
    try:
        ahead.start_after(None, BATCH)  # the first file's parser starts while the rest is set up
        yield
    finally:
        PARSE_AHEAD.reset(token)
        ahead.close()
        if defer:
            for table, columns in FTS_CONFIG.items():
                # Another importer (a bibliography file) runs ensure_db_shape, which
                # rebuilds; a count that differs means some write went unindexed.
                fts.ensure_fts_triggers(db, table, columns, rebuild=not fts.in_step(db, table))
            ensure_indexes(db)
        for name, value in saved.items():
            db.conn.execute(f"PRAGMA {name} = {value}")


def _store_batch(db, steps: list, name: str, collection: str | None,
                 keep_index: bool) -> tuple[int, int, int]:
    """Save articles and apply deletions in file order; returns (records, articles, PMIDs deleted).

    ``keep_index``: the full-text triggers are off (``bulk_import``), so the
    index is updated here, set-based, around each write.
    """
    records = articles = deleted = 0
    for kind, payload, count in steps:
        records += count
        pmids = [values[0] for values in payload["articles"].values] if kind == "rows" else payload
        if keep_index:
            fts.forget_rows(db, "articles", FTS_CONFIG["articles"], pmids)
        if kind == "rows":
            saved = save_article_rows(db, payload)
            if keep_index:
                fts.index_rows(db, "articles", FTS_CONFIG["articles"], saved)
            articles += len(saved)
            if collection:
                add_to_collection(db, collection, [{"pmid": p, "role": "import"} for p in saved])
        else:
            deleted += delete_articles(db, payload, f"DeleteCitation in {name}", utc_now())
    return records, articles, deleted


def delete_articles(db, pmids: list[int], detail: str, now: str) -> int:
    """Remove articles with their child rows and PubMed's links from them; log each in changes."""
    if not pmids:
        return 0
    marks = ",".join("?" for _ in pmids)
    for table, column in (("articles_authors", "pmid"), ("articles_mesh_terms", "pmid"),
                          ("article_references", "citing"), ("similar_articles", "pmid")):
        db.conn.execute(f"DELETE FROM [{table}] WHERE [{column}] IN ({marks})", pmids)
    db.conn.execute(
        f"DELETE FROM citations WHERE citing IN ({marks})"
        f" AND source IN ({','.join('?' for _ in PUBMED_LINK_SOURCES)})",
        [*pmids, *PUBMED_LINK_SOURCES])
    # The articles_fts rows go with them, through the delete trigger (or _store_batch).
    db.conn.execute(f"DELETE FROM articles WHERE pmid IN ({marks})", pmids)
    db.conn.executemany(
        "INSERT INTO changes (pmid, what, detail, detected_at) VALUES (?, 'deleted', ?, ?)",
        [(pmid, detail, now) for pmid in pmids])
    return len(pmids)


def database_folder(db) -> str | None:
    """Where the parsers' spool files go: beside the database, on disk (/tmp may be tmpfs)."""
    file = db.conn.execute("PRAGMA database_list").fetchone()[2]
    return str(Path(file).parent) if file else None


def _stored_state(db, path: Path) -> dict:
    """What pubmed_files says of this file: all zero unless it is this same content."""
    digest = sha256_of(path)
    row = db.conn.execute(
        "SELECT sha256, status, records_done, articles, deletions FROM pubmed_files WHERE name = ?",
        [path.name]).fetchone()
    if row and row[0] == digest:
        return {"sha256": digest, "status": row[1], "records_done": row[2] or 0,
                "articles": row[3] or 0, "deletions": row[4] or 0}
    return {"sha256": digest, "status": None, "records_done": 0, "articles": 0, "deletions": 0}


def resume_point(db, path: Path) -> int | None:
    """Records of the file already stored, where its import resumes; None if it is done."""
    state = _stored_state(db, Path(path))
    return None if state["status"] == "done" else state["records_done"]


def _start(db, path: Path) -> dict:
    """The file's row in pubmed_files, reset unless it is this same content part-imported."""
    state = _stored_state(db, path)
    digest = state["sha256"]
    if state["status"] != "done":
        with db.conn:
            db.conn.execute(
                "INSERT INTO pubmed_files (name, path, size, sha256, records_done, articles, deletions,"
                " status, error, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'importing', NULL, ?)"
                " ON CONFLICT(name) DO UPDATE SET path = excluded.path, size = excluded.size,"
                " sha256 = excluded.sha256, records_done = excluded.records_done,"
                " articles = excluded.articles, deletions = excluded.deletions,"
                " status = 'importing', error = NULL, started_at = excluded.started_at",
                [path.name, str(path), path.stat().st_size, digest, state["records_done"],
                 state["articles"], state["deletions"], utc_now()])
    return state


def newer_files_done(db, path: Path) -> list[str]:
    """Files of the same year with a higher number already imported: this one would undo their updates."""
    number = file_number(path)
    if number is None:
        return []
    names = [r[0] for r in db.conn.execute("SELECT name FROM pubmed_files WHERE status = 'done'")]
    return sorted(n for n in names if (file_number(n) or (0, 0))[0] == number[0]
                  and (file_number(n) or (0, 0))[1] > number[1])


def import_pubmed(db, path, collection: str | None = None, progress: bool | None = None,
                  **options) -> dict:
    """Stream one PubMed XML file into the database, resuming where an earlier run stopped."""
    if options.get("pmid") is not None:
        raise BibliographyError(str(path), None, "--pmid applies to PubMed page text only")
    path = Path(path)
    state = _start(db, path)
    if state["status"] == "done":
        return {"format": "pubmed_xml", "records": 0, "skipped": True, "summary":
                f"{path}: already imported ({state['articles']} articles, {state['deletions']} deletions);"
                " skipped."}
    warning = newer_files_done(db, path)
    if collection:
        with db.conn:
            save_collection(db, {"name": collection, "source": "import"})
    resumed_at = state["records_done"]
    bar = tqdm(total=path.stat().st_size, desc=path.name, unit="B", unit_scale=True,
               disable=None if progress is None else not progress, dynamic_ncols=True)
    messages = batches(path, resumed_at, BATCH, spool_dir=database_folder(db))
    try:
        _store_messages(db, path, state, messages, collection, bar)
    except PubmedParseError as error:
        found = _PROBLEM.search(str(error))
        problem = "malformed PubMed XML: " + (found.group(1) if found else str(error))
        if not state["records_done"]:
            # Nothing to resume from: leave no trace, as for any other unreadable file.
            _forget(db, path)
            raise PubmedImportError(str(path), error.lineno, problem,
                                    stored=f"Nothing from {path} was stored.") from None
        _fail(db, path, str(error))
        raise PubmedImportError(
            str(path), error.lineno, problem,
            stored=f"The {state['records_done']} records before it were stored (pubmed_files status"
                   " 'failed'); a rerun resumes from there.") from None
    except BaseException as error:
        _fail(db, path, f"{type(error).__name__}: {error}")
        raise
    finally:
        messages.close()  # on a failure the parser stops now, not when the traceback is freed
        bar.close()
    with db.conn:
        db.conn.execute("UPDATE pubmed_files SET status = 'done', imported_at = ? WHERE name = ?",
                        [utc_now(), path.name])
    summary = (f"{path}: {state['articles']} articles stored, {state['deletions']} deleted"
               + (f" (resumed after record {resumed_at})" if resumed_at else "") + ".")
    if warning:
        summary += f" Warning: {', '.join(warning)} was imported before it; its newer records may be overwritten."
    return {"format": "pubmed_xml", "records": state["records_done"], "articles": state["articles"],
            "deletions": state["deletions"], "resumed_at": resumed_at, "summary": summary}


def _store_messages(db, path: Path, state: dict, messages, collection: str | None, bar) -> None:
    """Store the parser's batches, a transaction each, counting progress in ``state`` and pubmed_files."""
    keep_index = not fts.triggers_present(db, "articles")
    for kind, payload, offset in messages:
        if kind == "end":
            return
        if kind == "error":
            raise PubmedParseError(*payload)
        with db.conn:
            records, articles, deleted = _store_batch(db, payload, path.name, collection, keep_index)
            state["records_done"] += records
            state["articles"] += articles
            state["deletions"] += deleted
            db.conn.execute(
                "UPDATE pubmed_files SET records_done = ?, articles = ?, deletions = ? WHERE name = ?",
                [state["records_done"], state["articles"], state["deletions"], path.name])
        bar.update(max(0, offset - bar.n))
        bar.set_postfix(articles=state["articles"], refresh=False)


def _fail(db, path: Path, message: str) -> None:
    if db.conn.in_transaction:
        db.conn.rollback()
    with db.conn:
        db.conn.execute("UPDATE pubmed_files SET status = 'failed', error = ? WHERE name = ?",
                        [message, path.name])


def _forget(db, path: Path) -> None:
    if db.conn.in_transaction:
        db.conn.rollback()
    with db.conn:
        db.conn.execute("DELETE FROM pubmed_files WHERE name = ?", [path.name])
