"""Import PubMed's own XML files: annual baseline and daily update files, or saved efetch answers.

``litbase import DB pubmed25n*.xml.gz`` streams each file (memory stays flat
whatever its size) and commits every ``TRANSACTION_RECORDS`` records. A bibliography file
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

import gc
import hashlib
import re
from contextlib import ExitStack, contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path

from tqdm import tqdm

from litbase.store import fts
from litbase.imports.prefetch import ParseAhead, SpooledParser
from litbase.model.errors import BibliographyError
from litbase.parse.pubmed import PubmedParseError
from litbase.imports.pubmed_batches import batches
from litbase.imports.pubmed_order import BATCH, file_number, is_pubmed_xml
from litbase.store.bulk import (
    BULK_PRAGMAS,
    checkpoints_alongside,
    database_folder,
    drop_upkeep,
    index_kept_by_caller,
    no_articles,
    pragma_values,
    restore_upkeep,
    set_pragmas,
)
from litbase.store.schema import FTS_CONFIG
from litbase.store.articles import delete_articles, save_article_rows, utc_now
from litbase.store.pubmed_files import (
    done_pubmed_files,
    fail_pubmed_file,
    finish_pubmed_file,
    forget_pubmed_file,
    pubmed_file,
    record_progress,
    start_pubmed_file,
)
from litbase.store.collections import add_to_collection, save_collection

# Records stored per transaction: whole batches of the parser until this many. Each commit rewrites
# the pages every batch touches (the tables' and indexes' upper levels, the full-text index's
# structure) and puts the full-text triggers back; the batches still arrive one at a time, so memory
# does not grow with it. pubmed21n1298 into the knowledge base: the importer's CPU went from 10.2 s
# (250-record batches, a commit each) to 8.3-9.0 s (500, and 1,000 a commit), on a loaded machine;
# later, with the indexes kept, 6.45 s (1,000) against 6.0 s (5,000), medians of 4 alternating runs.
# A kill loses at most this many records' work; the rerun resumes after the last commit.
TRANSACTION_RECORDS = 5_000
_PROBLEM = re.compile(r" at line \d+(?:, column \d+)?: (.*)$", re.DOTALL)


class PubmedImportError(BibliographyError):
    """A file that could not be read to its end; ``stored`` says what was kept."""

    def __init__(self, path: str, line: int | None, message: str, stored: str):
        super().__init__(path, line, message)
        self.stored = stored


def sha256_of(path: Path) -> str:
    # The resume point and the file's row both ask: hash a 40 MB file once (stat says if it changed).
    stat = Path(path).stat()
    return _sha256_of(str(path), stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=64)
def _sha256_of(path: str, size: int, mtime_ns: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def bulk_import(db, paths, started: SpooledParser | None = None):
    """Keep the full-text index batch by batch while PubMed files fill a database, and build
    the secondary indexes once at the end when it was empty.

    Row-by-row triggers cost the full-text index twice its set-based upkeep
    (``import_pubmed`` does that per batch, while its parsing process keeps
    the other core busy), and keeping the join-column indexes sorted insert
    by insert costs more than sorting once at the end (the import itself only
    looks rows up by primary key). An empty articles table goes without
    triggers and indexes for the whole import; a populated one keeps its
    indexes, and its triggers switched off only inside each batch's
    transaction (``_store_messages``), so no other connection ever meets
    them missing. If the process dies meanwhile,
    the next ``ensure_db_shape`` (every command runs it) restores the
    triggers, rebuilding the full-text index, and the indexes.

    With several PubMed files, each is parsed while the one before it is
    stored (``litbase.imports.prefetch``): the ``ParseAhead`` this yields goes
    to each file's ``import_pubmed``. ``started``: the first file's parser,
    started before the database was opened (``pubmed_order.start_first_parser``),
    used if its file and starting point prove right, closed at the end either way.
    """
    bulk = any(is_pubmed_xml(p) for p in paths)
    # A rerun over files already imported changes nothing, not even the order of the schema
    # (dropping and re-creating the indexes would move them); judged by name, which is cheap:
    # a file whose content changed under the same name is imported without deferring.
    pending = any(is_pubmed_xml(p)
                  and (pubmed_file(db, Path(p).name) or {}).get("status") != "done" for p in paths)
    # Only into an empty database: for a populated one the rebuild at the end (a tenth of
    # the import into a knowledge base) waits for nothing else, while keeping the indexes
    # costs the importer less than that and runs while the parser still has records to read;
    # and no other connection meets a database without its indexes.
    defer = pending and no_articles(db)
    saved = pragma_values(db, BULK_PRAGMAS)
    if bulk:
        set_pragmas(db, BULK_PRAGMAS)
    if defer:
        with db.conn:
            drop_upkeep(db)
    ahead = ParseAhead([p for p in paths if is_pubmed_xml(p)],
                       lambda path: resume_point(db, path), spool_dir=database_folder(db), started=started)
    try:
        ahead.start_after(None, BATCH)  # the first file's parser starts while the rest is set up
        with checkpoints_alongside(db) if bulk else nullcontext():
            yield ahead
    finally:
        ahead.close()
        if defer:
            restore_upkeep(db)
        set_pragmas(db, saved)


def _store_batch(db, steps: list, name: str, collection: str | None) -> tuple[int, int, int]:
    """Save articles and apply deletions in file order; returns (records, articles, PMIDs deleted).

    The full-text triggers are off (``bulk_import``, ``_store_messages``), so
    the index is updated here, set-based, around each write.
    """
    records = articles = deleted = 0
    for kind, payload, count in steps:
        records += count
        pmids = [values[0] for values in payload["articles"].values] if kind == "rows" else payload
        fts.forget_rows(db, "articles", FTS_CONFIG["articles"], pmids)
        if kind == "rows":
            saved = save_article_rows(db, payload)
            rows = payload["articles"]
            fts.index_written_rows(db, "articles", FTS_CONFIG["articles"], "pmid", rows.columns, rows.values)
            articles += len(saved)
            if collection:
                add_to_collection(db, collection, [{"pmid": p, "role": "import"} for p in saved])
        else:
            deleted += delete_articles(db, payload, f"DeleteCitation in {name}", utc_now())
    return records, articles, deleted


def _stored_state(db, path: Path) -> dict:
    """What pubmed_files says of this file: all zero unless it is this same content."""
    digest = sha256_of(path)
    row = pubmed_file(db, path.name)
    if row and row["sha256"] == digest:
        return {"sha256": digest, "status": row["status"], "records_done": row["records_done"] or 0,
                "articles": row["articles"] or 0, "deletions": row["deletions"] or 0}
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
            start_pubmed_file(db, path.name, str(path), path.stat().st_size, digest, state, utc_now())
    return state


def newer_files_done(db, path: Path) -> list[str]:
    """Files of the same year with a higher number already imported: this one would undo their updates."""
    number = file_number(path)
    if number is None:
        return []
    names = done_pubmed_files(db)
    return sorted(n for n in names if (file_number(n) or (0, 0))[0] == number[0]
                  and (file_number(n) or (0, 0))[1] > number[1])


def import_pubmed(db, path, collection: str | None = None, progress: bool | None = None,
                  parse_ahead: ParseAhead | None = None, **options) -> dict:
    """Stream one PubMed XML file into the database, resuming where an earlier run stopped.

    ``parse_ahead``: the files of a bulk import (``bulk_import``), whose parsers run ahead.
    """
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
    # The parsers' spool files go beside the database, on disk (/tmp may be tmpfs).
    messages = batches(path, resumed_at, BATCH, spool_dir=database_folder(db), ahead=parse_ahead)
    try:
        with _collector_paused():
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
        finish_pubmed_file(db, path.name, utc_now())
    summary = (f"{path}: {state['articles']} articles stored, {state['deletions']} deleted"
               + (f" (resumed after record {resumed_at})" if resumed_at else "") + ".")
    if warning:
        summary += f" Warning: {', '.join(warning)} was imported before it; its newer records may be overwritten."
    return {"format": "pubmed_xml", "records": state["records_done"], "articles": state["articles"],
            "deletions": state["deletions"], "resumed_at": resumed_at, "summary": summary}


def _store_messages(db, path: Path, state: dict, messages, collection: str | None, bar) -> None:
    """Store the parser's batches, ``TRANSACTION_RECORDS`` records a transaction, counting progress in
    ``state`` and pubmed_files (in the same transaction, so a rerun resumes after the last commit)."""
    triggers = fts.triggers_present(db, "articles")
    transaction, uncommitted = None, 0
    try:
        for kind, payload, offset in messages:
            if kind in ("end", "error"):
                # The whole records read before a fault are kept: commit them before saying so.
                if transaction is not None:
                    transaction.close()
                    transaction = None
                if kind == "error":
                    raise PubmedParseError(*payload)
                return
            if transaction is None:
                transaction = ExitStack()
                transaction.enter_context(db.conn)
                if triggers:
                    transaction.enter_context(index_kept_by_caller(db, "articles"))
            records, articles, deleted = _store_batch(db, payload, path.name, collection)
            state["records_done"] += records
            state["articles"] += articles
            state["deletions"] += deleted
            record_progress(db, path.name, state)
            uncommitted += records
            if uncommitted >= TRANSACTION_RECORDS:
                transaction.close()
                transaction, uncommitted = None, 0
            bar.update(max(0, offset - bar.n))
            bar.set_postfix(articles=state["articles"], refresh=False)
    except BaseException as error:
        if transaction is not None:
            # Rolled back: the triggers dropped inside it come back with it.
            transaction.__exit__(type(error), error, error.__traceback__)
        raise


@contextmanager
def _collector_paused():
    """No automatic garbage collection while batches are stored.

    A batch is tuples and lists without cycles, freed by reference counting
    when the next one comes; the collector's passes over them, and over the
    command's own libraries, cost the importer 0.1 s a baseline file and find
    nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _fail(db, path: Path, message: str) -> None:
    if db.conn.in_transaction:
        db.conn.rollback()
    with db.conn:
        fail_pubmed_file(db, path.name, message)


def _forget(db, path: Path) -> None:
    if db.conn.in_transaction:
        db.conn.rollback()
    with db.conn:
        forget_pubmed_file(db, path.name)
