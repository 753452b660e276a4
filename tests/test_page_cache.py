"""The database page is kept until the database file changes, for visitors not signed in
(litbase.publish.page_cache): Datasette builds it once, not once per visitor."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
from click.testing import CliRunner

from litbase.cli import cli
from litbase.publish.pages import metadata_for
from litbase.publish.serve import datasette_for


@pytest.fixture
def site(tmp_path, database_page_builds):
    path = tmp_path / "litbase.db"
    result = CliRunner().invoke(cli, ["build", str(path), "datasets/peer-support"])
    assert result.exit_code == 0, result.output
    return datasette_for([path], metadata_for(["litbase"])), path, database_page_builds


def get_all(ds, *requests):
    async def run():
        return [await ds.client.get(path, **options) for path, options in requests]

    return asyncio.run(run())


def test_the_database_page_is_built_once_until_the_file_changes(site):
    ds, path, built = site
    first, second, as_json, json_again = get_all(ds, ("/litbase", {}), ("/litbase", {}),
                                                 ("/litbase.json", {}), ("/litbase.json", {}))
    assert [r.status_code for r in (first, second, as_json, json_again)] == [200] * 4
    assert second.text == first.text and json_again.json() == as_json.json()
    assert built == ["/litbase", "/litbase.json"]
    assert "51 rows" in first.text
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO articles (pmid, title) VALUES (99000001, 'Written after the page was kept')")
    conn.close()
    (after,) = get_all(ds, ("/litbase", {}))
    assert "52 rows" in after.text
    assert built == ["/litbase", "/litbase.json", "/litbase"]


def test_a_visitor_with_a_cookie_or_a_query_gets_a_page_built_for_them(site):
    ds, _, built = site
    get_all(ds, ("/litbase", {}), ("/litbase", {"cookies": {"ds_actor": "anything"}}),
            ("/litbase?_hide_sql=1", {}), ("/litbase/articles", {}))
    assert built == ["/litbase", "/litbase", "/litbase"]
