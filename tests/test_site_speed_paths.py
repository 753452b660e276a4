"""The fast paths of the site give the answers the slow ones give: facet counts, overview counts, network.

The site tables (litbase.store.site_counts, built by litbase.graph.facets) are
checked against counts made fresh with SQL after `litbase build`, after an
import of more records, and when the file was written behind their back
(then the pages count live). No timing here: benchmarks/serve.py measures.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from datasette.app import Datasette

from litbase.cli import cli
from litbase.publish import facets, views
from litbase.publish.network_svg import network_svg, select_nodes
from litbase.publish.pages import metadata_for
from litbase.publish.serve import settings
from litbase.store import site, site_counts

ROOT = Path(__file__).resolve().parent.parent
DATASET = ROOT / "datasets" / "peer-support"
MORE = ROOT / "tests" / "fixtures" / "pubmed" / "articles.xml"


def fresh_counts(conn, where: str = "", params=()) -> dict[str, dict]:
    """{facet: {value: articles}} counted now with SQL, as Datasette's own facets count."""
    counts = {}
    for column, kind in site_counts.COUNTED_FACETS.items():
        if kind == "column":
            sql = (f"SELECT {column}, count(*) FROM articles WHERE {column} IS NOT NULL"
                   f"{' AND ' + where if where else ''} GROUP BY {column}")
        else:
            sql = (f"SELECT value, count(*) FROM (SELECT DISTINCT a.pmid, j.value FROM articles a,"
                   f" json_each(a.{column}) j{' WHERE ' + where if where else ''}) GROUP BY value")
        counts[column] = dict(conn.execute(sql, params).fetchall())
    return counts


def stored_counts(conn, pmids=None) -> dict[str, dict]:
    index = facets.FacetIndex.from_parts(site_counts.facet_index_parts(conn))
    mask = None if pmids is None else index.mask(pmids)
    return {column: dict(index.counts(column, mask)) for column in site_counts.COUNTED_FACETS}


def datasette_facets(db_path: Path, query: str) -> dict[str, list]:
    """Each facet's shown (value, count) pairs on /litbase/articles.json?QUERY, and the timed-out ones."""
    async def run():
        ds = Datasette([str(db_path)], metadata=metadata_for(["litbase"]), settings=settings())
        return (await ds.client.get(f"/litbase/articles.json?_size=1&{query}")).json()

    data = asyncio.run(run())
    return {name: [(v["value"], v["count"]) for v in f["results"]] for name, f in data["facet_results"].items()}


def shown(counts: dict, column: str, by_value: bool = False, size: int = 10) -> list:
    """The first ``size`` values a facet lists: by count then value, or by value, highest first."""
    ordered = (sorted(counts.items(), reverse=True) if by_value
               else sorted(counts.items(), key=lambda vc: (-vc[1], vc[0])))
    return ordered[:size]


@pytest.fixture()
def built(tmp_path):
    path = tmp_path / "litbase.db"
    result = CliRunner().invoke(cli, ["build", str(path), str(DATASET)])
    assert result.exit_code == 0, result.output
    return path


def test_build_stores_counts_equal_to_fresh_counts(built):
    conn = sqlite3.connect(built)
    assert site_counts.stored_inputs(conn) == site_counts.current_inputs(conn)
    assert stored_counts(conn) == fresh_counts(conn)
    assert fresh_counts(conn)["year"]  # the dataset has dated articles: the check is not vacuous
    facts = site_counts.site_facts(conn)
    assert facts["articles_count"] == 51 and facts["citations_count"] == 50
    assert {k: facts[k] for k in ("articles_count", "citations_count")} == {
        k: v for k, v in site.overview_counts(conn).items() if k != "collections"}


def test_import_keeps_counts_equal_to_fresh_counts(built):
    before = sqlite3.connect(built).execute("SELECT count(*) FROM articles").fetchone()[0]
    result = CliRunner().invoke(cli, ["import", str(built), str(MORE)])
    assert result.exit_code == 0, result.output
    conn = sqlite3.connect(built)
    after = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert after > before
    assert site_counts.stored_inputs(conn) == site_counts.current_inputs(conn)
    assert stored_counts(conn) == fresh_counts(conn)
    assert site_counts.site_facts(conn)["articles_count"] == after
    assert site_counts.site_facts(conn)["citations_count"] == site.overview_counts(conn)["citations_count"]


