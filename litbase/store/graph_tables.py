"""Read the citation graph's input and write the derived graph tables.

``article_metrics``, ``cocitations``, ``bibliographic_coupling`` and
``graph_runs`` are written only here, for ``litbase.graph.tables``. The bulk
readers yield tuples, not dicts: on a 100k-article graph the edge list has
millions of rows and goes straight into numpy arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite_utils

METRIC_COLUMNS = ("citations_received", "citations_made", "pagerank", "community", "hops_from_seed")


def seed_pmids(db: sqlite_utils.Database) -> list[int]:
    """Every article some collection grew from, in PMID order."""
    return [r[0] for r in db.conn.execute(
        "SELECT DISTINCT pmid FROM collections_articles WHERE role = 'seed' ORDER BY pmid")]


def article_pmids(db: sqlite_utils.Database) -> Iterator[int]:
    """Every stored article's PMID."""
    return (r[0] for r in db.conn.execute("SELECT pmid FROM articles"))


def link_pairs(db: sqlite_utils.Database) -> list[tuple[int, int]]:
    """Every distinct (citing, cited) link, whichever source reported it."""
    return db.conn.execute("SELECT DISTINCT citing, cited FROM citations").fetchall()


def graph_nodes(db: sqlite_utils.Database) -> Iterator[dict]:
    """The articles as graph nodes: pmid, title, year, journal, authors, doi, in PMID order."""
    return db.query("SELECT pmid, title, year, journal_iso AS journal, authors, doi"
                    " FROM articles ORDER BY pmid")


def stored_metrics(db: sqlite_utils.Database) -> dict[int, dict]:
    """The last computed ``article_metrics`` row of each article ({} before the first run)."""
    if not db["article_metrics"].exists():
        return {}
    return {r["pmid"]: r for r in db.query("SELECT * FROM article_metrics")}


def graph_links(db: sqlite_utils.Database) -> Iterator[tuple[int, int, str]]:
    """Every (citing, cited, source) row, ordered."""
    return iter(db.conn.execute("SELECT citing, cited, source FROM citations ORDER BY citing, cited, source"))


def input_counts(db: sqlite_utils.Database) -> list:
    """Counts and PMID sums of articles and citations: they change whenever the graph's input does."""
    articles = db.conn.execute("SELECT count(*), total(pmid) FROM articles").fetchone()
    links = db.conn.execute("SELECT count(*), total(citing), total(cited) FROM citations").fetchone()
    return [*articles, *links]


def last_run_inputs(db: sqlite_utils.Database) -> str | None:
    """The ``inputs`` fingerprint of the latest graph run, or None before the first."""
    row = db.conn.execute("SELECT inputs FROM graph_runs ORDER BY id DESC LIMIT 1").fetchone()
    return None if row is None else row[0]


def replace_graph_tables(db: sqlite_utils.Database, metrics: dict[int, dict],
                         cocitations: Iterable[tuple], couplings: Iterable[tuple],
                         computed_at: str) -> None:
    """Replace the three derived tables in one transaction, so a reader never sees half of a run.

    ``metrics`` maps a PMID to its ``METRIC_COLUMNS``; the pairs are (a, b, count).
    """
    with db.conn:
        db.conn.execute("DELETE FROM article_metrics")
        db.conn.executemany(
            f"INSERT INTO article_metrics (pmid, {', '.join(METRIC_COLUMNS)}, computed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(pmid, *(m[c] for c in METRIC_COLUMNS), computed_at) for pmid, m in metrics.items()],
        )
        db.conn.execute("DELETE FROM cocitations")
        db.conn.executemany("INSERT INTO cocitations (a, b, count) VALUES (?, ?, ?)", cocitations)
        db.conn.execute("DELETE FROM bibliographic_coupling")
        db.conn.executemany("INSERT INTO bibliographic_coupling (a, b, count) VALUES (?, ?, ?)", couplings)


def record_graph_run(db: sqlite_utils.Database, run: dict) -> None:
    """Add one row to ``graph_runs`` (what was computed, from which inputs, how fast)."""
    with db.conn:
        db["graph_runs"].insert(run)
