"""``litbase build``: a dataset folder into a ready database, offline."""

from __future__ import annotations

import sqlite_utils

from litbase.store import fts
from litbase.store.bulk import fold_write_ahead_log
from litbase.store.dataset import load_dataset
from litbase.graph.tables import update_graph


def build(db_path, folder) -> dict:
    """Load ``folder`` into the database at ``db_path`` and derive what is derived.

    Safe to run twice: rows are upserts keyed by primary key. Returns the rows
    read per table.
    """
    db = sqlite_utils.Database(db_path)
    loaded = load_dataset(db, folder)
    derive(db)
    # Fold the write-ahead log into the file and close, so the database can be
    # served immutable (immutable readers ignore a -wal file) or copied as one file.
    fold_write_ahead_log(db)
    db.close()
    return loaded


def derive(db: sqlite_utils.Database) -> None:
    """Every table computed from the stored rows; the last step of every build.

    The single call site for derived data: graph metrics, co-citation,
    coupling and communities, then the full-text index's segments merged.
    """
    update_graph(db)
    fts.optimize(db, "articles")
