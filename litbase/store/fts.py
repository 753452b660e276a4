"""The full-text index (FTS5, external content) and how it is kept in step with its table.

Normally three triggers do it, row by row. A bulk import of PubMed files
drops them and keeps the index itself, a batch of rows at a time
(``index_written_rows``/``forget_rows``): the same work set-based, done while the
parsing process is busy, instead of a whole rebuild at the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter

import sqlite_utils

from litbase.store.sql import IDS, execute_in, placeholders, select_in

TRIGGER_SUFFIXES = ("ai", "ad", "au")


def fts_trigger_sql(db: sqlite_utils.Database, table: str, columns: list[str]) -> dict[str, str]:
    """The three triggers that keep ``<table>_fts`` in step with ``table``, by name."""
    fts, cols = f"[{table}_fts]", _names(columns)
    old, new = (", ".join(f"{row}.[{c}]" for c in columns) for row in ("old", "new"))
    # The update trigger re-indexes a row only when an indexed column (or the
    # primary key, the rowid's alias) changed: firing on every UPDATE made
    # setting references_status re-tokenise the abstract, half of a bulk import.
    watched = [*db[table].pks, *columns]
    return {
        f"{table}_ai": f"CREATE TRIGGER [{table}_ai] AFTER INSERT ON [{table}] BEGIN\n"
                       f"  INSERT INTO {fts} (rowid, {cols}) VALUES (new.rowid, {new});\nEND",
        f"{table}_ad": f"CREATE TRIGGER [{table}_ad] AFTER DELETE ON [{table}] BEGIN\n"
                       f"  INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES('delete', old.rowid, {old});\nEND",
        f"{table}_au": f"CREATE TRIGGER [{table}_au] AFTER UPDATE OF {', '.join(f'[{c}]' for c in watched)}"
                       f" ON [{table}]\n  WHEN {' OR '.join(f'old.[{c}] IS NOT new.[{c}]' for c in watched)}"
                       f" BEGIN\n  INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES('delete', old.rowid, {old});\n"
                       f"  INSERT INTO {fts} (rowid, {cols}) VALUES (new.rowid, {new});\nEND",
    }


def ensure_fts_index(db: sqlite_utils.Database, table: str, columns: list[str]) -> None:
    """Create ``<table>_fts`` over ``columns`` with its triggers; rebuild it once if its columns differ.

    A database made before the index gained a column (authors, journal,
    publication types and year came with searches in PubMed's syntax) gets the
    new index built from the table's rows here, the first time it is opened.
    """
    fts = db[f"{table}_fts"]
    if fts.exists() and fts.columns and [c.name for c in fts.columns] != columns:
        drop_triggers(db, table)
        fts.drop()
    if not fts.exists():
        # enable_fts fills the new index from the table: no second rebuild for the triggers.
        db[table].enable_fts(columns, fts_version="FTS5")
        ensure_fts_triggers(db, table, columns, rebuild=False)
        return
    ensure_fts_triggers(db, table, columns)


def ensure_fts_triggers(db: sqlite_utils.Database, table: str, columns: list[str],
                        rebuild: bool = True) -> None:
    """Put the full-text triggers in place; rebuild the index if any was missing.

    A missing trigger means the index may have missed writes: a bulk import
    drops them (litbase.imports.pubmed) and a killed one leaves them dropped.
    ``rebuild=False`` is for the one caller that kept the index in step
    itself. One transaction, so no writer slips in between rebuild and triggers.
    """
    wanted = fts_trigger_sql(db, table, columns)
    current = _triggers(db, table)
    if all(current.get(name) == sql for name, sql in wanted.items()):
        return
    # A caller's open transaction (Python's sqlite3 opens one before DML) gets a savepoint.
    nested = db.conn.in_transaction
    db.conn.execute("SAVEPOINT fts_triggers" if nested else "BEGIN IMMEDIATE")
    try:
        current = _triggers(db, table)
        for name in wanted:
            db.conn.execute(f"DROP TRIGGER IF EXISTS [{name}]")
        if rebuild and not set(wanted) <= set(current):
            db.conn.execute(f"INSERT INTO [{table}_fts] ([{table}_fts]) VALUES ('rebuild')")
        for sql in wanted.values():
            db.conn.execute(sql)
        db.conn.execute("RELEASE fts_triggers" if nested else "COMMIT")
    except BaseException:
        db.conn.execute("ROLLBACK TO fts_triggers" if nested else "ROLLBACK")
        raise


def triggers_present(db: sqlite_utils.Database, table: str) -> bool:
    names = _triggers(db, table)
    return all(f"{table}_{suffix}" in names for suffix in TRIGGER_SUFFIXES)


def _triggers(db: sqlite_utils.Database, table: str) -> dict[str, str]:
    """The table's triggers: name -> SQL."""
    return dict(db.conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?", [table]))


def drop_triggers(db: sqlite_utils.Database, table: str) -> None:
    for suffix in TRIGGER_SUFFIXES:
        db.conn.execute(f"DROP TRIGGER IF EXISTS [{table}_{suffix}]")


def index_written_rows(db: sqlite_utils.Database, table: str, columns: list[str], rowid_column: str,
                       row_columns: Sequence[str], row_values: list[tuple]) -> None:
    """Add rows just written whole to the table (``row_values``, with ``row_columns``) to the index.

    What the insert trigger does for those rows, from the values in hand: reading
    them back (an abstract's overflow pages) cost a bulk import a third of
    its indexing. A rowid given twice is indexed with its last row, as it is
    stored; rows go in rowid order, which FTS5 keeps in memory longest.
    """
    pick = itemgetter(*(row_columns.index(c) for c in (rowid_column, *columns)))
    latest = {values[0]: values for values in map(pick, row_values)}
    db.conn.executemany(f"INSERT INTO [{table}_fts] (rowid, {_names(columns)})"
                        f" VALUES (?, {placeholders(columns)})", [latest[rowid] for rowid in sorted(latest)])


def forget_rows(db: sqlite_utils.Database, table: str, columns: list[str], rowids: list[int]) -> None:
    """Take these rows out of the index before they change or go (what the delete trigger does).

    An external-content index can only forget a row given the values it was
    indexed with, so this runs while the table still holds them. Rows not in
    the table are not in the index either, and are passed over.
    """
    # Only rows that are there: a statement that writes to the index makes FTS5 write out what
    # it holds in memory as a segment of its own, even when it writes nothing.
    stored = [rowid for (rowid,) in select_in(db, f"SELECT rowid FROM [{table}] WHERE rowid IN ({IDS})",
                                               rowids)]
    if stored:
        _for_rows(db, f"INSERT INTO [{table}_fts] ([{table}_fts], rowid, {_names(columns)})"
                      f" SELECT 'delete', rowid, {_names(columns)} FROM [{table}]", stored)


def in_step(db: sqlite_utils.Database, table: str) -> bool:
    """Whether the index holds as many rows as the table (FTS5 keeps a size row per document)."""
    indexed = db.conn.execute(f"SELECT count(*) FROM [{table}_fts_docsize]").fetchone()[0]
    return indexed == db.conn.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0]


def optimize(db: sqlite_utils.Database, table: str) -> None:
    """Merge the segments of a table's full-text index (a bulk load writes many small ones)."""
    db[table].optimize()


def _names(columns: list[str]) -> str:
    return ", ".join(f"[{c}]" for c in columns)


def _for_rows(db, select_sql: str, rowids: list[int]) -> None:
    # A DeleteCitation can name thousands of PMIDs; execute_in runs them chunk by chunk.
    execute_in(db, f"{select_sql} WHERE rowid IN ({IDS})", rowids)