def test_counts_over_a_selection_equal_fresh_counts(built):
    conn = sqlite3.connect(built)
    year = conn.execute("SELECT year FROM articles GROUP BY year ORDER BY count(*) DESC, year").fetchone()[0]
    pmids = [r[0] for r in conn.execute("SELECT pmid FROM articles WHERE year = ?", [year])]
    assert stored_counts(conn, pmids) == fresh_counts(conn, "year = ?", [year])
    pages = datasette_facets(built, f"year={year}")
    expected = fresh_counts(conn, "year = ?", [year])
    assert pages["journal_iso"] == shown(expected["journal_iso"], "journal_iso")
    assert pages["mesh_terms"] == shown(expected["mesh_terms"], "mesh_terms")


def test_year_facet_lists_years_newest_first_and_others_by_count(built):
    conn = sqlite3.connect(built)
    expected = fresh_counts(conn)
    pages = datasette_facets(built, "")
    assert pages["year"] == shown(expected["year"], "year", by_value=True)
    assert [year for year, _ in pages["year"]] == sorted((y for y, _ in pages["year"]), reverse=True)
    assert pages["publication_types"] == shown(expected["publication_types"], "publication_types")
    assert set(pages) == set(site_counts.COUNTED_FACETS)  # no facet dropped


def test_a_write_behind_the_tables_back_is_counted_live(built):
    conn = sqlite3.connect(built)
    with conn:
        conn.execute("INSERT INTO articles (pmid, title, year, journal_iso, mesh_terms, record_source)"
                     " VALUES (99999991, 'Added by hand', 1901, 'Hand J', ?, 'import')", [json.dumps(["Handwork"])])
    assert facets.valid_inputs(conn) is None  # the fingerprint no longer matches
    pages = datasette_facets(built, "")
    expected = fresh_counts(conn)
    assert (1901, 1) in pages["year"] or len(expected["year"]) > 10
    assert pages["journal_iso"] == shown(expected["journal_iso"], "journal_iso")
    assert views.year_counts(conn, str(built)) == expected["year"]
    assert views.overview_counts(conn)["articles_count"] == 52


def test_ranked_network_draws_what_the_live_network_draws(built):
    conn = sqlite3.connect(built)
    nodes, edges = site.citation_network(conn)
    for max_nodes in (5, 20, 300):
        ranked_nodes, ranked_edges = site_counts.overview_network(conn, max_nodes)
        live = [n["pmid"] for n in select_nodes(nodes, edges, max_nodes)]
        mine = [n["pmid"] for n in ranked_nodes]
        # select_nodes keeps the given order when every article fits; the ranked rows are in rank order.
        assert (mine if max_nodes < len(nodes) else sorted(mine)) == (
            live if max_nodes < len(nodes) else sorted(live))
        assert network_svg(ranked_nodes, ranked_edges, max_nodes=max_nodes, total=len(nodes)) == \
            network_svg(nodes, edges, max_nodes=max_nodes)
    assert views.network_rows(conn, 20)[2] == 51


def test_edges_are_the_links_between_stored_articles(built):
    conn = sqlite3.connect(built)
    stored = {r[0] for r in conn.execute("SELECT pmid FROM articles")}
    links = {(a, b) for a, b in conn.execute("SELECT citing, cited FROM citations")
             if a in stored and b in stored}
    assert sorted(site.citation_network(conn)[1]) == sorted(links)


def test_articles_table_opens_with_six_columns_and_shows_all_on_request(built):
    async def run():
        ds = Datasette([str(built)], metadata=metadata_for(["litbase"]), settings=settings())
        default = await ds.client.get("/litbase/articles.json?_size=1")
        page = await ds.client.get("/litbase/articles?_size=1")
        every = await ds.client.get("/litbase/articles?_size=1&_columns=all")
        return default.json()["columns"], page.text, every.text

    json_columns, page, every = asyncio.run(run())
    assert len(json_columns) > 40  # JSON keeps every column
    for column in ("pmid", "title", "authors", "journal_iso", "year", "cited_by_count", "references_status"):
        assert f'data-column="{column}"' in page
    assert 'data-column="abstract"' not in page and 'data-column="abstract"' in every
    assert page.count(' scope="col" data-column=') == 7
