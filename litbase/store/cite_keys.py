"""Cite keys of stored articles: each article's undisambiguated key kept on its row, a/b/c at export.

A key (``model.citekeys``) is the first author's name, the year and the first
title word, with a, b, c... in PMID order when several stored articles share
it. The undisambiguated part depends on the article alone, so it is written
with the article (``articles.cite_key_base``, from ``store.articles.article_row``)
and an export counts the articles sharing a base on its index: index entries
only, where computing keys on the fly read every article of their years
(hundreds of thousands at 500,000 articles).

The letters are still decided when exporting, from what is stored then, so a
key is exactly the one computing it from scratch gives (``CiteKeyIndex``, kept
for a file whose bases are not all written: a database from an older litbase
opened read-only, or rows written by hand). An import that adds an article
sharing a base changes no stored key of a lower PMID: the new one takes the next
letter when its PMID is the highest, and a lone ``smith2020burnout`` becomes
``smith2020burnouta`` when a second arrives (as it always has).
"""

from __future__ import annotations

import sqlite3

import sqlite_utils

from litbase.model.citekeys import disambiguate, key_base, key_name, suffix
from litbase.model.ids import chunks
from litbase.store.sql import CHUNK, placeholders

# The first author as an export names it: this record's own spelling (articles_authors),
# else the shared authors row of a file written before the record's spelling was kept.
_FIRST_AUTHOR = ("coalesce(aa.last_name, aa.collective_name, au.last_name, au.collective_name)"
                 " FROM articles a LEFT JOIN articles_authors aa ON aa.pmid = a.pmid AND aa.position = 1"
                 " LEFT JOIN authors au ON au.id = aa.author_id")


def fill_cite_key_bases(db: sqlite_utils.Database) -> int:
    """Write the base of every article that lacks one (a file from an older litbase, rows a dataset
    loaded); returns how many. The caller holds the transaction."""
    done = 0
    # A batch at a time, read whole before it is written: the read walks the index being written.
    while batch := db.conn.execute(f"SELECT a.pmid, a.year, a.title, {_FIRST_AUTHOR}"
                                   " WHERE a.cite_key_base IS NULL LIMIT 10000").fetchall():
        db.conn.executemany("UPDATE articles SET cite_key_base = ? WHERE pmid = ?",
                            [(key_base(author, year, title), pmid) for pmid, year, title, author in batch])
        done += len(batch)
    return done


def forget_cite_key_bases(db: sqlite_utils.Database, pmids) -> None:
    """Mark these articles' bases as unknown (their byline was rewritten outside ``article_row``)."""
    for chunk in chunks(list(pmids), CHUNK):
        db.conn.execute(f"UPDATE articles SET cite_key_base = NULL WHERE pmid IN ({placeholders(chunk)})",
                        chunk)


def bases_complete(db) -> bool:
    """Whether every stored article has its base (an indexed look-up, not a scan)."""
    try:
        return db.conn.execute("SELECT 1 FROM articles WHERE cite_key_base IS NULL LIMIT 1").fetchone() is None
    except sqlite3.OperationalError:  # no such column: a file of an older litbase, served read-only
        return False


class StoredCiteKeys:
    """Keys from the stored bases: each article's rank among those sharing its base, counted on the index.

    ``disambiguate``'s rule: a base shared by several articles of a year takes the
    letter of its rank by PMID among them. A base can be shared by a hundred stored
    articles (the synthetic 500,000 base: 106,578 namesakes for the 988 articles
    citing one), so SQLite counts the lower PMIDs on the (base, year) index, which
    holds the PMID, rather than every namesake's row being read into Python (562 ms
    for those 988 articles, through the table; 11 ms counted on the index).
    """

    def __init__(self, db):
        self.db = db
        self.keys: dict[int, str] = {}

    def prepare(self, pmids: list[int]) -> None:
        """Key these articles (their bases, their ranks among their namesakes)."""
        for chunk in chunks([p for p in pmids if p not in self.keys], CHUNK):
            for pmid, base, rank, shared in self.db.conn.execute(
                    "SELECT a.pmid, a.cite_key_base,"
                    # Computed from scratch, only articles of the same year are compared (a NULL
                    # year and a year 0 both write "nd" but are not the same year).
                    " (SELECT count(*) FROM articles b WHERE b.cite_key_base = a.cite_key_base"
                    "  AND b.year IS a.year AND b.pmid < a.pmid),"
                    " EXISTS (SELECT 1 FROM articles b WHERE b.cite_key_base = a.cite_key_base"
                    "  AND b.year IS a.year AND b.pmid <> a.pmid)"
                    f" FROM articles a WHERE a.pmid IN ({placeholders(chunk)})", chunk):
                self.keys[pmid] = base + suffix(rank) if shared else base

    def __call__(self, pmid: int, year) -> str | None:
        if pmid not in self.keys:
            self.prepare([pmid])
        return self.keys.get(pmid)


class CiteKeyIndex:
    """Cite keys disambiguated against every stored article of the same year, computed from scratch.

    Two keys can only collide when their year and first author's name part
    (``key_name``) are the same, so a year is read once and grouped by name
    part (cheap), and the title word and the disambiguation are computed only
    for the groups of the articles asked about: a large year costs one read,
    not a key for each of its articles.
    """

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self.keys: dict[int, str] = {}
        self.groups: dict = {}  # year -> {name part: [(pmid, title, first author)]}
        self.name_of: dict[int, str] = {}  # pmid -> name part, for the years read

    def prepare(self, pmids: list[int]) -> None:
        """Nothing to read ahead: each year is read when first asked about."""

    def _load_year(self, year) -> None:
        rows = self.db.conn.execute(f"SELECT a.pmid, a.title, {_FIRST_AUTHOR} WHERE a.year IS ?", [year])
        groups: dict[str, list] = {}
        names: dict = {}
        for pmid, title, author in rows:
            if author not in names:
                names[author] = key_name(author)
            groups.setdefault(names[author], []).append((pmid, title, author))
            self.name_of[pmid] = names[author]
        self.groups[year] = groups

    def __call__(self, pmid: int, year) -> str | None:
        if year not in self.groups:
            self._load_year(year)
        if pmid not in self.keys and pmid in self.name_of:
            group = self.groups[year].pop(self.name_of[pmid], [])
            self.keys.update(disambiguate({p: key_base(author, year, title) for p, title, author in group}))
        return self.keys.get(pmid)


def cite_key_reader(db):
    """The stored bases' reader when every article has its base, else the computation from scratch."""
    return StoredCiteKeys(db) if bases_complete(db) else CiteKeyIndex(db)
