"""NCBI's rate limit in a real crawl: a 2-hop crawl of thousands of articles never
starts more than 3 requests in any second (10 with an API key), and sends no more
requests than the batch sizes make necessary.

The limiter runs on a fake clock that only its own waits move on, so the start of
every request is known exactly and the test waits for nothing. Every limiter the
crawl makes records into one list: a second limiter, or a request that bypassed
the limiter, would show up as too many starts in a second or as a request with no
recorded start.
"""

from __future__ import annotations

import math

import pytest
import sqlite_utils
from click.testing import CliRunner
from eutils_server import Corpus, FakeEutilsServer

from litbase.cli import cli
from litbase.grow.crawl import EFETCH_BATCH, ELINK_BATCH
from litbase.sources import http
from litbase.sources.http import RateLimiter

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
    assert len(LEVELS) == DEPTH + 1 and LEVELS[0] == set(SEEDS)
    assert all(not (a & b) for i, a in enumerate(LEVELS) for b in LEVELS[i + 1:])
    # Each level after the seeds needs several batches, and the whole crawl more
    # requests than even the keyed limit lets through in one second.
    assert all(len(level) > EFETCH_BATCH for level in LEVELS[1:])
    assert len(LEVELS[1]) > ELINK_BATCH
    assert minimum_requests(LEVELS) > 10


def most_in_any_window(starts: list[float], window: float) -> int:
    best = first = 0
    for last, t in enumerate(starts):
        while t - starts[first] >= window:
            first += 1
        best = max(best, last - first + 1)
    return best


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.mark.slow
@pytest.mark.parametrize("api_key, limit", [(None, 3), ("rate-test-key", 10)], ids=["no key", "with key"])
def test_two_hop_crawl_keeps_the_rate_and_the_minimum(monkeypatch, tmp_path, api_key, limit):
    clock, starts = FakeClock(), []

    class RecordingLimiter(RateLimiter):
        def acquire(self):
            waited = super().acquire()
            starts.append(clock.now)  # one thread, and nothing else moves the clock
            return waited

    # Every limiter the process makes from here on runs on the fake clock and records into `starts`.
    monkeypatch.setattr(http, "_shared_limiters", {})
    monkeypatch.setattr(http, "RateLimiter", lambda rate: RecordingLimiter(rate, clock=clock, sleep=clock.sleep))
    db_path = tmp_path / "rate.db"
    with FakeEutilsServer(CORPUS) as fake:
        monkeypatch.setenv("LITBASE_EUTILS_URL", fake.base_url)
        if api_key:
            monkeypatch.setenv("NCBI_API_KEY", api_key)
        else:
            monkeypatch.delenv("NCBI_API_KEY", raising=False)
        result = CliRunner().invoke(cli, ["fetch", str(db_path), *map(str, SEEDS), "--depth", str(DEPTH),
                                          "--no-progress", "--sources", "pubmed"])
        assert result.exit_code == 0, result.output
        log = fake.requests
    assert [r.status for r in log] == [200] * len(log)
    assert len(log) == len(starts) == minimum_requests(LEVELS)
    assert most_in_any_window(starts, 1.0) == limit
    # The limiter waits no longer than it must: `limit` starts at once, then the next
    # `limit` one window (and its margin) after them, and so on.
    span = http.RATE_WINDOW_SECONDS + http.RATE_WINDOW_MARGIN
    assert starts == pytest.approx([k // limit * span for k in range(len(starts))], abs=1e-9)
    db = sqlite_utils.Database(db_path)
    assert db["articles"].count == sum(map(len, LEVELS))
    by_depth = dict(db.execute(
        "select depth, count(*) from (select pmid, min(depth) as depth from collections_articles"
        " group by pmid) group by depth").fetchall())
    assert by_depth == {depth: len(level) for depth, level in enumerate(LEVELS)}
