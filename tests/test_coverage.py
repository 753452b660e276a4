"""`litbase coverage`, the Datasette coverage page and the canned query, on a three-source fetch.

The database is the one test_sources.py builds with --sources pubmed,icite,europepmc;
see its docstring for who says what.
"""

import json

import pytest
import sqlite_utils
import yaml
from click.testing import CliRunner
from test_datasette import fetch as datasette_get
from test_fetch import SEED
from test_sources import run, servers  # noqa: F401  (fixture)

from litbase.cli import cli
from litbase.graph.coverage import coverage, differences
from litbase.store.coverage import DIFFERENCES_SQL
from litbase.store.articles import add_to_collection, save_citations, save_collection

WHOLE = [
    {"source": "pubmed", "articles_asked": 1, "with_references": 1, "with_cited_by": 1,
     "links": 12, "links_only_here": 0},
    {"source": "icite", "articles_asked": 1, "with_references": 1, "with_cited_by": 1,
     "links": 11, "links_only_here": 2},
    {"source": "europepmc", "articles_asked": 1, "with_references": 1, "with_cited_by": 1,
     "links": 13, "links_only_here": 1},
]


@pytest.fixture
def db_path(servers, tmp_path):  # noqa: F811
    path = tmp_path / "litbase.db"
    result = run(path, SEED, "--sources", "pubmed,icite,europepmc")
    assert result.exit_code == 0, result.output
    db = sqlite_utils.Database(path)
    with db.conn:
        save_collection(db, {"name": "one-reference"})
        add_to_collection(db, "one-reference", [{"pmid": 101, "role": "import"}])
        # Europe PMC alone says 101 cites 999; iCite has no list for either: a gap.
        save_citations(db, [(101, 999, "europepmc_refs", "2024-01-01T00:00:00+00:00")])
    return path


def coverage_cli(*args):
    return CliRunner().invoke(cli, ["coverage", *map(str, args)])


def test_coverage_per_source(db_path):
    db = sqlite_utils.Database(db_path)
    rows = coverage(db.conn)
    # The gap link above adds one Europe PMC link that only it has, and one article with a list.
    assert rows == [WHOLE[0], WHOLE[1], {**WHOLE[2], "with_references": 2, "links": 14, "links_only_here": 2}]


def test_coverage_of_a_collection(db_path):
    rows = coverage(sqlite_utils.Database(db_path).conn, "one-reference")
    assert rows == [
        {"source": "pubmed", "articles_asked": 0, "with_references": 0, "with_cited_by": 0,
         "links": 1, "links_only_here": 0},
        {"source": "icite", "articles_asked": 0, "with_references": 0, "with_cited_by": 0,
         "links": 1, "links_only_here": 0},
        {"source": "europepmc", "articles_asked": 0, "with_references": 1, "with_cited_by": 0,
         "links": 2, "links_only_here": 1},
    ]


def test_links_one_source_lacks(db_path):
    conn = sqlite_utils.Database(db_path).conn
    assert [(r["citing"], r["cited"], r["verdict"]) for r in differences(conn, "icite", "pubmed")] == [
        (303, SEED, "disagreement"), (SEED, 120, "disagreement")]
    assert [(r["citing"], r["cited"], r["verdict"]) for r in differences(conn, "pubmed", "icite")] == [
        (302, SEED, "disagreement"), (SEED, 109, "disagreement"), (SEED, 110, "disagreement")]
    gaps = differences(conn, "europepmc", "icite", "one-reference")
    assert [(r["citing"], r["cited"], r["verdict"], r["reported_by"]) for r in gaps] == [
        (101, 999, "gap", "europepmc_refs (2024-01-01T00:00:00+00:00)")]
    (row,) = [r for r in differences(conn, "icite", "pubmed") if r["cited"] == 120]
    assert row["reported_by"].startswith("icite_refs (")
    assert (row["lacks_has_reference_list"], row["lacks_has_citing_list"]) == (1, 0)


def test_cli_table_and_json(db_path):
    result = coverage_cli(db_path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "source     articles_asked  with_references  with_cited_by  links  links_only_here",
        "---------  --------------  ---------------  -------------  -----  ---------------",
        "pubmed                  1                1              1     12                0",
        "icite                   1                1              1     11                2",
        "europepmc               1                2              1     14                2",
    ]
    result = coverage_cli(db_path, "--collection", "pmid-5000", "--has", "icite", "--lacks", "pubmed",
                          "--json")
    assert result.exit_code == 0, result.output
    assert [(r["citing"], r["cited"], r["verdict"]) for r in json.loads(result.output)] == [
        (303, SEED, "disagreement"), (SEED, 120, "disagreement")]


@pytest.mark.parametrize("args, code, message", [
    (["--collection", "nope"], 1, "no collection called 'nope'"),
    (["--has", "icite"], 2, "--has and --lacks go together"),
    (["--has", "icite", "--lacks", "icite"], 2, "--has and --lacks name the same source"),
    (["--has", "scopus", "--lacks", "icite"], 2, "'scopus' is not one of"),
])
def test_cli_refuses_bad_requests(db_path, args, code, message):
    result = coverage_cli(db_path, *args)
    assert result.exit_code == code
    assert message in result.output


def test_cli_missing_database(tmp_path):
    result = coverage_cli(tmp_path / "none.db")
    assert result.exit_code == 1
    assert "none.db does not exist" in result.output
    assert not (tmp_path / "none.db").exists()


def test_datasette_page_json_and_canned_query(db_path):
    page, as_json, canned, sorted_rows, plugins = datasette_get(
        db_path, "/-/coverage/litbase?has=icite&lacks=pubmed", "/-/coverage/litbase.json",
        "/litbase/links_one_source_lacks.json?has=pubmed&lacks=icite&collection=&_shape=objects",
        "/litbase/articles.json?_sort_desc=relative_citation_ratio&_size=1&_shape=objects",
        "/-/plugins.json")
    assert page.status_code == 200
    assert "Coverage by citation source" in page.text
    assert "<td>europepmc</td><td>1</td><td>2</td><td>1</td><td>14</td><td>2</td>" in page.text
    assert "Links icite has and pubmed lacks (2)" in page.text
    conn = sqlite_utils.Database(db_path).conn
    assert as_json.json()["coverage"] == coverage(conn)
    assert canned.status_code == 200, canned.text[:300]
    assert canned.json()["rows"] == differences(conn, "pubmed", "icite")
    assert [r["pmid"] for r in sorted_rows.json()["rows"]] == [SEED]
    # The page comes from litbase's one plugin, registered by its one entry point.
    from importlib.metadata import entry_points

    assert [(e.name, e.value) for e in entry_points(group="datasette") if e.name.startswith("litbase")] == [
        ("litbase", "litbase.publish.plugin")]
    assert [p["name"] for p in plugins.json() if p["name"].startswith("litbase")] == ["litbase"]


def test_datasette_page_refuses_unknown_collection_and_sources(db_path):
    missing, bad = datasette_get(db_path, "/-/coverage/litbase?collection=nope",
                                 "/-/coverage/litbase?has=icite&lacks=icite")
    assert (missing.status_code, bad.status_code) == (404, 400)
    assert "no collection called" in missing.text


def test_canned_query_is_the_library_sql():
    metadata = yaml.safe_load(open("litbase/publish/metadata.yml", encoding="utf-8"))
    query = metadata["databases"]["litbase"]["queries"]["links_one_source_lacks"]["sql"]
    assert query == DIFFERENCES_SQL.strip()
