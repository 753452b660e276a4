"""Datasette renderers: links on every page with a pmid column; the whole result set exported."""

import asyncio
import json
import sqlite3
import types

import pytest
from bib_fixtures import base, build_db, person
from datasette.app import Datasette

from litbase.formats.registry import export
from litbase.publish import renderers
from litbase.publish.facets import CountedFacet
from litbase.publish.pages import metadata_for
from litbase.store.load import load_articles

COUNT = 250  # more than Datasette's default page of 100 rows
METADATA = {"databases": {"big": {"queries": {
    "odd_years": {"sql": "select pmid, title from articles where year = :year order by pmid"},
}}}}


@pytest.fixture(scope="module")
def datasette(tmp_path_factory):
    path = tmp_path_factory.mktemp("ds") / "big.db"
    articles = [base(980000 + i, title=f"Synthetic bulk record {i}", year=2020 + i % 2,
                     authors=[person("Bulk", "Ann", "A")]) for i in range(COUNT)]
    build_db(path, articles).conn.close()
    return Datasette([str(path)], metadata=METADATA)


def get(datasette, path):
    return asyncio.run(datasette.client.get(path))


def export_links(html, page):
    return [f"{page}.{ext}" in html for ext in ("bib", "ris", "csljson", "nbib")]


@pytest.mark.parametrize("page, query", [
    ("/big/articles", ""),
    ("/big/articles", "?_search=bulk"),
    ("/big/articles", "?_facet=year&year=2021"),
    ("/big/odd_years", "?year=2021"),
])
def test_links_on_table_search_facet_and_canned_query_pages(datasette, page, query):
    response = get(datasette, page + query)
    assert response.status_code == 200
    assert export_links(response.text, page) == [True, True, True, True]


def test_no_links_without_a_pmid_column(datasette):
    response = get(datasette, "/big/journals")
    assert export_links(response.text, "/big/journals") == [False, False, False, False]


def test_table_bib_holds_every_row_not_one_page(datasette):
    response = get(datasette, "/big/articles.bib")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-bibtex; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="articles.bib"'
    assert response.text.count("@article{") == COUNT


def test_facet_and_search_selections_are_kept(datasette):
    facet = get(datasette, "/big/articles.ris?_facet=year&year=2021")
    assert facet.text.count("TY  - JOUR") == COUNT // 2
    assert "PY  - 2020" not in facet.text
    # A page size the link carries is no limit on the export.
    search = get(datasette, "/big/articles.nbib?_search=bulk&title__contains=record+1&_size=5")
    assert search.text.count("PMID- ") == 1 + 10 + 100  # records 1, 10-19, 100-199
    phrase = get(datasette, "/big/articles.nbib?_search=%22record+7%22")
    assert phrase.text.count("PMID- ") == 1


def test_canned_and_arbitrary_queries_return_every_row(datasette):
    canned = get(datasette, "/big/odd_years.csljson?year=2021")
    assert len(json.loads(canned.text)) == COUNT // 2
    sql = get(datasette, "/big.bib?sql=select+pmid+from+articles+order+by+pmid+desc")
    assert sql.text.count("@article{") == COUNT
    assert sql.text.index("eprint = {980249}") < sql.text.index("eprint = {980000}")


def test_child_table_rows_export_their_articles(datasette):
    response = get(datasette, "/big/articles_authors.bib?position=1")
    assert response.text.count("@article{") == COUNT


def test_renderer_plugin_is_installed(datasette):
    plugins = json.loads(get(datasette, "/-/plugins.json").text)
    assert ["litbase"] == [p["name"] for p in plugins if p["name"].startswith("litbase")]
    # Datasette knows an output renderer per export format, and only litbase's
    # plugin registers them.
    assert {"bib", "ris", "csljson", "nbib"} <= set(datasette.renderers)


