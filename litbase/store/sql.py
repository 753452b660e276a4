"""Lists of parameters in SQL: ``?`` marks for a list of values, and statements run over long ID lists.

Values always go in as parameters, never into the SQL text. SQLite caps the
parameters of one statement (999 before version 3.32, and a build may lower
it), so a statement over an ID list of any length runs once per chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence, Sized
from typing import TYPE_CHECKING

from litbase.model.ids import chunks

if TYPE_CHECKING:  # store.articles uses this module in a bulk import's parsing process, which needs no sqlite_utils
    import sqlite_utils

# IDs a statement: under the old cap of 999 parameters, with room for the few
# others a statement adds (a source name, a list of sources).
CHUNK = 500
IDS = "{ids}"  # where a statement's ID list goes: "... WHERE pmid IN ({ids})"


def placeholders(values: Sized) -> str:
    """``?,?,?``: one parameter mark per value, for an ``IN (...)`` or ``VALUES (...)`` list."""
    return ",".join("?" * len(values))


def select_in(db: sqlite_utils.Database, sql: str, ids: Iterable, params: Sequence = (),
              size: int = CHUNK) -> list[tuple]:
    """The rows of ``sql`` for every chunk of ``ids``, chunk after chunk.

    ``sql`` names the ID list once, as ``({ids})``; its other parameters
    (``params``) come after the list in the statement. An ORDER BY holds
    within a chunk only.
    """
    rows = []
    for chunk in chunks(list(ids), size):
        rows += db.conn.execute(sql.replace(IDS, placeholders(chunk)), [*chunk, *params]).fetchall()
    return rows


def execute_in(db: sqlite_utils.Database, sql: str, ids: Iterable, params: Sequence = (),
               size: int = CHUNK) -> None:
    """Run a write (``DELETE ... WHERE pmid IN ({ids})``) for every chunk of ``ids``."""
    select_in(db, sql, ids, params, size)
