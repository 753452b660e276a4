"""Datasette in process: metadata, facets, search, canned queries, the plugin's cells and pages."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from datasette.app import Datasette

from litbase.cli import cli
from litbase.publish import facets
from litbase.publish.pages import metadata_for, render_cell_html
from litbase.publish.serve import DEFAULT_HOST, datasette_for, settings
from litbase.store import search

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT / "datasets" / "peer-support"
SEED = 35392492
PROBABLE = [26226526, 29843841, 28826752]  # lines 3, 22 and 23 of the seed's list
FIRST_TITLE = "A Peer-Support and Mindfulness Program to Improve the Mental Health of Medical Students"
# The 11 articles with "peer" and "support" in their title, most relevant first: the seed,
# which also has them in its abstract, then the others by bm25 (litbase.store.search).
SEARCH_ORDER = [SEED, 27355784, 26226526, 27092397, 34249197, 32232665, 22106247, 29878948,
                22430901, 29843841, 19632979]


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("site") / "litbase.db"
    result = CliRunner().invoke(cli, ["build", str(path), str(DATASET)])
    assert result.exit_code == 0, result.output
    return path


def fetch(db_path, *paths, public=False):
    """GET each path from a fresh in-process Datasette configured as `litbase serve` does."""

    async def run():
        ds = datasette_for([db_path], metadata_for([db_path.stem], public=public), public=public)
        await ds.invoke_startup()
        return [await ds.client.get(path) for path in paths]

    responses = asyncio.run(run())
    return responses[0] if len(paths) == 1 else responses


def rows(db_path, path):
    response = fetch(db_path, path)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def test_plugin_is_installed(db_path):
    # The litbase distribution registers more than one plugin module; all are named "litbase".
    hooks = [set(p["hooks"]) for p in fetch(db_path, "/-/plugins.json").json() if p["name"] == "litbase"]
    assert any({"render_cell", "register_routes", "extra_template_vars",
                "prepare_jinja2_environment", "extra_css_urls"} <= h for h in hooks)


def test_metadata_applies_whatever_the_file_is_called(db_path, tmp_path):
    other = tmp_path / "my-review.db"
    other.write_bytes(db_path.read_bytes())
    page = fetch(other, "/my-review")
    assert page.status_code == 200
    assert "Literature knowledge base" in page.text
    assert 'href="/-/litbase/my-review"' in page.text
    table = fetch(other, "/my-review/articles.json?_size=1").json()
    assert table["human_description_en"] == "sorted by year descending"


def test_database_page_lists_tables_and_queries(db_path):
    page = fetch(db_path, "/litbase")
    for text in ["Search articles, most relevant first", "References of an article",
                 "Articles citing an article", "Articles cited together with an article",
                 "The seed&#39;s references still missing a title",
                 "Authors with the most papers in the collection", "Shape of the literature"]:
        assert text in page.text
    assert "PubMed data under NLM" in page.text


def test_articles_facets_and_no_suggestions(db_path):
    data = rows(db_path, "/litbase/articles.json?_size=0&_facet_size=max")
    assert data["suggested_facets"] == []
    facets = data["facet_results"]
    assert set(facets) == {"year", "journal_iso", "publication_types", "mesh_terms",
                           "references_status", "record_source", "is_research_article",
                           "is_clinical", "cites_retracted"}
    status = {f["value"]: f["count"] for f in facets["references_status"]["results"]}
    assert status == {"unknown": 50, "known": 1}
    years = {f["value"]: f["count"] for f in facets["year"]["results"]}
    assert (years[2016], years[2018], years[2022], sum(years.values())) == (9, 8, 2, 51)
    journals = facets["journal_iso"]["results"]
    assert (journals[0]["value"], journals[0]["count"]) == ("J Grad Med Educ", 7)
    assert [(f["value"], f["count"]) for f in facets["publication_types"]["results"]] == [
        ("Randomized Controlled Trial", 1)]
    assert len(facets["mesh_terms"]["results"]) == 11
    assert facets["mesh_terms"]["type"] == "array"
    filtered = rows(db_path, "/litbase/articles.json?_facet_array=mesh_terms&mesh_terms__arraycontains=Social+Support&_shape=objects")
    assert [r["pmid"] for r in filtered["rows"]] == [27438155]


def test_articles_html_sorted_by_year_with_unknown_titles_said_plainly(db_path):
    page = fetch(db_path, "/litbase/articles?_size=100")
    assert page.status_code == 200
    assert "sorted by year descending" in page.text
    assert "Title not known" in page.text
    first = rows(db_path, "/litbase/articles.json?_shape=array&_size=1")[0]
    assert first["year"] == 2022
    by_year = rows(db_path, "/litbase/articles.json?_shape=array&_sort=year&_size=1")
    assert by_year[0]["pmid"] == 4071206  # Soc Psychiatry 1985


def test_table_search(db_path):
    found = rows(db_path, "/litbase/articles.json?_search=peer+support&_shape=array&_size=100")
    assert sorted(r["pmid"] for r in found) == sorted(SEARCH_ORDER)
    page = fetch(db_path, "/litbase/articles?_search=peer+support")
    assert "11 rows where search matches" in page.text


def test_search_query_ranks_by_relevance(db_path):
    found = rows(db_path, "/litbase/search.json?q=peer+support&_shape=array")
    assert [r["pmid"] for r in found] == SEARCH_ORDER
    assert found[0]["title"].startswith('"Everybody in this room can understand"')
    # Punctuation a user types is not FTS syntax (PubMed's syntax, compiled): no error, same match.
    assert [r["pmid"] for r in rows(db_path, "/litbase/search.json?q=peer-support&_shape=array")] == SEARCH_ORDER
    page = fetch(db_path, "/litbase/search?q=peer+support")
    assert f'href="/litbase/articles/{SEED}"' in page.text
    assert f'href="https://pubmed.ncbi.nlm.nih.gov/{SEED}/"' in page.text


def test_references_query(db_path):
    refs = rows(db_path, f"/litbase/references.json?pmid={SEED}&_shape=array")
    assert len(refs) == 51
    assert [r["position"] for r in refs] == list(range(1, 52))
    assert (refs[0]["pmid"], refs[0]["title"]) == (27092397, FIRST_TITLE)
    assert (refs[1]["pmid"], refs[1]["title"]) == (29467969, None)
    assert refs[1]["as_printed"] == "J Grad Med Educ. 2018 Feb;10(1):26-32 [PMID: 29467969]"
    assert [r["position"] for r in refs if r["self_reference"]] == [47]
    page = fetch(db_path, f"/litbase/references?pmid={SEED}")
    assert FIRST_TITLE in page.text
    assert page.text.count(">Title not known<") == 19  # the 19 references nobody identified
    assert 'href="/litbase/articles/29467969"' in page.text


def test_cited_by_query(db_path):
    citing = rows(db_path, "/litbase/cited_by.json?pmid=29467969&_shape=array")
    assert [(r["pmid"], r["sources"]) for r in citing] == [(SEED, "seed_page")]
    works = rows(db_path, f"/litbase/cited_by.json?pmid={SEED}&_shape=array")
    assert [(w["pmid"], w["doi"], w["sources"]) for w in works] == [
        (None, "10.34197/ats-scholar.2023-0011PS", "citing_works"),
        (None, "10.5811/westjem.2022.10.57468", "citing_works"),
    ]
    page = fetch(db_path, f"/litbase/cited_by?pmid={SEED}")
    assert "Implementation of a Near-Peer Support Program" in page.text
    assert 'href="https://doi.org/10.5811/westjem.2022.10.57468"' in page.text


def test_co_cited_query(db_path):
    together = rows(db_path, "/litbase/co_cited.json?pmid=27092397&_shape=array")
    assert len(together) == 49  # every other reference of the seed, cited together once
    assert {r["times_cited_together"] for r in together} == {1}
    assert {r["cited_together_by"] for r in together} == {str(SEED)}
    assert 27092397 not in {r["pmid"] for r in together}
    page = fetch(db_path, "/litbase/co_cited?pmid=27092397")
    assert page.status_code == 200 and "Title not known" in page.text


def test_missing_titles_query(db_path):
    missing = rows(db_path, "/litbase/missing_titles.json?_shape=array")
    assert len(missing) == 19
    assert (missing[0]["position"], missing[0]["pmid"]) == (2, 29467969)
    assert all(m["completeness"].startswith("title not known") for m in missing)
    page = fetch(db_path, "/litbase/missing_titles")
    assert "CJEM. 2013 May;15(3):175-7 [PMID: 23663465]" in page.text
    assert "26226526" not in page.text  # line 3 has a (probable) title since 2026-12-05


def test_top_authors_query(db_path):
    authors = rows(db_path, "/litbase/top_authors.json?_shape=array")
    assert [(a["name"], a["papers"]) for a in authors[:3]] == [
        ("Dyrbye LN", 3), ("Shanafelt TD", 3), ("Shapiro J", 2)]
    assert len(authors) == 100  # the query's limit; the collection has 123 authors
    page = fetch(db_path, "/litbase/top_authors")
    assert "Dyrbye LN" in page.text


def test_citations_show_titles_not_numbers(db_path):
    page = fetch(db_path, f"/litbase/citations?citing={SEED}&_size=100")
    assert FIRST_TITLE in page.text
    assert ">Title not known</span></a>&nbsp;<em>29467969</em>" in page.text
    assert ">None<" not in page.text


def test_article_page(db_path):
    seed = fetch(db_path, f"/litbase/articles/{SEED}")
    assert "<h1 class=\"litbase-title\">&#34;Everybody in this room can understand&#34;" in seed.text
    assert "References (51 lines)" in seed.text
    assert f'<a href="/litbase/articles/27092397">{FIRST_TITLE}</a>' in seed.text
    assert "this article itself (kept as printed, not counted as a citation)" in seed.text
    assert 'href="https://doi.org/10.1002/aet2.10728"' in seed.text
    assert 'href="https://pmc.ncbi.nlm.nih.gov/articles/PMC8963728/"' in seed.text
    assert "Virtual Open House: Incorporating Support Persons into the Residency Community" in seed.text
    unknown = fetch(db_path, "/litbase/articles/29467969")
    assert "The title of this article is not in the gathered facts." in unknown.text
    assert "Not known yet: nobody has looked up this article's reference list" in unknown.text
    assert "match to this PMID: not_found" in unknown.text
    # The three references the seed marks as probable matches carry a labelled note; no other page does.
    pages = dict(zip(PROBABLE + [27092397, 29467969, SEED], fetch(
        db_path, *[f"/litbase/articles/{p}" for p in PROBABLE + [27092397, 29467969, SEED]])))
    for pmid, page in pages.items():
        assert ('<p class="litbase-missing litbase-probable"><strong>Probable match.</strong>'
                in page.text) == (pmid in PROBABLE), pmid
    assert ("The pages these facts were read on do not confirm that they belong to PMID 26226526;"
            " the notes on the facts below say what the match rests on.") in pages[26226526].text
    assert "No stored page seen that shows PMID 26226526" in pages[26226526].text
    assert "match to this PMID: probable" in pages[29843841].text


def test_overview_and_svgs(db_path):
    page, years, network = fetch(db_path, "/-/litbase/litbase", "/-/litbase/litbase/years.svg",
                                 "/-/litbase/litbase/network.svg")
    assert page.status_code == 200
    assert "51 articles and 50 citations between them" in page.text
    assert page.text.count("<svg") == 2
    assert years.headers["content-type"].startswith("image/svg+xml")
    assert "<title>2016: 9 articles</title>" in years.text
    assert 'href="/litbase/articles?year=2016"' in years.text
    assert network.headers["content-type"].startswith("image/svg+xml")
    assert network.text.count("<title>PMID ") == 51
    assert network.text.count("<path ") == 50
    assert f'<a href="/litbase/articles/{SEED}">' in network.text
    assert fetch(db_path, "/-/litbase/nosuchdb").status_code == 404
    css = fetch(db_path, "/-/litbase/static/litbase.css")
    assert css.status_code == 200 and ".litbase-unknown" in css.text


def test_public_mode(db_path):
    sql, download, canned, table = fetch(
        db_path, "/litbase.json?sql=select+1", "/litbase.db",
        f"/litbase/references.json?pmid={SEED}&_shape=array", "/litbase/articles.json",
        public=True,
    )
    assert sql.status_code == 403
    assert download.status_code == 403
    assert canned.status_code == 200 and len(canned.json()) == 51
    # Tables still browse: every article, counted and listed.
    assert table.status_code == 200
    assert (table.json()["filtered_table_rows_count"], len(table.json()["rows"])) == (51, 51)
    # Immutable (-i), local only, no CORS, no download, no arbitrary SQL, time and size limits.
    public_site = datasette_for([db_path], {}, public=True)
    assert [(d.name, d.is_mutable) for d in public_site.databases.values() if d.name != "_internal"] == [
        ("litbase", False)]
    assert (DEFAULT_HOST, public_site.cors) == ("127.0.0.1", False)
    assert {name: public_site.setting(name) for name in settings(True)} == {
        "suggest_facets": False, "truncate_cells_html": 200, "default_facet_size": 10,
        "sql_time_limit_ms": 1000, "facet_time_limit_ms": 200, "max_returned_rows": 1000,
        "allow_download": False, "default_allow_sql": False, "max_csv_mb": 20}
    site = datasette_for([db_path], {})
    assert [d.is_mutable for d in site.databases.values() if d.name != "_internal"] == [True]
    assert site.setting("sql_time_limit_ms") == 1000 and site.setting("allow_download") is True


def test_render_cell_links():
    url = lambda pmid: f"/db/articles/{pmid}"  # noqa: E731
    assert render_cell_html("doi", "10.1002/aet2.10728", url) == (
        '<a class="litbase-ext" href="https://doi.org/10.1002/aet2.10728">10.1002/aet2.10728</a>')
    assert 'href="https://pmc.ncbi.nlm.nih.gov/articles/PMC8963728/"' in render_cell_html(
        "pmcid", "PMC8963728", url)
    pmid = render_cell_html("cited_pmid", 27092397, url)
    assert re.findall(r'href="([^"]+)"', pmid) == [
        "/db/articles/27092397", "https://pubmed.ncbi.nlm.nih.gov/27092397/"]
    assert render_cell_html("journal", "Lancet", url) is None
    assert "Title not known" in render_cell_html("title", None, url)


def test_graph_measures_browse_with_titles_and_facets(db_path):
    central = rows(db_path, "/litbase/most_central.json?_shape=array")
    assert len(central) == 51
    # Every reference is cited once (by the seed); the seed by none: the references outrank it.
    assert {r["citations_received"] for r in central[:50]} == {1}
    assert central[-1]["pmid"] == SEED and central[-1]["citations_made"] == 50
    assert {r["hops_from_seed"] for r in central[:50]} == {1}
    metrics = rows(db_path, "/litbase/article_metrics.json?_size=0&_facet_size=max")
    assert {f["value"]: f["count"] for f in metrics["facet_results"]["hops_from_seed"]["results"]} == {1: 50, 0: 1}
    assert [f["value"] for f in metrics["facet_results"]["community"]["results"]] == [0]
    assert "Citation-graph measures" in fetch(db_path, "/litbase/article_metrics").text
    page = fetch(db_path, "/litbase/most_central")
    assert f'<a href="/litbase/articles/27092397">27092397</a>' in page.text and FIRST_TITLE in page.text
    pairs = rows(db_path, "/litbase/cocitations.json?_size=0&_facet=count")
    assert pairs["filtered_table_rows_count"] == 50 * 49 // 2  # every two references, once
    assert [(f["value"], f["count"]) for f in pairs["facet_results"]["count"]["results"]] == [(1, 1225)]


def canned_plan(db_path, name, params) -> list[str]:
    metadata = yaml.safe_load((ROOT / "litbase" / "publish" / "metadata.yml").read_text(encoding="utf-8"))
    sql = metadata["databases"]["litbase"]["queries"][name]["sql"]
    conn = sqlite3.connect(db_path)
    search.register_functions(conn)
    facets.register_functions(conn, str(db_path))
    return [step[3] for step in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


def test_canned_queries_read_only_what_the_page_shows(db_path):
    # most_central walks the pagerank index and stops at 100 rows, not every article sorted.
    assert canned_plan(db_path, "most_central", {}) == [
        "SCAN m USING INDEX idx_article_metrics_pagerank", "SEARCH a USING INTEGER PRIMARY KEY (rowid=?)"]
    # links_one_source_lacks reads citations in key order and groups as it reads, with no
    # sort: Datasette's first thousand rows are all that is read (5 million links at 500,000 articles).
    plan = canned_plan(db_path, "links_one_source_lacks", {"has": "pubmed", "lacks": "icite", "collection": ""})
    assert "SCAN c USING INDEX sqlite_autoindex_citations_1" in plan
    assert [step for step in plan if "TEMP B-TREE" in step] == []
    assert "SEARCH r USING INDEX idx_citations_cited_citing (cited=?)" in plan
    # co_cited counts on the citations indexes alone, then reads each co-cited article once.
    plan = canned_plan(db_path, "co_cited", {"pmid": SEED})
    counting = plan[:plan.index("SCAN g")]
    assert "SEARCH mine USING COVERING INDEX idx_citations_cited_citing (cited=?)" in counting
    assert "SEARCH other USING COVERING INDEX sqlite_autoindex_citations_1 (citing=?)" in counting
    assert not any(step.startswith("SEARCH a ") for step in counting)
    assert plan[plan.index("SCAN g") + 1] == "SEARCH a USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN"
