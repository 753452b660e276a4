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
from urllib.parse import quote

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
# Six records with MeSH headings and publication types: with MORE, 4 of 62 articles carry MeSH terms.
INDEXED = ROOT / "tests" / "fixtures" / "pubmed" / "retractions.xml"


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
    expected = fresh_counts(conn, "year = ?", [year])
    # year=2016 is counted from the index's mask, 2016.0 (no stored value prints so) over the
    # page's rows: SQLite finds both equal to the stored 2016.
    for query in (f"year={year}", f"year__exact={year}.0"):
        pages = datasette_facets(built, query)
        assert pages["journal_iso"] == shown(expected["journal_iso"], "journal_iso"), query
        assert pages["mesh_terms"] == shown(expected["mesh_terms"], "mesh_terms"), query
        assert pages["year"] == [(year, sum(expected["year"].values()))], query


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


def table_json(db_path: Path, query: str) -> dict:
    """/litbase/articles.json?QUERY, every row, through the plugin's ASGI wrappers as a browser gets it."""
    async def run():
        ds = Datasette([str(db_path)], metadata=metadata_for(["litbase"]), settings=settings())
        return (await ds.client.get(f"/litbase/articles.json?_size=max&_shape=objects&{query}")).json()

    return asyncio.run(run())


def holding(conn, column: str, value: str) -> list[int]:
    """PMIDs whose JSON array ``column`` holds ``value``, read with SQLite's JSON as Datasette's filter reads."""
    return [r[0] for r in conn.execute(
        f"SELECT pmid FROM articles WHERE ? IN (SELECT value FROM json_each({column})) ORDER BY pmid", [value])]


def check_array_selection(db_path: Path, column: str, value: str, fast: bool) -> None:
    """The page selecting ``value`` of ``column`` lists the articles holding it, counts them and
    their facets as SQL counts them, and reads the facet index (``fast``) or SQLite's JSON."""
    conn = sqlite3.connect(db_path)
    expected = holding(conn, column, value)
    assert expected  # the check is not vacuous
    data = table_json(db_path, f"{column}__arraycontains={quote(value)}")
    assert sorted(row["pmid"] for row in data["rows"]) == expected
    assert data["filtered_table_rows_count"] == len(expected)
    assert ("litbase_facet_has" in data["query"]["sql"]) is fast
    assert ("json_each" in data["query"]["sql"]) is not fast
    fresh = fresh_counts(conn, f"pmid IN (SELECT pmid FROM articles WHERE ? IN"
                               f" (SELECT value FROM json_each({column})))", [value])
    pages = {name: [(v["value"], v["count"]) for v in f["results"]] for name, f in data["facet_results"].items()}
    assert set(pages) == set(site_counts.COUNTED_FACETS)  # none timed out
    for facet in site_counts.COUNTED_FACETS:
        assert pages[facet] == shown(fresh[facet], facet, by_value=facet == "year"), facet
    selected = [v for v in data["facet_results"][column]["results"] if v["selected"]]
    assert [v["value"] for v in selected] == [value]
    assert "_has_" not in selected[0]["toggle_url"]  # its link takes the selection off


@pytest.fixture()
def indexed(built):
    """The built base and two PubMed files imported into it: articles with MeSH terms and types."""
    result = CliRunner().invoke(cli, ["import", str(built), str(MORE), str(INDEXED)])
    assert result.exit_code == 0, result.output
    return built


def test_a_mesh_selection_reads_the_facet_index_and_counts_what_sql_counts(indexed):
    built = indexed
    conn = sqlite3.connect(built)
    term = conn.execute("SELECT j.value FROM articles, json_each(mesh_terms) j GROUP BY j.value"
                        " ORDER BY count(*) DESC, j.value").fetchone()[0]
    check_array_selection(built, "mesh_terms", term, fast=True)
    kind = conn.execute("SELECT j.value FROM articles, json_each(publication_types) j GROUP BY j.value"
                        " ORDER BY count(*) DESC, j.value").fetchone()[0]
    check_array_selection(built, "publication_types", kind, fast=True)


def test_two_array_selections_and_a_year_select_every_condition(indexed):
    built = indexed
    conn = sqlite3.connect(built)
    term, kind, year = "Humans", "Journal Article", 2011
    each = [set(holding(conn, "mesh_terms", term)), set(holding(conn, "publication_types", kind)),
            {r[0] for r in conn.execute("SELECT pmid FROM articles WHERE year = ?", [year])}]
    expected = sorted(set.intersection(*each))
    assert all(len(one) > len(expected) for one in each)  # each condition leaves some out
    data = table_json(built, f"mesh_terms__arraycontains={quote(term)}"
                             f"&publication_types__arraycontains={quote(kind)}&year={year}")
    assert sorted(row["pmid"] for row in data["rows"]) == expected
    assert data["filtered_table_rows_count"] == len(expected) > 0
    assert dict((v["value"], v["count"]) for v in data["facet_results"]["year"]["results"]) == {year: len(expected)}


def test_an_array_selection_after_import_and_behind_the_tables_back(built):
    check_array_selection(built, "mesh_terms", "Social Support", fast=True)
    result = CliRunner().invoke(cli, ["import", str(built), str(MORE)])
    assert result.exit_code == 0, result.output
    check_array_selection(built, "mesh_terms", "Imaginary Things", fast=True)  # only in the imported file
    conn = sqlite3.connect(built)
    with conn:
        conn.execute("INSERT INTO articles (pmid, title, year, mesh_terms, record_source)"
                     " VALUES (99999991, 'Added by hand', 1901, ?, 'import')", [json.dumps(["Imaginary Things"])])
    assert facets.valid_inputs(conn) is None
    check_array_selection(built, "mesh_terms", "Imaginary Things", fast=False)  # stale index: SQLite's JSON


def test_the_count_of_array_selections_is_read_from_the_index_and_stays_right_after_import(built, monkeypatch):
    counted = []
    original = facets.selection_count

    def spy(conn, path, selections):
        counted.append((selections, original(conn, path, selections)))
        return counted[-1][1]

    monkeypatch.setattr(facets, "selection_count", spy)
    term, kind = "Humans", "Journal Article"
    query = f"mesh_terms__arraycontains={quote(term)}&publication_types__arraycontains={quote(kind)}"

    def expected():
        conn = sqlite3.connect(built)
        return len(set(holding(conn, "mesh_terms", term)) & set(holding(conn, "publication_types", kind)))

    before = expected()
    assert table_json(built, query)["filtered_table_rows_count"] == before
    result = CliRunner().invoke(cli, ["import", str(built), str(MORE), str(INDEXED)])
    assert result.exit_code == 0, result.output
    after = expected()
    assert after > before
    assert table_json(built, query)["filtered_table_rows_count"] == after
    # Both counts came from the index, not from SQLite: the spy saw them.
    assert counted == [([("mesh_terms", term), ("publication_types", kind)], before),
                       ([("mesh_terms", term), ("publication_types", kind)], after)]
    # A value no article holds counts 0 without asking SQLite either.
    assert table_json(built, "mesh_terms__arraycontains=Nothing+Such")["filtered_table_rows_count"] == 0
    assert counted[-1] == ([("mesh_terms", "Nothing Such")], 0)
