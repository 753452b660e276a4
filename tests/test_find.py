"""Local search in PubMed's syntax, both ways: `litbase find` and the site's `search` canned query.

The shipped peer-support base (datasets/peer-support) for ranking and the
everyday queries; the synthetic records of bib_fixtures (plus one retracted,
made up here) for MeSH, publication types and retractions, which the
dataset's records do not carry; and an index made by an earlier litbase,
rebuilt once.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import sqlite_utils
import yaml
from click.testing import CliRunner
from datasette.app import Datasette

from bib_fixtures import ARTICLES, base, build_db
from litbase.cli import cli
from litbase.publish.pages import metadata_for
from litbase.publish.serve import settings
from litbase.store import fts
from litbase.store.schema import FTS_CONFIG, open_db
from litbase.store.search import search_sql

ROOT = Path(__file__).resolve().parent.parent
SEED = 35392492
# "peer support": the 11 articles with both words; the seed has them in its title and its
# abstract, so it comes first; then the others by bm25.
PEER_SUPPORT = [SEED, 27355784, 26226526, 27092397, 34249197, 32232665, 22106247, 29878948, 22430901,
                29843841, 19632979]
RESIDEN = [SEED, 15972100, 29450842, 29801087, 28445221, 29560063, 28018531, 29508257, 20716101, 28826752,
           26692975, 27168899, 30243929, 29843841]
BURNOUT_OR_STRESS = [25755266, 19773573, 27692469, 26226526, 26692975, 27168899, 22430901, 25650824, 29450842,
                     27438155, 15972100]
RETRACTED = 990106  # synthetic, made up for this test like those of bib_fixtures


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    path = tmp_path_factory.mktemp("find") / "litbase.db"
    result = CliRunner().invoke(cli, ["build", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    path = tmp_path_factory.mktemp("synthetic") / "bib.db"
    retracted = base(RETRACTED, title="Peer support cures burnout: a synthetic finding",
                     is_retracted=True,
                     publication_types=[{"ui": "D016428", "name": "Journal Article"},
                                        {"ui": "D016441", "name": "Retracted Publication"}])
    build_db(path, [*ARTICLES, retracted])
    return path


def find(db_path, query, *options):
    return CliRunner().invoke(cli, ["find", str(db_path), query, *options])


def found(db_path, query) -> list[dict]:
    result = find(db_path, query, "--json")
    assert result.exit_code == 0, result.output + result.stderr
    return json.loads(result.stdout)


def pmids(db_path, query) -> list[int]:
    return [row["pmid"] for row in found(db_path, query)]


def get(db_path, *paths):
    async def run():
        ds = Datasette([str(db_path)], metadata=metadata_for([db_path.stem]), settings=settings(False))
        await ds.invoke_startup()
        return [await ds.client.get(path) for path in paths]

    responses = asyncio.run(run())
    return responses[0] if len(paths) == 1 else responses


def test_the_seed_is_first_for_peer_support(shipped):
    assert pmids(shipped, "peer support") == PEER_SUPPORT
    assert found(shipped, "peer support")[0]["title"].startswith('"Everybody in this room can understand"')


def test_pubmed_habits_find_what_they_should(shipped):
    assert pmids(shipped, "residen*") == RESIDEN
    assert pmids(shipped, "burnout OR stress") == BURNOUT_OR_STRESS
    assert pmids(shipped, "(burnout OR stress) AND residen*") == [26692975, 27168899, 29450842, 15972100]
    assert pmids(shipped, "burnout OR stress AND residen*") == [26692975, 27168899, 29450842, 15972100]
    assert pmids(shipped, '"peer support"[tiab] AND residen*') == [SEED, 29843841]
    assert pmids(shipped, "wellness NOT students") == [29560063, 29508257, 29801087, 28826752, 28445221,
                                                       29843841, 29450842]
    assert pmids(shipped, "peer-support") == PEER_SUPPORT


def test_author_journal_and_date_tags(shipped):
    assert pmids(shipped, "jain a[au]") == [SEED]
    assert pmids(shipped, "Riddell J[au]") == [SEED]
    assert pmids(shipped, '"AEM Educ Train"[ta]') == [SEED]
    assert pmids(shipped, "AEM Education and Training[jour]") == [SEED]
    assert pmids(shipped, "2018:2022[dp] AND peer support[ti]") == [32232665, 34249197, 29878948, 29843841, SEED]
    assert pmids(shipped, "2022[dp]") == [32925571, SEED]  # the other is known by its PMID and year only


def test_the_rows_of_find(shipped):
    row = found(shipped, '"peer support"[tiab] AND residen*')[0]
    assert row == {
        "pmid": SEED,
        "title": '"Everybody in this room can understand": A qualitative exploration of peer support'
                 " during residency training.",
        "authors": "Jain A, Tabatabai R, Schreiber J, Vo A, Riddell J", "journal": "AEM Educ Train",
        "year": 2022, "is_retracted": 0, "references_status": "known",
        "completeness": "citing and similar articles not looked up (litbase fetch would add what PubMed has)",
    }
    table = find(shipped, "jain a[au]")
    assert table.exit_code == 0
    assert table.stderr == '1 article for "jain a*"[Author]\n'
    assert table.stdout.splitlines() == [
        "rank\tpmid\tyear\tjournal\ttitle\tretracted",
        f"1\t{SEED}\t2022\tAEM Educ Train\t" + row["title"] + "\t",
    ]


def test_a_query_find_cannot_read_is_one_line_and_exit_1(shipped):
    result = find(shipped, "peer support[tiabx]")
    assert result.exit_code == 1
    assert result.stderr == ("Error: cannot read the search 'peer support[tiabx]':"
                             " Unknown field tag [tiabx] (at character 13)\n")
    assert find(shipped, "res*").stderr == ("Error: cannot read the search 'res*': A truncated term needs at"
                                            ' least 4 characters before the *: "res*" (at character 1)\n')


def test_mesh_publication_type_and_retraction(synthetic):
    assert pmids(synthetic, '"Internship and Residency"[mh]') == [990101]
    assert pmids(synthetic, "review[pt]") == [990103]
    assert pmids(synthetic, "Retracted Publication[pt]") == [RETRACTED]
    # 990101 says "peer support" in its title and its keywords, the retracted one in its title only.
    rows = found(synthetic, "peer support")
    assert [(r["pmid"], r["is_retracted"]) for r in rows] == [(990101, 0), (RETRACTED, 1)]
    table = find(synthetic, "peer support")
    assert [line.split("\t")[-1] for line in table.stdout.splitlines()] == ["retracted", "", "RETRACTED"]


def test_the_canned_query_is_the_same_search(shipped, synthetic):
    metadata = yaml.safe_load((ROOT / "litbase" / "publish" / "metadata.yml").read_text())
    assert metadata["databases"]["litbase"]["queries"]["search"]["sql"] == search_sql()
    queries = ["peer support", "residen*", "burnout OR stress", "jain a[au] OR wellness[ti]", "2019:2021[dp]"]
    responses = get(shipped, *[f"/litbase/search.json?_shape=array&q={q}" for q in queries])
    for query, response in zip(queries, responses):
        assert response.status_code == 200
        assert response.json() == found(shipped, query), query
    retracted = get(synthetic, "/bib/search.json?_shape=array&q=peer+support").json()
    assert [(r["pmid"], r["is_retracted"]) for r in retracted] == [(990101, 0), (RETRACTED, 1)]


def test_the_search_page_without_a_query_is_a_form_with_examples(shipped):
    for path in ["/litbase/search", "/litbase/search?q=", "/litbase/search?q=+"]:
        page = get(shipped, path)
        assert page.status_code == 200
        assert '<input type="search" id="litbase-q" name="q" value="' in page.text
        assert 'href="/litbase/search?q=%22peer%20support%22%5Btiab%5D%20AND%20residen%2A"' in page.text
        assert "message-error" not in page.text and "fts5" not in page.text
    assert get(shipped, "/litbase/search.json?_shape=array").json() == []


def test_a_query_the_site_cannot_read_says_what_and_shows_it(shipped):
    page, data = get(shipped, "/litbase/search?q=(peer+support", "/litbase/search.json?q=peer[tiabx]&_shape=array")
    assert page.status_code == 400
    assert "<strong>This search could not be read:</strong> The parenthesis is never closed." in page.text
    assert "Searched: <code><mark>(</mark>peer support</code>" in page.text
    assert 'name="q" value="(peer support"' in page.text
    assert "message-error" not in page.text and "fts5" not in page.text
    assert (data.status_code, data.json()) == (400, {
        "ok": False, "error": "This search could not be read: Unknown field tag [tiabx] (at character 5)",
        "query": "peer[tiabx]", "status": 400, "title": "Invalid search"})


def test_the_search_page_shows_how_it_read_the_query(shipped):
    page = get(shipped, "/litbase/search?q=peer+support+AND+2022%5Bdp%5D")
    assert page.status_code == 200
    assert ("Search details: <code>(peer[All Fields] AND support[All Fields]) AND"
            " 2022[Publication Date]</code>") in page.text
    assert "1 article, most relevant first" in " ".join(page.text.split())
    assert f'href="/litbase/articles/{SEED}"' in page.text


def old_index(db: sqlite_utils.Database) -> None:
    """The full-text index as litbase made it before authors, journal, types and year were added."""
    columns = ["title", "abstract", "keywords", "mesh_terms"]
    fts.drop_triggers(db, "articles")
    db["articles_fts"].drop()
    db["articles"].enable_fts(columns, fts_version="FTS5")
    fts.ensure_fts_triggers(db, "articles", columns)


def test_an_older_index_is_rebuilt_once(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    old_index(build_db(path))
    db = sqlite_utils.Database(path)
    assert [c.name for c in db["articles_fts"].columns] == ["title", "abstract", "keywords", "mesh_terms"]
    db.close()

    assert pmids(path, "Smith AB[au]") == [990103]  # find opens the base: the index is rebuilt
    db = open_db(path)
    assert [c.name for c in db["articles_fts"].columns] == FTS_CONFIG["articles"]
    assert fts.in_step(db, "articles") and fts.triggers_present(db, "articles")
    rebuilt = []
    monkeypatch.setattr(sqlite_utils.db.Table, "enable_fts", lambda *a, **k: rebuilt.append(a))
    open_db(path)
    assert rebuilt == []
    with db.conn:
        db["articles"].update(990103, {"journal_iso": "Synth Rev"})
    assert pmids(path, '"Synth Rev"[ta]') == [990103]


def test_an_older_index_served_before_any_command_says_how_to_rebuild_it(tmp_path):
    path = tmp_path / "old.db"
    old_index(build_db(path))
    page = get(path, "/old/search?q=smith+ab%5Bau%5D")
    assert page.status_code == 400
    assert "<strong>The search failed:</strong> no such column: authors." in page.text
    assert 'rebuilds it once, for example <code>litbase find old.db "peer support"</code>' in page.text
    # Words without a tag still work on the older index.
    assert [r["pmid"] for r in get(path, "/old/search.json?q=peer+support&_shape=array").json()] == [990101]


def test_pmid_doi_and_subsets_find_the_facts_of_the_record(shipped):
    # The shipped base: 13 articles have a PMC copy, only the seed an abstract, none a MEDLINE status.
    assert pmids(shipped, f"{SEED}[pmid]") == [SEED]
    assert pmids(shipped, f"{SEED} 22106247[uid]") == [22106247, SEED]  # the same tier: by PMID
    assert pmids(shipped, f"{SEED},99999999[pmid]") == [SEED]
    assert pmids(shipped, "10.1002/AET2.10728[doi]") == [SEED]
    assert pmids(shipped, "10.1002/aet2.10728[aid]") == [SEED]
    assert pmids(shipped, "hasabstract") == [SEED]
    assert pmids(shipped, "peer support AND hasabstract") == [SEED]
    # The seed has "peer support" in its title and abstract: its tier is above the others'.
    assert pmids(shipped, "peer support AND pubmed pmc[sb]") == [SEED, 22106247, 29878948, 34249197]
    assert pmids(shipped, "peer support AND free full text[sb]") == [SEED, 22106247, 29878948, 34249197]
    assert pmids(shipped, "peer support NOT free full text[sb]") == [19632979, 22430901, 26226526, 27092397,
                                                                    27355784, 29843841, 32232665]
    assert pmids(shipped, "burnout[ti] OR 22106247[pmid]") == [19773573, 22106247, 25650824, 25755266,
                                                               26692975, 27168899, 27692469]
    assert pmids(shipped, "medline[sb]") == []


def test_the_rows_and_reading_of_a_filtered_find(shipped):
    rows = found(shipped, f"{SEED}[pmid] AND hasabstract")
    assert rows == found(shipped, '"peer support"[tiab] AND residen*')[:1]  # the seed's row, as above
    table = find(shipped, "peer support AND pubmed pmc[sb]")
    assert table.stderr == ('4 articles for (peer[All Fields] AND support[All Fields]) AND'
                            ' "pubmed pmc"[Filter]\n')
    assert find(shipped, f"{SEED} 22106247[uid]").stderr == f"2 articles for {SEED}[UID] OR 22106247[UID]\n"


def test_medline_status_and_a_retracted_publication(synthetic, tmp_path):
    path = tmp_path / "status.db"
    build_db(path, [base(990201, title="Indexed for MEDLINE", medline_status="MEDLINE"),
                    base(990202, title="Not for MEDLINE", medline_status="PubMed-not-MEDLINE"),
                    base(990203, title="In process", medline_status="In-Process")])
    assert pmids(path, "medline[sb]") == [990201]
    assert pmids(path, "pubmednotmedline[sb]") == [990202]
    assert pmids(path, "10.5555/synth.990203[doi]") == [990203]
    assert pmids(synthetic, "retracted publication[pt]") == [RETRACTED]
    assert pmids(synthetic, "retracted publication[pt] AND pubmed pmc[sb]") == []
    assert pmids(synthetic, "peer support AND pubmed pmc[sb]") == [990101]


@pytest.mark.parametrize("query, message", [
    ("burnout[ad]", "PubMed's field tag [ad] (Affiliation) is not searched here: the local index does not hold"
                    " it (at character 8)"),
    ("aim[sb]", 'The subset "aim" [sb] is not one litbase can answer from the records (it answers hasabstract,'
                " pubmed pmc, free full text, medline, pubmednotmedline) (at character 1)"),
    ("PMC8963728[pmid]", '"PMC8963728" is not a PMID: [pmid] takes the digits of one or more PMIDs'
                         " (at character 1)"),
    ("10.1/a b[doi]", '"10.1/a b" is not a DOI: a DOI has no spaces (at character 1)'),
])
def test_a_tag_or_subset_find_cannot_answer_is_one_line_and_exit_1(shipped, query, message):
    result = find(shipped, query)
    assert (result.exit_code, result.stderr) == (1, f"Error: cannot read the search {query!r}: {message}\n")


def test_the_search_page_says_filters_are_finds(shipped):
    response = get(shipped, f"/litbase/search.json?_shape=array&q={SEED}[pmid]")
    assert response.status_code == 400
    assert ("[pmid], [doi], [sb] and hasabstract are searched by `litbase find`, not by this page, which searches"
            " the text index only") in response.text
