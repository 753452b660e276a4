"""kill -9 at random points: the database stays whole, holds no duplicate row, and the
next run asks only for what was left, ending in the same database as a run never killed.

Each trial starts `python -m litbase fetch` on the database the previous trial left
and kills it a random time after its first request (or, one time in six, at a random
time during start-up, when the database is being opened and shaped). The times come
from a seeded random generator, so a failure can be replayed with the same seed.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from db_dump import differences, dump, duplicate_rows
from eutils_server import Corpus, FakeEutilsServer

CORPUS = Corpus.random_graph(1500, mean_refs=8, seed=21)
SEED = max(CORPUS.articles, key=lambda p: len(CORPUS.get(p).refs) + len(CORPUS.cited_by(p)))
KILLS = 20
MAX_TRIALS = 60
RANDOM_SEED = 20240607


def command(db_path) -> list[str]:
    return [sys.executable, "-m", "litbase", "fetch", str(db_path), str(SEED), "--depth", "2",
            "--similar", "2", "--no-progress", "--sources", "pubmed"]


def asked(requests, endpoint) -> list[int]:
    out = []
    for r in requests:
        if r.endpoint == endpoint:
            values = r.params["id"] if isinstance(r.params["id"], list) else [r.params["id"]]
            out += [int(p) for v in values for p in v.split(",")]
    return out


def stored_state(db_path) -> tuple[set[int], set[int]]:
    """(PMIDs with a PubMed record, PMIDs whose links are stored)."""
    if not db_path.exists():
        return set(), set()
    conn = sqlite3.connect(db_path)
    try:
        if not conn.execute("select 1 from sqlite_master where name = 'articles'").fetchone():
            return set(), set()
        records = {r[0] for r in conn.execute("select pmid from articles where record_source = 'efetch'")}
        linked = {r[0] for r in conn.execute("select pmid from articles where links_fetched_at is not null")}
        return records, linked
    finally:
        conn.close()


def integrity(db_path) -> str:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("pragma integrity_check").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_kill_nine_at_random_points(tmp_path):
    rng = random.Random(RANDOM_SEED)
    with FakeEutilsServer(CORPUS) as fake:
        env = {**os.environ, "LITBASE_EUTILS_URL": fake.base_url, "NCBI_API_KEY": "crash-test-key"}
        clean_path = tmp_path / "clean.db"
        subprocess.run(command(clean_path), env=env, check=True, capture_output=True)
        # Kills land within the time the work takes on this machine after the first
        # request (about 0.6 s here), so that most of them interrupt it.
        work_seconds = 0.9 * (time.monotonic() - fake.requests[0].time)
        clean, clean_requests = dump(clean_path), fake.count()
        assert (len(clean["articles"]) - 1, clean_requests) == (475, 7)

        kills, completed, trial, chain = [], 0, 0, 0
        db_path = tmp_path / "chain0.db"
        while len(kills) < KILLS and trial < MAX_TRIALS:
            trial += 1
            records_before, linked_before = stored_state(db_path)
            fake.clear_log()
            during_startup = rng.random() < 1 / 6
            # A work kill waits for a random number of requests to arrive, then a random
            # moment more, so that kills spread over every stage of the crawl.
            target = rng.randint(1, clean_requests)
            delay = (rng.uniform(0.3, 1.5) if during_startup
                     else rng.uniform(0.0, work_seconds / clean_requests))
            process = subprocess.Popen(command(db_path), env=env, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.PIPE)
            if during_startup:
                time.sleep(delay)
            else:
                while len(fake.requests) < target and process.poll() is None:
                    time.sleep(0.002)
                time.sleep(delay)
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            stderr = process.communicate()[1].decode()
            requests = fake.requests

            # Whatever point it died at, the file is a sound database without duplicates.
            if db_path.exists():
                assert integrity(db_path) == "ok", f"trial {trial}"
                assert duplicate_rows(db_path) == {}, f"trial {trial}"
            # This run asked only for what the runs before it had left.
            efetched, elinked = asked(requests, "efetch"), asked(requests, "elink")
            assert not set(efetched) & records_before, f"trial {trial}: stored records fetched again"
            assert not set(elinked) & linked_before, f"trial {trial}: stored links fetched again"
            assert len(efetched) == len(set(efetched)) and len(elinked) == len(set(elinked))
            assert len(requests) <= clean_requests

            if process.returncode == -signal.SIGKILL:
                kills.append((trial, "start-up" if during_startup else "work", round(delay, 3),
                              len(requests)))
            else:
                assert process.returncode == 0, stderr
                # The run that got to the end holds exactly what a run never killed holds.
                diff = differences(dump(db_path), clean)
                assert diff == [], f"trial {trial}:\n" + "\n".join(diff)
                completed += 1
                chain += 1
                db_path = tmp_path / f"chain{chain}.db"
        # Finish the last chain, so every kill was followed by a run that completed.
        finished = subprocess.run(command(db_path), env=env, capture_output=True, text=True)
        assert finished.returncode == 0, finished.stderr
        assert differences(dump(db_path), clean) == []
    print(f"{len(kills)} kills in {trial} trials, {completed} chains completed; kills: {kills}")
    assert len(kills) >= KILLS
    # The kills spread over the run: some before any request, the rest at three or more stages of the work.
    assert {stage for _, stage, _, _ in kills} == {"start-up", "work"}
    assert len({n for _, stage, _, n in kills if stage == "work"}) >= 3
