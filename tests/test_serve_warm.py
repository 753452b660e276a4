"""A serving process answers its first pages before it reports startup complete
(litbase.publish.warm_up): its first visitor gets the database page it kept."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner

from litbase.cli import cli
from litbase.publish import facets
from litbase.publish.pages import metadata_for
from litbase.publish.serve import datasette_for
from litbase.publish.warm_up import get_in_process, warm, warm_paths, warmed_app


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("warm") / "litbase.db"
    result = CliRunner().invoke(cli, ["build", str(path), "datasets/peer-support"])
    assert result.exit_code == 0, result.output
    return path


def most_common(path, column: str):
    """The most common value of a facet column (JSON arrays counted element by element), by SQL."""
    import sqlite3

    conn = sqlite3.connect(path)
    if column == "mesh_terms":
        counts = {}
        for (text,) in conn.execute("SELECT mesh_terms FROM articles WHERE mesh_terms IS NOT NULL"):
            for term in json.loads(text):
                counts[term] = counts.get(term, 0) + 1
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[0][0]
    return conn.execute(f"SELECT {column} FROM articles WHERE {column} IS NOT NULL GROUP BY {column}"
                        " ORDER BY count(*) DESC, {column} LIMIT 1".replace("{column}", column)).fetchone()[0]


def test_warm_paths_are_the_pages_a_visit_starts_from(db_path):
    ds = datasette_for([db_path], metadata_for(["litbase"]))
    year, term = most_common(db_path, "year"), most_common(db_path, "mesh_terms")
    paths = asyncio.run(warm_paths(ds))
    assert paths == ["/litbase", "/litbase/articles", f"/litbase/articles?year={year}",
                     "/litbase/articles?" + urlencode({"mesh_terms__arraycontains": term}), "/-/litbase/litbase"]


def test_startup_completes_after_the_pages_are_kept(db_path, database_page_builds):
    built = database_page_builds
    facets._LOADED.pop(str(db_path), None)
    ds = datasette_for([db_path], metadata_for(["litbase"]))
    app = warmed_app(ds.app(), ds)
    seen = []

    async def run():
        messages = asyncio.Queue()
        await messages.put({"type": "lifespan.startup"})

        async def receive():
            return await messages.get()

        async def send(message):
            # What the worker had done when it told uvicorn it may accept connections.
            seen.append((message["type"], list(built), str(db_path) in facets._LOADED))
            if message["type"] == "lifespan.startup.complete":
                await messages.put({"type": "lifespan.shutdown"})

        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
        return await get_in_process(app, "/litbase")

    assert asyncio.run(run()) == 200
    assert seen[0] == ("lifespan.startup.complete", ["/litbase"], True)
    # The first visitor's database page is the copy kept while warming: not built again.
    assert built == ["/litbase"]


def test_a_page_that_fails_is_logged_not_fatal(db_path, monkeypatch):
    ds = datasette_for([db_path], metadata_for(["litbase"]))

    async def broken(app, path):
        if path == "/litbase/articles":
            raise RuntimeError("no")
        return 200

    monkeypatch.setattr("litbase.publish.warm_up.get_in_process", broken)
    lines = []
    asyncio.run(warm(ds.app(), ds, log=lines.append))
    assert len(lines) == 1 and lines[0].startswith("litbase: warmed 5 pages in ")
    assert lines[0].endswith("; not warmed: /litbase/articles (RuntimeError)")
