"""Collections: list, compare, export, their Datasette view, and the Atom feed of new citing articles."""

import asyncio
import csv
import io
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from datasette.app import Datasette
from eutils_server import FakeEutilsServer
from lxml import etree
from test_fetch import SEED, seed_corpus

from litbase.cli import cli
from litbase.publish.feed import atom_feed
from litbase.publish.pages import metadata_for
from litbase.publish.serve import settings

PAGE = Path(__file__).parent / "fixtures" / "page" / "synthetic-page.txt"
OWN = 40000099
ATOM = "{http://www.w3.org/2005/Atom}"


def invoke(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


@pytest.fixture
def db_path(tmp_path):
    """Two collections offline: the page's (4 articles) and a list sharing two of them."""
    path = tmp_path / "litbase.db"
    assert invoke("import", path, PAGE, "--pmid", OWN, "--collection", "page").exit_code == 0
    listed = tmp_path / "list.pmids"
    listed.write_text("40000001 40000002 777\n")
    # Offline (NCBI is a closed port): the list's articles wait for their records, exit 1.
    assert invoke("import", path, listed, "--collection", "list").exit_code == 1
    return path


def test_list(db_path):
    result = invoke("collections", db_path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"list: 3 articles (3 import), 3 stored; import of {db_path.parent / 'list.pmids'}",
        f"page: 4 articles (3 reference, 1 seed), 4 stored; import of {PAGE}",
    ]
    assert invoke("collections", "list", db_path, "--json").exit_code == 0


def test_compare(db_path):
    result = invoke("collections", "compare", db_path, "page", "list", "--show", "only-a")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "2 in both, 2 only in 'page', 1 only in 'list'; Jaccard similarity 0.4",
        "40000004", str(OWN)]
    unknown = invoke("collections", "compare", db_path, "page", "nope")
    assert unknown.exit_code == 1
    assert "no collection named 'nope' (known: list, page)" in unknown.output


def test_export_a_collection(db_path):
    result = invoke("export", db_path, "--collection", "page", "--format", "csv")
    assert result.exit_code == 0, result.output
    pmids = sorted(int(r["pmid"]) for r in csv.DictReader(io.StringIO(result.stdout)))
    assert pmids == [40000001, 40000002, 40000004, OWN]


def serve(db_path, *paths):
    async def run():
        ds = Datasette([str(db_path)], metadata=metadata_for([db_path.stem]), settings=settings(False))
        await ds.invoke_startup()
        return [await ds.client.get(path) for path in paths]

    return asyncio.run(run())


def test_each_collection_browses_as_its_own_view(db_path):
    view, facets = serve(
        db_path,
        "/litbase/collection_members.json?collection=page&_shape=array&_sort=pmid",
        "/litbase/collection_members.json?_facet=collection")
    assert view.status_code == 200, view.text[:300]
    assert [(r["pmid"], r["role"], r["depth"], r["seed_pmid"], r["journal_iso"]) for r in view.json()] == [
        (40000001, "reference", 1, OWN, "J Synth Med Educ"),
        (40000002, "reference", 1, OWN, "Acad Synth Med"),
        (40000004, "reference", 1, OWN, "Synth Res Lett"),
        (OWN, "seed", 0, OWN, "Ann Synth Stud"),
    ]
    # The collection facet links every collection to its own view.
    assert [(f["value"], f["count"], f["toggle_url"].split("?")[1]) for f in
            facets.json()["facet_results"]["collection"]["results"]] == [
        ("page", 4, "_facet=collection&collection=page"),
        ("list", 3, "_facet=collection&collection=list")]


def test_atom_feed_of_new_citing_articles(monkeypatch, tmp_path):
    db_path = tmp_path / "litbase.db"
    with FakeEutilsServer(seed_corpus()) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "k")
        assert invoke("fetch", db_path, SEED, "--no-progress", "--sources", "pubmed").exit_code == 0
        fake.corpus.add(303, refs=[SEED], in_pmc=True, year=2024, title="A new citing article")
        assert invoke("refresh", db_path, "--collection", f"pmid-{SEED}").exit_code == 0
    detected = sqlite_utils.Database(db_path)["changes"].get(1)["detected_at"]
    feed, other, table = serve(db_path, "/-/changes/litbase.atom",
                               "/-/changes/litbase.atom?collection=elsewhere",
                               "/litbase/changes.json?_shape=array")
    assert feed.status_code == 200
    assert feed.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = etree.fromstring(feed.content)
    assert root.findtext(f"{ATOM}title") == "New citing articles and retractions in litbase"
    assert root.findtext(f"{ATOM}updated") == detected
    entries = root.findall(f"{ATOM}entry")
    assert [(e.findtext(f"{ATOM}title"), e.findtext(f"{ATOM}id"), e.find(f"{ATOM}link").get("href"))
            for e in entries] == [(
                "A new citing article cites Synthetic seed on peer support",
                f"https://pubmed.ncbi.nlm.nih.gov/303/#cites-{SEED}",
                "https://pubmed.ncbi.nlm.nih.gov/303/")]
    assert entries[0].findtext(f"{ATOM}summary") == (
        f"New citing article of PMID {SEED} (Doe J, J Synth Med Educ, 2024) in collection pmid-{SEED}")
    assert etree.fromstring(other.content).findall(f"{ATOM}entry") == []
    assert [(r["pmid"], r["what"], r["related_pmid"]) for r in table.json()] == [(SEED, "new_citing", 303)]


