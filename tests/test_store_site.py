"""The store's reads behind the Datasette pages, on a plain connection and through Datasette."""

import asyncio
import sqlite3

import pytest
from datasette.app import Datasette
from datasette.database import QueryInterrupted
from test_datasette import SEED, db_path  # noqa: F401  (db_path is a fixture)

from litbase.publish.views import read
from litbase.store import site
from litbase.store.article_page import article_page_rows


def test_reads_give_dicts_whatever_the_row_factory(db_path):  # noqa: F811
    plain = sqlite3.connect(db_path)
    rowed = sqlite3.connect(db_path)
    rowed.row_factory = sqlite3.Row  # as Datasette's connections have it
    page = article_page_rows(plain, SEED)
    assert page == article_page_rows(rowed, SEED)
    assert page["article"]["pmid"] == SEED and page["provenance"]["pmid"] == SEED
    assert len(page["reference_lines"]) == 51 and isinstance(page["reference_lines"][0], dict)
    assert len(page["reference_links"]) == 50
    assert article_page_rows(plain, 1) is None
    assert site.overview_counts(rowed) == {"articles_count": 51, "collections": ["peer-support"],
                                           "citations_count": 50}
    nodes, edges = site.citation_network(rowed)
    assert len(nodes) == 51 and len(edges) == 50 and set(nodes[0]) == {"pmid", "title", "year", "is_seed"}


def test_article_page_without_provenance_table(db_path, tmp_path):  # noqa: F811
    old = tmp_path / "old.db"
    sqlite3.connect(db_path).backup(target := sqlite3.connect(old))
    target.execute("DROP TABLE article_provenance")
    assert article_page_rows(target, SEED)["provenance"] is None


def test_read_keeps_datasettes_time_limit(db_path):  # noqa: F811
    def slow(conn):
        return conn.execute("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n)"
                            " SELECT count(*) FROM (SELECT x FROM n LIMIT 100000000)").fetchone()

    async def run():
        ds = Datasette([str(db_path)], settings={"sql_time_limit_ms": 20})
        db = ds.get_database("litbase")
        assert await read(ds, db, site.year_counts)  # a quick read passes
        with pytest.raises(QueryInterrupted):
            await read(ds, db, slow)

    asyncio.run(run())
