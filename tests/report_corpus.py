"""The crawl and the screening file the report tests share (synthetic, shaped like PubMed's answers).

Seed 5000 (in PMC, with a deposited reference list) cites 101, 102, 103 and
777 (a PMID PubMed has no record for); 301 and 302 cite it; PubMed ranks 201
then 101 most similar to it. At the second hop 101 cites 401 and 402, 102
(deposited list, not in PMC) cites 401, 301 cites the seed and 101, and 501
cites 301. tests/fixtures/report/screening.csv holds two reviewers' decisions
(ana, ben) and one adjudication (cy), with one change of mind (ben on 402).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner
from eutils_server import Corpus, FakeEutilsServer

from litbase.cli import cli
from litbase.model.screening import Decision
from litbase.store.schema import open_db
from litbase.store.screening import record_decisions, set_screening_reasons

SEED = 5000
COLLECTION = f"pmid-{SEED}"
SCREENING_FILE = Path(__file__).parent / "fixtures" / "report" / "screening.csv"
REASONS = ["wrong population", "wrong study design", "not peer support"]


def report_corpus() -> Corpus:
    corpus = Corpus()
    corpus.add(SEED, refs=[101, 102, 103, 777], in_pmc=True, deposited_refs=True,
               similar=[(201, 90_000), (101, 80_000)], year=2022)
    corpus.add(101, refs=[401, 402], in_pmc=True, year=2015)
    corpus.add(102, refs=[401], deposited_refs=True, year=2016)
    corpus.add(103, year=2017)
    corpus.add(201, year=2021)
    corpus.add(301, refs=[SEED, 101], in_pmc=True, deposited_refs=True, year=2023)
    corpus.add(302, refs=[SEED], in_pmc=True, year=2024)
    corpus.add(401, year=2005)
    corpus.add(402, in_pmc=True, year=2006)
    corpus.add(501, refs=[401, 301], in_pmc=True, year=2025)
    return corpus


def crawl(db_path, *extra):
    """`litbase fetch` of the seed, two hops, the first similar article, PubMed's links only."""
    return CliRunner().invoke(cli, ["fetch", str(db_path), str(SEED), "--depth", "2", "--similar", "1",
                                    "--no-progress", "--sources", "pubmed", *map(str, extra)])


def load_screening(db_path, path: Path = SCREENING_FILE) -> int:
    """Record the file's decisions row by row, each at its own time, so history and order are the file's."""
    db = open_db(db_path)
    set_screening_reasons(db, COLLECTION, REASONS)
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        record_decisions(db, [Decision(COLLECTION, int(row["pmid"]), row["reviewer"], row["decision"],
                                       stage=row["stage"], reason=row["reason"] or None,
                                       note=row["note"] or None)], row["decided_at"])
    return len(rows)


def crawled_and_screened(folder: Path, screen: bool = True) -> Path:
    """A database with the crawl (against its own local server) and, with ``screen``, the decisions."""
    db_path = Path(folder) / "lit.db"
    with FakeEutilsServer(report_corpus()) as server, pytest.MonkeyPatch.context() as env:
        env.setenv("LITBASE_EUTILS_URL", server.base_url)
        env.setenv("NCBI_API_KEY", "SECRET-TEST-KEY")
        env.setenv("NCBI_EMAIL", "tests@example.org")
        assert crawl(db_path).exit_code == 1  # PMID 777 has no record
    if screen:
        load_screening(db_path)
    return db_path
