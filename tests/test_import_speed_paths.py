"""The bulk path of ``litbase import`` into a database that already holds articles.

A populated base keeps its full-text triggers; each batch switches them off
inside its own transaction and keeps the index set-based (store.bulk
``index_kept_by_caller``), and keeps its join-column indexes throughout; an
empty base drops them for the import and builds them once at the end.
These tests hold that to the same rows as the plain path, and to triggers
and indexes that are always back, even after a batch fails. Synthetic PubMed
files (PMIDs 9901xx) from test_import_pubmed.
"""

from __future__ import annotations

import pytest
import sqlite_utils
from db_dump import dump
from test_import_pubmed import files, fts_integrity_errors, rows, run  # noqa: F401  (fixture)

from litbase.imports import pubmed as import_pubmed
from litbase.store import fts
from litbase.store.retractions import PARTIAL_INDEXES
from litbase.store.schema import INDEXES, index_name


def indexes(db_path) -> set[str]:
    return {r[0] for r in rows(db_path, "select name from sqlite_master where type = 'index'"
                                        " and name like 'idx_%'")}


def test_import_into_a_populated_base_stores_what_one_import_stores(tmp_path, files):
    base, update = files
    together, apart = tmp_path / "together.db", tmp_path / "apart.db"
    run(together, base, update)  # an empty base: triggers off for the whole import
    run(apart, base)
    run(apart, update)  # a populated base: triggers off inside each batch's transaction
    assert dump(apart) == dump(together)
    db = sqlite_utils.Database(apart)
    assert fts.triggers_present(db, "articles") and fts.in_step(db, "articles")
    assert fts_integrity_errors(apart) is None
    assert rows(apart, "select rowid from articles_fts where articles_fts match 'revised'") == [(990101,)]
    assert rows(apart, "select rowid from articles_fts where articles_fts match 'burnout'") == []
    expected = {index_name(table, columns) for table, columns_list in INDEXES.items()
                for columns in columns_list} | set(PARTIAL_INDEXES)
    assert indexes(apart) == indexes(together) == expected


def test_a_failed_batch_leaves_the_triggers_in_place(tmp_path, files, monkeypatch):
    base, update = files
    db_path = tmp_path / "kb.db"
    run(db_path, base)

    def fail(*args):
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(import_pubmed, "save_article_rows", fail)
    with pytest.raises(RuntimeError):
        db = sqlite_utils.Database(db_path)
        with import_pubmed.bulk_import(db, [update]) as ahead:
            import_pubmed.import_pubmed(db, update, parse_ahead=ahead, progress=False)
    db = sqlite_utils.Database(db_path)
    assert fts.triggers_present(db, "articles") and fts.in_step(db, "articles")
    assert rows(db_path, "select pmid, title from articles order by pmid") == [
        (990101, "Peer support in residency"), (990102, "Burnout among residents"),
        (990103, "Wellness curricula")]
    assert rows(db_path, "select name, status from pubmed_files order by name") == [
        ("pubmed99n0001.xml.gz", "done"), ("pubmed99n0002.xml.gz", "failed")]
    assert len(indexes(db_path)) == sum(len(c) for c in INDEXES.values()) + len(PARTIAL_INDEXES)
