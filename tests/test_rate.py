"""NCBI's rate limit, seen from the server: a 2-hop crawl of thousands of articles never
sends more than 3 requests in any second (10 with an API key), and sends no more requests
than the batch sizes make necessary.

The server enforces the limit as NCBI does (a 429 for the request over it), so a limiter
that let one request too many through would show up twice: in the window count and as
an extra request.
"""

from __future__ import annotations

import math
import time

import pytest
import sqlite_utils
from click.testing import CliRunner
from eutils_server import Corpus, FakeEutilsServer

from litbase.cli import cli
from litbase.grow.crawl import EFETCH_BATCH, ELINK_BATCH

# No deposited reference lists: every link comes from elink, so one pass over
# the levels finds everything and the levels below can be computed from the
# corpus alone.
CORPUS = Corpus.random_graph(8000, mean_refs=10, seed=5, deposited_fraction=0)
SEEDS = sorted(CORPUS.articles, key=lambda p: -(len(CORPUS.get(p).refs) + len(CORPUS.cited_by(p))))[:25]
DEPTH = 2


def expected_levels(corpus: Corpus, seeds: list[int], depth: int) -> list[set[int]]:
    """Breadth-first from the seeds over what elink reports: PMC articles' references, PMC citers."""
    members, frontier, levels = set(seeds), set(seeds), [set(seeds)]
    for _ in range(depth):
        found = set()
        for pmid in frontier:
            article = corpus.get(pmid)
            if article.in_pmc:
                found.update(article.refs)
            found.update(c for c in corpus.cited_by(pmid) if corpus.get(c).in_pmc)
        frontier = found - members
        members |= frontier
        levels.append(frontier)
    return levels


def minimum_requests(levels: list[set[int]]) -> int:
    """One efetch per EFETCH_BATCH records of every level, one elink per ELINK_BATCH
    articles of every level but the last (its links are not followed)."""
    records = sum(math.ceil(len(level) / EFETCH_BATCH) for level in levels)
    links = sum(math.ceil(len(level) / ELINK_BATCH) for level in levels[:-1])
    return records + links


LEVELS = expected_levels(CORPUS, SEEDS, DEPTH)


def test_the_crawl_is_big_enough():
    assert [len(level) for level in LEVELS] == [25, 616, 4065]
    assert minimum_requests(LEVELS) == 17  # 1 + 1, 2 + 4, 9


@pytest.mark.slow
@pytest.mark.parametrize("api_key, limit", [(None, 3), ("rate-test-key", 10)], ids=["no key", "with key"])
def test_two_hop_crawl_keeps_the_rate_and_the_minimum(monkeypatch, tmp_path, api_key, limit):
    db_path = tmp_path / "rate.db"
    with FakeEutilsServer(CORPUS, enforce_rate_limit=limit) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        if api_key:
            monkeypatch.setenv("NCBI_API_KEY", api_key)
        else:
            monkeypatch.delenv("NCBI_API_KEY", raising=False)
        started = time.monotonic()
        result = CliRunner().invoke(cli, ["fetch", str(db_path), *map(str, SEEDS), "--depth", str(DEPTH),
                                          "--no-progress", "--sources", "pubmed"])
        seconds = time.monotonic() - started
        assert result.exit_code == 0, result.output
        log = fake.requests
        busiest = fake.max_requests_in_any_window(1.0)
    print(f"{limit}/s: {len(log)} requests in {seconds:.1f} s, busiest second {busiest}")
    assert [r.status for r in log] == [200] * len(log)  # the server never had to say 429
    assert busiest <= limit
    minimum = minimum_requests(LEVELS)
    assert minimum <= len(log) <= math.floor(minimum * 1.1)
    # The limiter was actually needed: unthrottled, 17 requests go out in well under a second.
    assert log[-1].time - log[0].time >= (len(log) - limit) / limit
    db = sqlite_utils.Database(db_path)
    assert db["articles"].count == sum(map(len, LEVELS)) == 4706
    by_depth = dict(db.execute(
        "select depth, count(*) from (select pmid, min(depth) as depth from collections_articles"
        " group by pmid) group by depth").fetchall())
    assert by_depth == {0: 25, 1: 616, 2: 4065}