def test_an_export_past_the_bound_is_refused_with_a_sentence(datasette, monkeypatch):
    monkeypatch.setattr(renderers, "MAX_EXPORT", COUNT // 2)
    refused = [get(datasette, path) for path in (
        "/big/articles.ris", "/big.bib?sql=select+pmid+from+articles", "/big/articles_authors.nbib")]
    assert [r.status_code for r in refused] == [400, 400, 400]
    assert all(f"name more than {COUNT // 2:,} articles" in r.text and "litbase export" in r.text
               for r in refused)
    # Exactly at the bound is still one export.
    at_bound = get(datasette, "/big/articles.ris?year=2021")
    assert (at_bound.status_code, at_bound.text.count("TY  - JOUR")) == (200, COUNT // 2)


@pytest.mark.parametrize("format_name", sorted(set(renderers.RENDERERS.values()) - renderers.CITE_KEY_FORMATS))
def test_formats_without_cite_keys_write_the_same_file_without_reading_them(datasette, format_name):
    # The renderers skip the cite-key index (every article of a year) for these formats.
    conn = sqlite3.connect(datasette.databases["big"].path)
    db = types.SimpleNamespace(conn=conn)
    pmids = [980000 + i for i in range(0, COUNT, 7)]
    with_keys = "".join(export(load_articles(db, pmids, cite_keys=True), format_name))
    assert "".join(export(load_articles(db, pmids, cite_keys=False), format_name)) == with_keys
    assert with_keys.count("980007") >= 1


def test_a_table_export_skips_the_page_it_never_shows(datasette, monkeypatch):
    # The table view would count the page's rows and its configured facets before
    # handing them to the renderer, which re-reads the whole result set itself.
    site = Datasette([datasette.databases["big"].path], metadata=metadata_for(["big"]))
    counted = []
    original = CountedFacet.facet_results

    async def facet_results(self):
        counted.append(self.database)
        return await original(self)

    monkeypatch.setattr(CountedFacet, "facet_results", facet_results)
    export_page = get(site, "/big/articles.ris?year=2021&_size=5&_facet=year")
    assert (export_page.status_code, export_page.text.count("TY  - JOUR")) == (200, COUNT // 2)
    assert counted == []
    table_page = get(site, "/big/articles?year=2021")
    assert table_page.status_code == 200 and counted != []


def test_a_table_export_of_one_page_is_not_read_twice(datasette, monkeypatch):
    # The export's page is the largest one, of the columns naming articles: when no page
    # follows, its rows are the whole result set; past max_returned_rows it is re-read.
    reread = []
    original = renderers.table_pmids

    async def table_pmids(datasette, request, database, table):
        reread.append(table)
        return await original(datasette, request, database, table)

    monkeypatch.setattr(renderers, "table_pmids", table_pmids)
    whole = get(datasette, "/big/articles.ris?year=2021&_size=5&_nocol=title")
    assert (whole.status_code, whole.text.count("TY  - JOUR"), reread) == (200, COUNT // 2, [])
    paged = Datasette([datasette.databases["big"].path], settings={"max_returned_rows": 100})
    past = get(paged, "/big/articles.ris?year=2021&_size=5&_nocol=title")
    assert (past.status_code, reread) == (200, ["articles"])
    assert past.text == whole.text


def test_txt_is_the_formatted_reference_list_in_the_style_asked(datasette):
    conn = sqlite3.connect(datasette.databases["big"].path)
    loaded = list(load_articles(types.SimpleNamespace(conn=conn), range(980001, 980000 + COUNT, 2)))
    conn.close()
    vancouver = get(datasette, "/big/articles.txt?year=2021")
    assert vancouver.status_code == 200
    assert vancouver.headers["content-type"] == "text/plain; charset=utf-8"
    assert vancouver.text == "".join(export(loaded, "text", style="vancouver"))
    assert vancouver.text.count("\n") == COUNT // 2
    apa = get(datasette, "/big/articles.txt?year=2021&_style=apa")
    assert apa.text == "".join(export(loaded, "text", style="apa")) != vancouver.text
    unknown = get(datasette, "/big/articles.txt?_style=harvard")
    assert unknown.status_code == 400
    assert "_style=harvard is not a reference style litbase writes; choose one of vancouver, ama, apa." in unknown.text


def test_a_title_that_is_not_utf8_exports_as_datasette_shows_it(tmp_path):
    # Exports read plain sqlite3 rows and text; bytes litbase never writes fall back to
    # Datasette's own reading (the bad bytes replaced), as every export did before.
    path = tmp_path / "odd.db"
    build_db(path, [base(980001, title="Fine title"), base(980002, title="placeholder")]).conn.close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE articles SET title = CAST(x'4f6464ff20627974657320' AS TEXT) WHERE pmid = 980002")
    conn.close()
    site = Datasette([str(path)])
    response = get(site, "/odd/articles.ris")
    assert response.status_code == 200
    assert "TI  - Fine title\r\n" in response.text and "TI  - Odd\ufffd bytes\r\n" in response.text


def test_a_query_export_of_one_page_does_not_run_the_query_again(datasette, monkeypatch):
    # Datasette ran the query for the page: when it held every row, those rows are the whole
    # result; past max_returned_rows (truncated) the query is run again for all of them.
    reruns = []
    original = renderers.query_pmids

    async def query_pmids(datasette, database, sql, params):
        reruns.append(params)
        return await original(datasette, database, sql, params)

    monkeypatch.setattr(renderers, "query_pmids", query_pmids)
    whole = get(datasette, "/big/odd_years.bib?year=2021")
    assert (whole.status_code, whole.text.count("@article{"), reruns) == (200, COUNT // 2, [])
    paged = Datasette([datasette.databases["big"].path], metadata=METADATA,
                      settings={"max_returned_rows": 100})
    past = get(paged, "/big/odd_years.bib?year=2021")
    assert (past.status_code, reruns) == (200, [{"year": "2021"}])
    assert past.text == whole.text


def test_an_export_after_a_commit_shows_the_mesh_names_committed(tmp_path):
    # The server keeps the MeSH names an export read on each connection; a commit by
    # another process (an import, a refresh) makes the next export read them again.
    path = tmp_path / "mesh.db"
    build_db(path).conn.close()
    served = Datasette([str(path)])
    before = get(served, "/mesh/articles.bib?pmid=990101")
    assert "Internship and Residency" in before.text
    with sqlite3.connect(path) as other:
        other.execute("UPDATE mesh_terms SET name = 'Internship' WHERE id = 'D007396'")
    after = get(served, "/mesh/articles.bib?pmid=990101")
    assert (after.status_code, "Internship and Residency" in after.text) == (200, False)
    assert after.text == before.text.replace("Internship and Residency", "Internship")


def test_the_cycle_collector_is_paused_while_exports_write_and_only_then(datasette, monkeypatch):
    import gc

    seen = []
    original = renderers.export

    def export_noting(articles, format_name, **options):
        seen.append(gc.isenabled())
        return original(articles, format_name, **options)

    monkeypatch.setattr(renderers, "export", export_noting)
    assert gc.isenabled()
    assert get(datasette, "/big/articles.ris?year=2021").status_code == 200
    assert (seen, gc.isenabled()) == ([False], True)
    # Exports at once share one pause: the collector runs again when the last one ends.
    with renderers.cyclic_gc_paused():
        with renderers.cyclic_gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    # A collector someone else switched off stays off.
    gc.disable()
    try:
        with renderers.cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
