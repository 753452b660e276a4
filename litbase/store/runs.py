"""The commands run on a collection: what the methods log of ``litbase report`` lists.

A row is written when a command starts and completed when it ends, so a run
that was interrupted or failed stays visible (no ``finished_at``). The command
line is the one ``litbase.cli.options.command_line`` rebuilds, which never
carries the API key or the e-mail; ``start_run`` refuses them once more.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import sqlite_utils

from litbase.store.rows import dict_rows, table_exists

SECRET_OPTIONS = ("--api-key", "--email")


def now_ms() -> str:
    """UTC in the fetch log's format (milliseconds), so a run's window selects its requests."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def start_run(db: sqlite_utils.Database, command: str, command_line: str, collection: str | None,
              version: str) -> int:
    """Record that a command started; returns the run's id for ``finish_run``."""
    if any(option in command_line.split() for option in SECRET_OPTIONS):
        raise ValueError("a run's command line must not carry --api-key or --email")
    with db.conn:
        cursor = db.conn.execute(
            "INSERT INTO runs (command, command_line, collection, litbase_version, started_at)"
            " VALUES (?, ?, ?, ?, ?)", [command, command_line, collection, version, now_ms()])
    return cursor.lastrowid


def finish_run(db: sqlite_utils.Database, run_id: int, counts: dict, outcome: str = "ok",
               collection: str | None = None) -> None:
    """Record how a run ended and what it stored (``collection``: the name it settled on, if new)."""
    with db.conn:
        db.conn.execute(
            "UPDATE runs SET finished_at = ?, outcome = ?, counts = ?,"
            " collection = coalesce(?, collection) WHERE id = ?",
            [now_ms(), outcome, json.dumps(counts, sort_keys=True), collection, run_id])


def collection_runs(conn, collection: str) -> list[dict]:
    """The runs recorded for a collection, oldest first, counts decoded (none on an older database)."""
    if not table_exists(conn, "runs"):
        return []
    rows = dict_rows(conn.execute(
        "SELECT id, command, command_line, litbase_version, started_at, finished_at, outcome, counts"
        " FROM runs WHERE collection = ? ORDER BY id", [collection]))
    for row in rows:
        row["counts"] = json.loads(row["counts"]) if row["counts"] else {}
    return rows