def test_atom_feed_without_entries_is_valid():
    body = atom_feed([], feed_url="http://x/-/changes/db.atom", title="T & co", updated="2026-01-01T00:00:00+00:00")
    assert body == (
        b"<?xml version='1.0' encoding='utf-8'?>\n"
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>T &amp; co</title>'
        b"<id>http://x/-/changes/db.atom</id><link rel=\"self\" href=\"http://x/-/changes/db.atom\"/>"
        b"<updated>2026-01-01T00:00:00+00:00</updated><author><name>litbase refresh</name></author></feed>")


def test_feed_plugin_is_installed(db_path):
    """One litbase plugin, registered by its entry point, and the feed is one of its routes."""
    plugins, feed, unknown = serve(db_path, "/-/plugins.json", "/-/changes/litbase.atom",
                                   "/-/changes/nosuchdb.atom")
    litbase_plugins = [p for p in plugins.json() if p["name"].startswith("litbase")]
    assert [(p["name"], sorted(p["hooks"])) for p in litbase_plugins] == [
        ("litbase", ["asgi_wrapper", "extra_css_urls", "extra_template_vars", "filters_from_request",
                     "forbidden", "menu_links", "permission_allowed", "prepare_connection", "prepare_jinja2_environment",
                     "register_facet_classes", "register_output_renderer", "register_routes",
                     "render_cell", "startup"])]
    assert feed.status_code == 200
    assert feed.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert etree.fromstring(feed.content).tag == f"{ATOM}feed"
    assert unknown.status_code == 404


def test_budget_message_says_what_was_left(monkeypatch, tmp_path):
    with FakeEutilsServer(seed_corpus()) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        monkeypatch.setenv("NCBI_API_KEY", "k")
        result = invoke("fetch", tmp_path / "b.db", SEED, "--max-articles", 5, "--no-progress",
                        "--sources", "pubmed")
    assert result.exit_code == 0, result.output
    # Breadth-first, seeds first, references before citing articles: 4 references fit.
    assert ("Stopped at --max-articles 5: 8 more articles were found and not fetched"
            " (6 references at depth 1, 2 citing articles at depth 1)."
            " Run again with a larger budget to continue.") in result.output
    db = sqlite_utils.Database(tmp_path / "b.db")
    assert [tuple(r) for r in db.execute(
        "select pmid, role, depth, seed_pmid from collections_articles order by depth, pmid")] == [
        (SEED, "seed", 0, SEED), (101, "reference", 1, SEED), (102, "reference", 1, SEED),
        (103, "reference", 1, SEED), (104, "reference", 1, SEED)]


def test_collection_members_counts_records_without_a_pmid(tmp_path):
    # Synthetic RIS: one record with a PMID, two without (one with a DOI).
    library = tmp_path / "mixed.ris"
    library.write_text(
        "TY  - JOUR\nTI  - Stored by its PMID\nAN  - 40000001\nPY  - 2020\nER  - \n\n"
        "TY  - JOUR\nTI  - A record without a PMID\nAU  - Doe, Jane\nPY  - 2020\n"
        "DO  - 10.1234/abc\nER  - \n\n"
        "TY  - JOUR\nTI  - Second without PMID\nPY  - 2021\nER  - \n")
    db_path = tmp_path / "litbase.db"
    result = invoke("import", str(db_path), str(library))
    assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(db_path)
    assert db.execute("SELECT collection, count(*), count(pmid), count(record_id)"
                      " FROM collection_members GROUP BY collection").fetchall() == [("mixed", 3, 1, 2)]
    assert db.execute("SELECT pmid, record_id, role, title, authors, year, doi FROM collection_members"
                      " WHERE pmid IS NULL ORDER BY year").fetchall() == [
        (None, "doi:10.1234/abc", "import", "A record without a PMID", "Doe", 2020, "10.1234/abc"),
        (None, f"file:{library}#line 14", "import", "Second without PMID", None, 2021, None)]
