"""Stored cite-key bases: the keys an export reads from them are the keys computed from scratch."""

import sqlite3

from bib_fixtures import ARTICLES, PMIDS, base, bib_db, build_db, person  # noqa: F401  (fixture)

from litbase.store import cite_keys
from litbase.store.articles import save_articles, save_placeholders
from litbase.store.dataset import load_dataset, snapshot
from litbase.store.load import load_articles
from litbase.store.schema import open_db

KEYS = ["muller2021peera", "muller2021peerb", "smith2022review", "doe2019burnout",
        "synthetic2020unbalanced"]


def keys(db, pmids=PMIDS):
    return [a["cite_key"] for a in load_articles(db, pmids)]


def from_scratch(db, pmids=PMIDS):
    index = cite_keys.CiteKeyIndex(db)
    return [index(pmid, year) for pmid, year in
            (db.conn.execute("SELECT pmid, year FROM articles WHERE pmid = ?", [p]).fetchone() for p in pmids)]


def test_saving_an_article_writes_its_base_and_exports_read_keys_from_the_bases(bib_db):
    assert [row[0] for row in bib_db.conn.execute(
        "SELECT cite_key_base FROM articles ORDER BY pmid")] == [
        "muller2021peer", "muller2021peer", "smith2022review", "doe2019burnout", "synthetic2020unbalanced"]
    assert isinstance(cite_keys.cite_key_reader(bib_db), cite_keys.StoredCiteKeys)
    assert keys(bib_db) == KEYS == from_scratch(bib_db)
    # One article alone still gets the letter its namesake gives it.
    assert keys(bib_db, [990102]) == ["muller2021peerb"]


def test_an_import_adding_a_third_namesake_keeps_the_first_two_keys(bib_db):
    third = base(990110, title="Peer review of residents", authors=[person("Muller", "Ann", "A")])
    with bib_db.conn:
        save_articles(bib_db, [third], record_source="import")
    assert keys(bib_db, [990101, 990102, 990110]) == ["muller2021peera", "muller2021peerb", "muller2021peerc"]
    # A lower PMID sharing the base takes "a" and moves the others on, as computing from scratch does.
    earlier = base(990001, title="Peer groups", authors=[person("Müller", "Eva", "E")])
    with bib_db.conn:
        save_articles(bib_db, [earlier], record_source="import")
    order = [990001, 990101, 990102, 990110]
    assert keys(bib_db, order) == ["muller2021peera", "muller2021peerb", "muller2021peerc", "muller2021peerd"]
    assert keys(bib_db, order) == from_scratch(bib_db, order)


def test_a_resaved_record_with_a_new_title_leaves_its_namesake(bib_db):
    renamed = dict(ARTICLES[1], title="Mentoring in a synthetic cohort")
    with bib_db.conn:
        save_articles(bib_db, [renamed], record_source="efetch")
    assert keys(bib_db, [990101, 990102]) == ["muller2021peer", "muller2021mentoring"]
    assert keys(bib_db, [990101, 990102]) == from_scratch(bib_db, [990101, 990102])


def test_a_placeholder_keys_as_an_article_without_author_year_or_title(bib_db):
    with bib_db.conn:
        save_placeholders(bib_db, [990200, 990201], "2026-12-05T00:00:00+00:00")
    assert cite_keys.bases_complete(bib_db)
    assert keys(bib_db, [990200, 990201]) == ["anonnduntitleda", "anonnduntitledb"]
    assert keys(bib_db, [990200, 990201]) == from_scratch(bib_db, [990200, 990201])


def test_rows_without_a_base_are_keyed_from_scratch_until_the_file_is_opened(tmp_path):
    db = build_db(tmp_path / "old.db")
    # An older litbase wrote no base; a row written by hand has none either.
    with db.conn:
        db.conn.execute("UPDATE articles SET cite_key_base = NULL WHERE pmid = 990101")
        db.conn.execute("INSERT INTO articles (pmid, title, year) VALUES (990099, 'Peer talk', 2021)")
        db.conn.execute("INSERT INTO articles_authors (pmid, position, last_name) VALUES (990099, 1, 'Muller')")
    assert isinstance(cite_keys.cite_key_reader(db), cite_keys.CiteKeyIndex)
    expected = ["muller2021peera", "muller2021peerb", "muller2021peerc"]
    assert keys(db, [990099, 990101, 990102]) == expected
    db.conn.close()
    reopened = open_db(tmp_path / "old.db")  # every command opens the file so: the bases are filled
    assert cite_keys.bases_complete(reopened)
    assert isinstance(cite_keys.cite_key_reader(reopened), cite_keys.StoredCiteKeys)
    assert keys(reopened, [990099, 990101, 990102]) == expected


def test_a_file_without_the_column_served_read_only_is_keyed_from_scratch(bib_db, tmp_path):
    with bib_db.conn:
        bib_db.conn.execute("DROP INDEX idx_articles_cite_key_base_year")
        bib_db.conn.execute("ALTER TABLE articles DROP COLUMN cite_key_base")
    conn = sqlite3.connect(f"file:{bib_db.conn.execute('PRAGMA database_list').fetchone()[2]}?mode=ro", uri=True)
    reader = type("Db", (), {"conn": conn})()
    assert isinstance(cite_keys.cite_key_reader(reader), cite_keys.CiteKeyIndex)
    assert keys(reader) == KEYS


def test_a_snapshot_leaves_the_bases_out_and_loading_it_computes_them(bib_db, tmp_path):
    snapshot(bib_db, tmp_path / "dataset")
    assert "cite_key_base" not in (tmp_path / "dataset" / "articles.jsonl").read_text()
    loaded = open_db(tmp_path / "loaded.db")
    load_dataset(loaded, tmp_path / "dataset")
    assert cite_keys.bases_complete(loaded)
    assert keys(loaded) == KEYS
