"""The database's settings and upkeep while a bulk import fills it, and after.

``litbase.imports.pubmed.bulk_import`` decides when; this module holds the
statements: connection pragmas set for the import and put back after it,
the full-text triggers and join-column indexes dropped while an empty
database fills and restored at the end, and the write-ahead log folded into
the file when a build is done.
"""

from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path

import sqlite_utils

from litbase.store import fts
from litbase.store.retractions import PARTIAL_INDEXES
from litbase.store.schema import FTS_CONFIG, INDEXES, ensure_indexes, index_name

# For the length of a bulk import (measured together: a fifth off the store's time).
# Under WAL, synchronous=NORMAL can lose the last commits on power loss but never
# corrupts, and the pubmed_files row says where to resume; a bigger page cache
# keeps the randomly keyed authors index in memory; fewer checkpoints rewrite
# each page of the database fewer times.
BULK_PRAGMAS = {"synchronous": 1, "cache_size": -32768, "wal_autocheckpoint": 20000}


def pragma_values(db: sqlite_utils.Database, names) -> dict:
    """The connection's current value of each pragma named."""
    return {name: db.conn.execute(f"PRAGMA {name}").fetchone()[0] for name in names}


def set_pragmas(db: sqlite_utils.Database, values: dict) -> None:
    # Names and values come from BULK_PRAGMAS or pragma_values, never from a user.
    for name, value in values.items():
        db.conn.execute(f"PRAGMA {name} = {int(value)}")


def no_articles(db: sqlite_utils.Database) -> bool:
    return db.conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 0


def drop_upkeep(db: sqlite_utils.Database) -> None:
    """Drop the full-text triggers and the secondary indexes.

    The caller holds the transaction.
    """
    for table in FTS_CONFIG:
        fts.drop_triggers(db, table)
    for table, indexes in INDEXES.items():
        for columns in indexes:
            db.conn.execute(f"DROP INDEX IF EXISTS [{index_name(table, columns)}]")
    for name in PARTIAL_INDEXES:
        db.conn.execute(f"DROP INDEX IF EXISTS [{name}]")


@contextmanager
def index_kept_by_caller(db: sqlite_utils.Database, table: str):
    """Inside the caller's transaction: the full-text triggers are off, and put back before it commits.

    DDL is transactional in SQLite: no other connection ever sees the
    triggers missing, and a transaction rolled back (or a process killed)
    leaves them in place. The caller keeps the index with ``fts.index_written_rows``
    and ``fts.forget_rows`` meanwhile, set-based, which costs a populated
    base's import a third less than a trigger firing per row.
    """
    if not db.conn.in_transaction:
        db.conn.execute("BEGIN")  # Python's sqlite3 opens one before DML only, not before DDL
    fts.drop_triggers(db, table)
    yield
    # The index was kept in step by hand: no rebuild.
    fts.ensure_fts_triggers(db, table, FTS_CONFIG[table], rebuild=False)


def restore_upkeep(db: sqlite_utils.Database) -> None:
    """Put back what ``drop_upkeep`` dropped, rebuilding a full-text index that fell behind."""
    for table, columns in FTS_CONFIG.items():
        # Another importer (a bibliography file) runs ensure_db_shape, which
        # rebuilds; a count that differs means some write went unindexed.
        fts.ensure_fts_triggers(db, table, columns, rebuild=not fts.in_step(db, table))
    ensure_indexes(db)


# How often the checkpointing thread looks for commits to copy into the database file.
CHECKPOINT_EVERY = 0.2


@contextmanager
def checkpoints_alongside(db: sqlite_utils.Database):
    """While the caller writes, a thread of its own copies what it commits into the database file.

    A bulk import's commits go to the write-ahead log; left to the writer,
    every ``wal_autocheckpoint`` pages one of its commits stops to copy the
    log into the file and sync it (pubmed21n1298 into a knowledge base: two
    such commits, 0.3 s of CPU and 0.6-1 s of the clock). A passive
    checkpoint on a second connection does the same beside the writer,
    waiting for nothing and holding no lock the writer needs, on the core
    the parsing process leaves. The writer's own checkpoints stay as a
    fallback; a database in memory or not in WAL mode gets no thread.
    """
    file = database_file(db)
    if file is None or db.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(target=_checkpoint_until, args=(file, stop), name="litbase-checkpoint", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _checkpoint_until(file: str, stop: threading.Event) -> None:
    conn = sqlite3.connect(file, isolation_level=None)
    try:
        while not stop.wait(CHECKPOINT_EVERY):
            # PASSIVE: copies the frames no reader still needs, never waits and never blocks a writer.
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    except sqlite3.Error:
        pass  # a checkpoint not done here is done by the writer's own, as without this thread
    finally:
        conn.close()


def database_file(db: sqlite_utils.Database) -> str | None:
    """The database's file; None for a database in memory."""
    return db.conn.execute("PRAGMA database_list").fetchone()[2] or None


def database_folder(db: sqlite_utils.Database) -> str | None:
    """The folder of the database file; None for a database in memory."""
    file = database_file(db)
    return str(Path(file).parent) if file else None


def fold_write_ahead_log(db: sqlite_utils.Database) -> None:
    """Checkpoint the write-ahead log into the database file and empty it."""
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
