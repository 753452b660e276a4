"""The peer-support dataset, `litbase build` and `litbase snapshot`: exact rows, idempotency, round trip."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner

from litbase.cli import cli
from litbase.store.dataset import TABLES, DatasetError, load_dataset, snapshot

ROOT = Path(__file__).resolve().parent.parent
# The seed converter is a script of the repository, not part of the installed package.
sys.path.insert(0, str(ROOT / "scripts"))
import build_dataset_from_seed as converter  # noqa: E402
from build_dataset_from_seed import (  # noqa: E402
    build_seed_database,
    parse_mesh_term,
    parse_reference_line,
)

DATASET = ROOT / "datasets" / "peer-support"
SEED_DIR = ROOT.parent / "shared" / "seed"
# Eight of the seed's records, verbatim, so the converter checks run without
# ../shared too (see tests/fixtures/seed-excerpt/README.md).
EXCERPT = ROOT / "tests" / "fixtures" / "seed-excerpt"
PAGE = "seed-page-35392492.txt"
SEED = 35392492
# When this version of the seed facts was gathered: the date the converter
# records for it (SEED_VERSIONS), stamped on every timestamp of the dataset.
GATHERED = "2026-12-05T02:36:02+00:00"
# The three references the seed marks as probable matches (lines 3, 22, 23).
PROBABLE = {26226526, 29843841, 28826752}


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("build") / "litbase.db"
    run("build", path, DATASET)
    return sqlite_utils.Database(path)


def dataset_files(folder) -> dict:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(Path(folder).iterdir())
            if p.name == "dataset.json" or p.suffix == ".jsonl"}


def all_rows(db, table):
    pk = TABLES[table]["pk"]
    order = ", ".join([pk] if isinstance(pk, str) else pk)
    return [dict(r) for r in db.query(f"select * from [{table}] order by {order}")]


def test_build_counts(built):
    counts = {t: built[t].count for t in TABLES if built[t].count}
    # From the seed facts: 130 authorships (the seed's 5 and the references' lists); 123
    # distinct names (Dyrbye LN and Shanafelt TD on 3 references, Shapiro J, West CP and
    # Sloan JA on 2). 34 journal abbreviations, but J Grad Med Educ and CJEM are each stored
    # twice: the store keys a journal by ISSN, else full title, else abbreviation, and one
    # record gives the ISSN (line 30) or the full title (line 22) where the others do not.
    assert counts == {
        "articles": 51, "journals": 36, "authors": 123, "articles_authors": 130,
        "mesh_terms": 11, "articles_mesh_terms": 11, "citations": 50,
        "article_references": 51, "citing_works": 2,
        "collections": 1, "collections_articles": 51, "article_provenance": 51,
    }
    # The other tables exist, empty: nothing was fetched, nothing is missing.
    assert {"similar_articles", "missing_pmids", "fetches"} <= set(built.table_names())


def test_seed_reference_list(built):
    lines = all_rows(built, "article_references")
    assert [(r["citing"], r["source"]) for r in lines] == [(SEED, "seed_page")] * 51
    assert [r["position"] for r in lines] == list(range(1, 52))
    assert lines[0]["citation"] == "Teach Learn Med. 2016 Jul-Sep;28(3):293-302 [PMID: 27092397]"
    # Line 47 names the seed itself: kept as printed, flagged, never a citation.
    assert lines[46] == {
        "citing": SEED, "source": "seed_page", "position": 47,
        "citation": "AEM Educ Train. 2022 Apr 01;6(2):e10728 [PMID: 35392492]",
        "cited_pmid": SEED, "doi": None, "pmcid": None, "is_self_reference": 1,
        "retrieved_at": GATHERED,
    }
    assert sum(r["is_self_reference"] for r in lines) == 1
    citations = all_rows(built, "citations")
    assert {(c["citing"], c["source"]) for c in citations} == {(SEED, "seed_page")}
    assert len({c["cited"] for c in citations}) == 50
    assert SEED not in {c["cited"] for c in citations}
    assert {c["cited"] for c in citations} == {r["cited_pmid"] for r in lines} - {SEED}


def test_reference_titles_known_and_unknown(built):
    first = built["articles"].get(27092397)
    assert first["title"] == (
        "A Peer-Support and Mindfulness Program to Improve the Mental Health of Medical Students"
    )
    assert first["authors"] == "Moir F, Henning M, Hassed C, Moyes SA, Elley CR"
    assert first["journal_iso"] == "Teach Learn Med"
    assert (first["year"], first["month"], first["pub_date"]) == (2016, None, "2016 Jul-Sep")
    assert first["doi"] == "10.1080/10401334.2016.1153475"
    second = built["articles"].get(29467969)
    assert second["title"] is None
    assert second["authors"] is None
    assert second["abstract"] is None
    assert (second["journal"], second["journal_iso"], second["year"], second["month"]) == (
        "Journal of Graduate Medical Education", "J Grad Med Educ", 2018, 2)
    assert second["completeness"] == (
        "title not known; no abstract; reference list not looked up; citing and similar"
        " articles not looked up (litbase fetch would add what PubMed has)"
    )
    assert second["source_url"] == "https://ngdc.cncb.ac.cn:443/openlb/publication/OLB-PM-35392492"
    titled = built.execute("select count(*) from articles where title is not null").fetchone()[0]
    assert titled == 32  # the seed and 31 of its 50 references; nothing invented
    assert built.execute("select count(*) from articles where abstract is not null").fetchone()[0] == 1


def test_status_provenance_and_record_source(built):
    rows = all_rows(built, "articles")
    assert {r["record_source"] for r in rows} == {"dataset"}
    assert all(r["source_url"] and r["field_sources"] for r in rows)
    status = {r["pmid"]: r["references_status"] for r in rows}
    assert status.pop(SEED) == "known"
    assert set(status.values()) == {"unknown"}
    seed = built["articles"].get(SEED)
    assert seed["title"] == (
        '"Everybody in this room can understand": A qualitative exploration of peer support'
        " during residency training."
    )
    assert (seed["references_sources"], seed["references_count"]) == ("seed_page", 50)
    assert seed["completeness"] == (
        "citing and similar articles not looked up (litbase fetch would add what PubMed has)"
    )
    assert (seed["doi"], seed["pmcid"], seed["pub_date"]) == (
        "10.1002/aet2.10728", "PMC8963728", "2022 Apr 1")
    assert json.loads(seed["abstract_sections"])[0]["label"] == "Objectives"
    affiliations = [r["affiliation"] for r in built.query(
        "select affiliation from articles_authors where pmid = ? order by position", [SEED])]
    assert len(affiliations) == 5 and affiliations[3].startswith("Department of Health Systems Science")
    confidence = {r["pmid"]: r["match_confidence"] for r in all_rows(built, "article_provenance")}
    assert {p for p, c in confidence.items() if c == "probable"} == PROBABLE
    assert sorted(confidence.values()).count("not_found") == 19  # the untitled references
    probable = built["article_provenance"].get(28826752)
    assert "Verify with E-utilities" in json.loads(probable["notes"])[0]
    # Line 3 is titled from a page that never shows its PMID, and says so.
    veterans = built["articles"].get(26226526)
    assert veterans["title"] == ("Veterans' Perspectives on Benefits and Drawbacks of Peer"
                                 " Support for Posttraumatic Stress Disorder")
    assert veterans["journal"] is None  # not printed on the pages seen: left empty
    assert json.loads(built["article_provenance"].get(26226526)["notes"])[0].startswith(
        "No stored page seen that shows PMID 26226526")
    extra = json.loads(built["article_provenance"].get(SEED)["extra"])
    assert extra["reference_count_reported_by_scite"] == 52
    assert extra["orcid_link_shown_on_seed_page"] == ["Jain A", "Riddell J"]


def test_mesh_and_publication_types(built):
    assert json.loads(built["articles"].get(25755266)["publication_types"]) == [
        "Randomized Controlled Trial"]
    heading = built.execute(
        "select m.name, am.major_topic, am.qualifiers from articles_mesh_terms am"
        " join mesh_terms m on m.id = am.mesh_id where am.pmid = 27438155 and m.name = ?",
        ["Education, Medical"],
    ).fetchone()
    assert heading == ("Education, Medical", 0, '["methods*"]')


def test_citing_works_and_collection(built):
    works = all_rows(built, "citing_works")
    assert [(w["id"], w["cited_pmid"], w["year"]) for w in works] == [
        ("10.34197/ats-scholar.2023-0011PS", SEED, 2023),
        ("10.5811/westjem.2022.10.57468", SEED, 2023),
    ]
    assert works[1]["title"] == (
        "Virtual Open House: Incorporating Support Persons into the Residency Community")
    assert works[1]["authors"] == "Vongsachang H, Jain A"
    assert all(w["source_url"] and w["evidence"] for w in works)
    collection = built["collections"].get("peer-support")
    assert collection["seed_pmids"] == "[35392492]"
    assert collection["facts_gathered_on"] == "2026-12-05"
    assert (collection["created_at"], collection["updated_at"]) == (GATHERED, GATHERED)
    assert "state no date of gathering" in collection["description"]
    assert "3 references (lines 3, 22, 23) are probable matches" in collection["description"]
    assert collection["stored_count"] == 51
    roles = built.execute(
        "select role, depth, count(*) from collections_articles group by role, depth order by role"
    ).fetchall()
    assert roles == [("reference", 1, 50), ("seed", 0, 1)]


def test_full_text_index(built):
    found = [r[0] for r in built.execute(
        "select rowid from articles_fts where articles_fts match 'peer support' order by rank")]
    # Every record with both words in its title (the seed's abstract too), as the seed
    # facts give them: 4 of them titled only since the facts of 2026-12-05.
    assert sorted(found) == sorted([SEED, 27092397, 26226526, 27355784, 29878948, 32232665,
                                    29843841, 34249197, 19632979, 22106247, 22430901])


def test_build_is_idempotent(tmp_path):
    path = tmp_path / "twice.db"

    def state():
        db = sqlite_utils.Database(path)
        # graph_runs included: a second build finds the graph's inputs unchanged.
        counts = {t: db[t].count for t in db.table_names() if "_fts_" not in t}
        schema = db.schema
        db.close()
        return counts, schema

    run("build", path, DATASET)
    first = state()
    run("build", path, DATASET)
    assert state() == first
    assert first[0]["articles"] == 51 and first[0]["articles_fts"] == 51
    assert first[0]["graph_runs"] == 1


def test_build_defaults_to_peer_support(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = run("build", tmp_path / "default.db")
    assert "51 articles, 50 citations, 51 reference lines" in result.output


def test_snapshot_round_trip(built, tmp_path):
    # Every row comes back, timestamps included: the loader writes them as read.
    run("snapshot", built.conn.execute("pragma database_list").fetchone()[2], tmp_path / "snap")
    assert dataset_files(tmp_path / "snap") == dataset_files(DATASET), (
        "the committed dataset no longer matches what litbase writes; re-run"
        " python scripts/build_dataset_from_seed.py ../shared/seed datasets/peer-support")
    run("build", tmp_path / "again.db", tmp_path / "snap")
    again = sqlite_utils.Database(tmp_path / "again.db")
    for table in TABLES:
        assert all_rows(again, table) == all_rows(built, table), table
    assert again.execute("select count(*) from articles_fts").fetchone()[0] == 51


def test_snapshot_keeps_json_text_exact(tmp_path):
    # Text that only looks like JSON, or JSON spaced differently, is kept byte for byte.
    db = sqlite_utils.Database(tmp_path / "odd.db")
    load_dataset(db, DATASET)
    db.execute("update articles set keywords = ?, field_sources = ? where pmid = ?",
               ['["a",  "b"]', "[not json", SEED])
    db.conn.commit()
    snapshot(db, tmp_path / "odd")
    copy = sqlite_utils.Database(tmp_path / "copy.db")
    load_dataset(copy, tmp_path / "odd")
    row = copy["articles"].get(SEED)
    assert (row["keywords"], row["field_sources"]) == ('["a",  "b"]', "[not json")


def test_truncated_dataset_is_refused(tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(DATASET, folder)
    lines = (folder / "citations.jsonl").read_text().splitlines(keepends=True)
    (folder / "citations.jsonl").write_text("".join(lines[:-1]))
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "b.db"), str(folder)])
    assert result.exit_code == 1
    assert "citations.jsonl has 49 rows; dataset.json says 50" in result.output
    with pytest.raises(DatasetError, match="no dataset.json"):
        load_dataset(sqlite_utils.Database(memory=True), tmp_path)


def test_reference_line_and_mesh_parsing():
    assert parse_reference_line("29. Curr Probl Diagn Radiol. 2019 Mar - Apr;48(2):105-107 [PMID: 29475569]") == {
        "position": 29, "pmid": 29475569, "pub_date": "2019 Mar - Apr",
        "citation": "Curr Probl Diagn Radiol. 2019 Mar - Apr;48(2):105-107 [PMID: 29475569]",
    }
    assert parse_reference_line("48. Can Fam Physician. 2005 Feb;51:242-3 [PMID: 16926935]")["pub_date"] == "2005 Feb"
    assert parse_mesh_term("Stress, Psychological / prevention & control*") == {
        "descriptor_ui": None, "descriptor": "Stress, Psychological", "major_topic": False,
        "qualifiers": ["prevention & control*"],
    }


def keyed_rows(db, table) -> dict:
    pk = TABLES[table]["pk"]
    return {tuple(row[k] for k in ([pk] if isinstance(pk, str) else pk)): row
            for row in all_rows(db, table)}


def test_converter_reproduces_the_committed_dataset(built, tmp_path):
    # Always, from the excerpt the repository carries: every row the converter
    # writes from those eight records is a row of the committed dataset, exactly.
    fresh = build_seed_database(EXCERPT, now=GATHERED)
    counts = {t: fresh[t].count for t in ("articles", "citations", "article_references",
                                          "collections_articles", "article_provenance")}
    assert counts == {"articles": 8, "citations": 7, "article_references": 8,
                      "collections_articles": 8, "article_provenance": 8}
    for table in TABLES:
        committed = keyed_rows(built, table)
        for key, row in keyed_rows(fresh, table).items():
            expected = dict(committed[key])
            # What counts the whole 51-line list differs for an excerpt of it.
            if table == "articles" and key == (SEED,):
                assert (row.pop("references_count"), expected.pop("references_count")) == (7, 50)
            if table == "collections":
                assert (row.pop("stored_count"), expected.pop("stored_count")) == (8, 51)
                assert "the 7 articles its reference list cites" in row.pop("description")
                expected.pop("description")
            assert row == expected, (table, key)
    if SEED_DIR.is_dir():
        # With ../shared (as in CI): the whole dataset, byte for byte, dates
        # included (SEED_VERSIONS dates the facts, never the clock or the files'
        # modification times), and the excerpt still verbatim from the seed.
        snapshot(build_seed_database(SEED_DIR), tmp_path / "fresh")
        assert dataset_files(tmp_path / "fresh") == dataset_files(DATASET), (
            "the committed dataset is stale; re-run"
            " python scripts/build_dataset_from_seed.py ../shared/seed datasets/peer-support")
        for name in ("seed_article.json", "citing.json"):
            assert (EXCERPT / name).read_bytes() == (SEED_DIR / name).read_bytes(), name
        seed_refs = {r["position"]: r for r in json.loads((SEED_DIR / "references.json").read_text())}
        for ref in json.loads((EXCERPT / "references.json").read_text()):
            assert ref == seed_refs[ref["position"]], ref["position"]
        page_lines = (SEED_DIR / PAGE).read_text().splitlines()
        assert set((EXCERPT / PAGE).read_text().splitlines()) <= set(page_lines)


def test_converter_dates_the_facts_by_their_contents(tmp_path, monkeypatch):
    copy = tmp_path / "seed"
    shutil.copytree(EXCERPT, copy)
    # Facts nobody dated are refused, not stamped with the clock.
    with pytest.raises(SystemExit, match="no recorded date of gathering"):
        build_seed_database(copy)
    monkeypatch.setitem(converter.SEED_VERSIONS, converter.seed_digest(copy),
                        "2026-01-02T03:04:05+00:00")
    snapshot(build_seed_database(copy), tmp_path / "first")
    for path in copy.iterdir():
        os.utime(path, (86400, 86400))  # a copy made another day: the files' dates do not count
    snapshot(build_seed_database(copy), tmp_path / "second")
    first = dataset_files(tmp_path / "first")
    assert dataset_files(tmp_path / "second") == first
    stamps = set(re.findall(r'"(?:fetched|updated|retrieved|added|created)_at": "([^"]+)"',
                            "".join(first.values())))
    assert stamps == {"2026-01-02T03:04:05+00:00"}
    assert '"facts_gathered_on": "2026-01-02"' in first["collections.jsonl"]
    # A new version of the facts is dated on the command line, in UTC.
    converter.main([str(EXCERPT), str(tmp_path / "cli"), "--gathered-at", "2026-01-02T04:04:05+01:00"])
    assert dataset_files(tmp_path / "cli") == first
    with pytest.raises(SystemExit):
        converter.main([str(EXCERPT), str(tmp_path / "x"), "--gathered-at", "2026-01-02T03:04:05"])


def seed_fact_dirs() -> list[Path]:
    """The excerpt always; the full seed too when ../shared is beside the project."""
    return [EXCERPT] + ([SEED_DIR] if SEED_DIR.is_dir() else [])


def test_every_seed_fact_is_carried_over(built):
    for folder in seed_fact_dirs():
        seed = json.loads((folder / "seed_article.json").read_text())
        row = built["articles"].get(SEED)
        for field in ("title", "abstract", "journal", "journal_iso", "year", "day", "volume",
                      "issue", "pages", "doi", "pmcid"):
            assert row[field] == seed[field], ("seed", field)
        refs = json.loads((folder / "references.json").read_text())
        assert [r["position"] for r in refs if int(r["pmid"]) == SEED] == [47]
        for ref in refs:
            if int(ref["pmid"]) == SEED:
                continue
            row = built["articles"].get(int(ref["pmid"]))
            for field in ("title", "abstract", "journal", "journal_iso", "year", "day", "volume",
                          "issue", "pages", "doi", "pmcid"):
                assert row[field] == ref[field], (ref["position"], field)
            assert json.loads(row["field_sources"]) == ref["field_sources"]
            assert row["source_url"] == (ref["source_url"] or
                                         "https://ngdc.cncb.ac.cn:443/openlb/publication/OLB-PM-35392492")
            names = [(a["last_name"], a["fore_name"]) for a in built.query(
                "select au.last_name, au.fore_name from articles_authors aa join authors au"
                " on au.id = aa.author_id where aa.pmid = ? order by aa.position", [int(ref["pmid"])])]
            assert names == [(a["last_name"], a["fore_name"]) for a in ref["authors"] or []]
            provenance = built["article_provenance"].get(int(ref["pmid"]))
            assert provenance["match_confidence"] == ref["match_confidence"]
            assert json.loads(provenance["other_sources"]) == ref["other_sources"]
            assert provenance["article_type_label"] == ref["article_type_label"]
            assert provenance["abstract_seen_at"] == ref["abstract_seen_at"]


def test_build_never_replaces_a_pubmed_record(tmp_path):
    from litbase.store.schema import open_db
    from litbase.store.articles import save_articles

    path = tmp_path / "fetched.db"
    db = open_db(path)
    with db.conn:
        save_articles(db, [{"pmid": 27092397, "title": "Record as the test's PubMed sent it",
                            "year": 2016, "authors": [{"last_name": "Moir", "initials": "F"}]}],
                      record_source="efetch")
    run("build", path, DATASET)
    db = sqlite_utils.Database(path)
    row = db["articles"].get(27092397)
    assert (row["title"], row["record_source"]) == ("Record as the test's PubMed sent it", "efetch")
    assert [r["position"] for r in db["articles_authors"].rows_where("pmid = ?", [27092397])] == [1]
    # Everything the dataset knows beyond that record still arrives.
    assert db["articles"].count == 51
    assert db["article_references"].count_where("citing = ?", [SEED]) == 51
