"""The co_cited canned query reads a landmark's list kept ahead (cocited_top) while it is current.

The database is the article page's (tests/test_article_page.py: peer-support plus six
real PubMed records and synthetic links), built with every article cited by two or more
counted as a landmark (500 at real sizes). The expected rows are counted here in Python
from the citations table, independently of the SQL under test.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

import pytest
import yaml
from test_article_page import FIRST, ROOT, WHEN, build_retraction_db
from test_datasette import rows

from litbase.store import site_counts


@pytest.fixture(scope="module")
def landmark_db(tmp_path_factory):
    patch = pytest.MonkeyPatch()
    patch.setattr(site_counts, "COCITED_AHEAD_CITERS", 2)
    try:
        return build_retraction_db(tmp_path_factory.mktemp("canned") / "litbase.db")
    finally:
        patch.undo()


def co_cited_by_hand(conn, pmid: int) -> list[tuple[int, int, list[int]]]:
    """(other, times cited together, citing PMIDs) for every article cited beside ``pmid``,
    most often first, then newest, then by PMID, as the canned query orders them."""
    citing_of = defaultdict(set)
    for citing, cited in conn.execute("SELECT DISTINCT citing, cited FROM citations"):
        citing_of[cited].add(citing)
    years = dict(conn.execute("SELECT pmid, year FROM articles"))
    together = {other: sorted(citing_of[pmid] & citers) for other, citers in citing_of.items() if other != pmid}
    together = {other: by for other, by in together.items() if by}
    # SQLite sorts NULL years last in descending order.
    return sorted(((other, len(by), by) for other, by in together.items()),
                  key=lambda row: (-row[1], years.get(row[0]) is None, -(years.get(row[0]) or 0), row[0]))


def canned(path, pmid: int) -> list[tuple[int, int, list[int]]]:
    found = rows(path, f"/litbase/co_cited.json?pmid={pmid}&_shape=array")
    return [(r["pmid"], r["times_cited_together"], sorted(int(p) for p in r["cited_together_by"].split(",")))
            for r in found]


def test_the_canned_query_counts_with_the_sql_the_graph_step_keeps_ahead():
    metadata = yaml.safe_load((ROOT / "litbase" / "publish" / "metadata.yml").read_text(encoding="utf-8"))
    query = metadata["databases"]["litbase"]["queries"]["co_cited"]["sql"]
    # The live branch is the stored rows' SQL (whitespace aside), skipped when rows are kept ahead.
    live = " ".join(query.split()).replace(" and not exists (select 1 from ahead)", "")
    assert " ".join(site_counts.CO_CITED_COUNTED_SQL.split()) in live


def test_co_cited_reads_the_landmarks_kept_ahead_while_current(landmark_db):
    conn = sqlite3.connect(landmark_db)
    stored = conn.execute("SELECT count(*), count(cited_together_by) FROM cocited_top WHERE pmid = ?",
                          [FIRST]).fetchone()
    assert stored[0] > 0 and stored[0] == stored[1]
    expected = co_cited_by_hand(conn, FIRST)
    assert canned(landmark_db, FIRST) == expected
    # The answer comes from cocited_top while the fingerprint holds: a count changed there shows.
    with conn:
        conn.execute("UPDATE cocited_top SET count = 99 WHERE pmid = ? AND rank = 0", [FIRST])
    assert canned(landmark_db, FIRST)[0][1] == 99
    # New links behind the site tables' back: the query counts them on request instead.
    with conn:
        conn.executemany("INSERT INTO citations (citing, cited, source, retrieved_at) VALUES (?, ?, 'pubmed_refs', ?)",
                         [(99000001, FIRST, WHEN), (99000001, 32925571, WHEN)])
    after = co_cited_by_hand(conn, FIRST)
    assert after != expected and canned(landmark_db, FIRST) == after


def test_co_cited_counts_an_article_not_kept_ahead(landmark_db):
    conn = sqlite3.connect(landmark_db)
    kept = {pmid for (pmid,) in conn.execute("SELECT DISTINCT pmid FROM cocited_top")}
    once = next(cited for (cited,) in conn.execute(
        "SELECT cited FROM citations GROUP BY cited HAVING count(DISTINCT citing) = 1 ORDER BY cited")
        if cited not in kept)
    assert canned(landmark_db, once) == co_cited_by_hand(conn, once) != []


def test_a_base_kept_ahead_by_an_older_litbase_is_migrated_and_counts_on_request(tmp_path):
    from litbase.store.schema import open_db

    path = build_retraction_db(tmp_path / "litbase.db")
    conn = sqlite3.connect(path)
    with conn:  # cocited_top as litbase wrote it before it kept the citing articles
        conn.execute("DROP TABLE cocited_top")
        conn.execute("CREATE TABLE cocited_top (pmid INTEGER, rank INTEGER, other INTEGER, count INTEGER,"
                     " PRIMARY KEY (pmid, rank))")
        conn.execute("INSERT INTO cocited_top VALUES (?, 0, 32925571, 99)", [FIRST])
    open_db(path).conn.close()  # what every command, and `litbase serve` without --public, opens with
    assert [row[1] for row in conn.execute("PRAGMA table_info(cocited_top)")][-1] == "cited_together_by"
    assert conn.execute("SELECT count(*) FROM cocited_top").fetchone()[0] == 0
    assert canned(path, FIRST) == co_cited_by_hand(conn, FIRST)
