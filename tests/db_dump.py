"""Compare two litbase databases row for row, leaving out what changes from run to run.

`dump(path)` returns {table: [row tuples ordered by primary key]} for every
table, with the columns in VOLATILE_COLUMNS left out and the tables in
EXCLUDED_TABLES skipped. Two runs that stored the same facts give equal dumps.
docs/reliability.md names the same exclusions.
"""

from __future__ import annotations

import sqlite3

# When something happened, not what: these differ between any two runs.
VOLATILE_COLUMNS = frozenset({
    "fetched_at", "updated_at", "retrieved_at", "links_fetched_at", "computed_at", "added_at",
    "created_at", "first_seen", "last_checked", "detected_at", "imported_at", "started_at",
})
# Logs of the run itself (one row per request, one per graph computation), and
# SQLite's own bookkeeping; FTS5's shadow tables hold index segments whose
# layout depends on insert order, so articles_fts is compared by its content.
EXCLUDED_TABLES = frozenset({"fetches", "graph_runs", "runs", "sqlite_sequence", "sqlite_stat1"})
FTS_SHADOW_SUFFIXES = ("_fts_data", "_fts_idx", "_fts_docsize", "_fts_config", "_fts_content")


def table_names(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "select name from sqlite_master where type = 'table' order by name")]


def primary_key(conn: sqlite3.Connection, table: str) -> list[str]:
    info = conn.execute(f"pragma table_info([{table}])").fetchall()
    pk = [row[1] for row in sorted(info, key=lambda r: r[5]) if row[5]]
    return pk or ["rowid"]


def dump(path) -> dict[str, list[tuple]]:
    """Every compared table's rows, volatile columns removed, in primary-key order."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        out = {}
        for table in table_names(conn):
            if table in EXCLUDED_TABLES or table.endswith(FTS_SHADOW_SUFFIXES):
                continue
            if table.endswith("_fts"):
                columns = ["rowid"] + [r[1] for r in conn.execute(f"pragma table_info([{table}])")]
                order = ["rowid"]
            else:
                columns = [r[1] for r in conn.execute(f"pragma table_info([{table}])")
                           if r[1] not in VOLATILE_COLUMNS]
                order = primary_key(conn, table)
            select = ", ".join(f"[{c}]" if c != "rowid" else "rowid" for c in columns)
            by = ", ".join(f"[{c}]" if c != "rowid" else "rowid" for c in order)
            out[table] = [tuple(columns)] + conn.execute(
                f"select {select} from [{table}] order by {by}").fetchall()
        return out
    finally:
        conn.close()


def differences(a: dict, b: dict, limit: int = 5) -> list[str]:
    """Readable differences between two dumps, for assertion messages."""
    lines = []
    for table in sorted(set(a) | set(b)):
        if table not in a or table not in b:
            lines.append(f"{table}: only in {'first' if table in a else 'second'}")
            continue
        only_a = sorted(set(a[table]) - set(b[table]), key=repr)
        only_b = sorted(set(b[table]) - set(a[table]), key=repr)
        if only_a or only_b or len(a[table]) != len(b[table]):
            lines.append(f"{table}: {len(a[table]) - 1} vs {len(b[table]) - 1} rows;"
                         f" only in first {only_a[:limit]}; only in second {only_b[:limit]}")
    return lines


def duplicate_rows(path) -> dict[str, int]:
    """Tables where count(*) differs from the count of distinct primary keys."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = {}
        for table in table_names(conn):
            if table.endswith(FTS_SHADOW_SUFFIXES) or table.endswith("_fts") or table.startswith("sqlite_"):
                continue
            pk = primary_key(conn, table)
            keys = ", ".join(f"[{c}]" if c != "rowid" else "rowid" for c in pk)
            total, distinct = conn.execute(
                f"select count(*), (select count(*) from (select distinct {keys} from [{table}]))"
                f" from [{table}]").fetchone()
            if total != distinct:
                found[table] = total - distinct
        return found
    finally:
        conn.close()
