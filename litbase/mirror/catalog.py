"""The mirror's DuckDB database: which record of each PMID is current, and views over the Parquet.

DuckDB and Parquet are the mirror's own store, beside litbase's SQLite door
(``litbase.store``): the mirror is read-only input to a fetch, never a
knowledge base a user browses.

``live`` holds, for every PMID, the file of its current record: the last
event for the PMID over all files in NLM's order (baseline files by number,
then update files by number; within a file, document order). An event is a
record or a DeleteCitation, so a deletion removes the record of every file
before it, and a record after the deletion brings the PMID back. The views
``articles``, ``authors``, ``mesh`` and ``references`` show current records
only; ``citations`` (iCite's Open Citation Collection) and ``metrics`` appear
once loaded or computed.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

DATABASE = "mirror.duckdb"
PART_TABLES = ("articles", "authors", "mesh", "references")


class MirrorMissing(ValueError):
    """DIR holds no mirror (``litbase mirror build`` makes one)."""


def connect(mirror, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection to the mirror's database; read-only ones may be open in many processes at once."""
    path = Path(mirror) / DATABASE
    if read_only and not path.exists():
        raise MirrorMissing(f"{mirror} holds no mirror ({DATABASE} is missing); run litbase mirror build first")
    return duckdb.connect(str(path), read_only=read_only)


def literal(path: Path, suffix: str = "") -> str:
    """A path (plus a glob suffix) as a DuckDB string literal: a view's file functions take no parameters."""
    return "'" + (str(Path(path).resolve()) + suffix).replace("'", "''") + "'"


def _glob(mirror: Path, table: str) -> str:
    return literal(mirror / "parts" / table, "/*.parquet")


def write_catalog(mirror) -> dict:
    """(Re)write the database from every converted file; returns current and deleted counts."""
    mirror = Path(mirror)
    summaries = sorted((json.loads(p.read_text()) for p in (mirror / "done").glob("*.json")),
                       key=lambda s: tuple(s["order"]))
    with connect(mirror) as con:
        con.execute("CREATE OR REPLACE TABLE files (file VARCHAR PRIMARY KEY, rank INTEGER, path VARCHAR,"
                    " articles BIGINT, deletions BIGINT, converted_seconds DOUBLE)")
        if summaries:  # DuckDB's executemany refuses an empty list
            con.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?)",
                            [[s["file"], rank, s["path"], s["articles"], s["deletions"], s["seconds"]]
                             for rank, s in enumerate(summaries)])
        else:
            con.execute("CREATE OR REPLACE TABLE live (pmid BIGINT, file VARCHAR, position INTEGER, present BOOLEAN)")
            for table in PART_TABLES:
                con.execute(f'DROP VIEW IF EXISTS "{table}"')
            return {"articles": 0, "deleted": 0}
        # The last event of each PMID decides: a record keeps it, a DeleteCitation removes it.
        con.execute(f"""
            CREATE OR REPLACE TABLE live AS
            WITH events AS (
                SELECT pmid, file, position, TRUE AS present FROM read_parquet({_glob(mirror, 'articles')})
                UNION ALL
                SELECT pmid, file, position, FALSE FROM read_parquet({_glob(mirror, 'deletions')})
            ), ranked AS (
                SELECT e.pmid, e.file, e.position, e.present,
                       row_number() OVER (PARTITION BY e.pmid ORDER BY f.rank DESC, e.position DESC) AS n
                FROM events e JOIN files f USING (file)
            )
            SELECT pmid, file, position, present FROM ranked WHERE n = 1 ORDER BY pmid""")
        for table in PART_TABLES:
            # The record's position too: a file can hold several versions of one PMID, the last current.
            at = "position" if table == "articles" else "record_position"
            con.execute(f"""CREATE OR REPLACE VIEW "{table}" AS
                SELECT t.* FROM read_parquet({_glob(mirror, table)}) t
                SEMI JOIN live l ON t.pmid = l.pmid AND t.file = l.file AND t.{at} = l.position AND l.present""")
        ensure_citation_views(con, mirror)
        articles, deleted = con.execute(
            "SELECT count(*) FILTER (WHERE present), count(*) FILTER (WHERE NOT present) FROM live").fetchall()[0]
    return {"articles": articles, "deleted": deleted}


def ensure_citation_views(con: duckdb.DuckDBPyConnection, mirror) -> None:
    """Views over the citation links, iCite's metadata and the graph figures, where they exist."""
    mirror = Path(mirror)
    for view, folder, empty in (
        ("citations", "citations", "SELECT NULL::BIGINT AS citing, NULL::BIGINT AS referenced WHERE FALSE"),
        # The same links sorted by the referenced article: "cited by" lookups read few row groups.
        ("cited_by", "cited_by", "SELECT NULL::BIGINT AS citing, NULL::BIGINT AS referenced WHERE FALSE"),
        ("icite", "icite", "SELECT NULL::BIGINT AS pmid WHERE FALSE"),
        ("metrics", "metrics", "SELECT NULL::BIGINT AS pmid, NULL::BIGINT AS cited_by_count,"
                               " NULL::BIGINT AS references_count, NULL::DOUBLE AS pagerank WHERE FALSE"),
    ):
        files = list((mirror / folder).glob("*.parquet"))
        source = f"SELECT * FROM read_parquet({literal(mirror / folder, '/*.parquet')})" if files else empty
        con.execute(f'CREATE OR REPLACE VIEW "{view}" AS {source}')
