"""Datasette serves a database while litbase writes to it: no read fails.

SQLite's write-ahead log (schema.ensure_db_shape sets journal_mode=WAL) lets
readers see the last committed state while a writer appends, however long the
write. In the default rollback-journal mode a fetch's short batches get by on
SQLite's 5-second busy timeout, but a write transaction that outlasts it (a
bulk import, the graph tables of a large base) makes every read fail with
"database is locked"; the second test holds one open for 6.5 s.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
import requests
from eutils_server import Corpus, FakeEutilsServer

from litbase.store.schema import open_db

CORPUS = Corpus.random_graph(8000, mean_refs=10, seed=5, deposited_fraction=0)
SEEDS = sorted(CORPUS.articles, key=lambda p: -(len(CORPUS.get(p).refs) + len(CORPUS.cited_by(p))))[:25]
READS = 200
READERS = 6
PATHS = [
    "/lit/articles.json?_size=50&_sort_desc=pmid",
    "/lit.json?sql=select+count(*)+as+n+from+articles",
    "/lit/citations.json?_size=20",
    "/lit/articles.json?_search=synthetic&_size=10",
    "/lit/collection_members.json?_size=20",
    f"/lit/articles/{SEEDS[0]}.json",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    """(database path, base URL) of `litbase serve` running on a new database."""
    db_path = tmp_path / "lit.db"
    open_db(db_path).conn.close()
    assert sqlite3.connect(db_path).execute("pragma journal_mode").fetchone()[0] == "wal"
    port = free_port()
    serve = subprocess.Popen([sys.executable, "-m", "litbase", "serve", str(db_path), "--port", str(port)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/-/versions.json", serve)
        yield db_path, f"http://127.0.0.1:{port}"
    finally:
        serve.terminate()
        serve.wait(timeout=10)


def wait_until_up(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not come up")


@pytest.mark.slow
def seed_stored(db_path) -> bool:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return conn.execute("select 1 from articles where pmid = ?", [SEEDS[0]]).fetchone() is not None
    finally:
        conn.close()


def test_reads_during_a_fetch_never_fail(served):
    db_path, base = served
    with FakeEutilsServer(CORPUS) as fake:
        # No API key: 3 requests a second, as most users run it, and a write phase long
        # enough for the reads.
        env = {**os.environ, "LITBASE_EUTILS_URL": fake.base_url}
        env.pop("NCBI_API_KEY", None)
        fetch = subprocess.Popen(
            [sys.executable, "-m", "litbase", "fetch", str(db_path), *map(str, SEEDS), "--depth", "2",
             "--no-progress", "--sources", "pubmed"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # The reads start once the first seed is stored: before, its article page is rightly a 404.
        while not seed_stored(db_path) and fetch.poll() is None:
            time.sleep(0.01)
        writing_from = time.monotonic()
        reads, lock = [], threading.Lock()

        def reader(offset: int) -> None:
            session = requests.Session()
            i = offset
            while fetch.poll() is None:
                path = PATHS[i % len(PATHS)]
                i += 1
                started = time.monotonic()
                response = session.get(base + path, timeout=30)
                count = response.json()["rows"][0][0] if "sql=" in path and response.ok else None
                with lock:
                    reads.append((started, time.monotonic(), path, response.status_code,
                                  "database is locked" in response.text, count))

        threads = [threading.Thread(target=reader, args=(n,)) for n in range(READERS)]
        for thread in threads:
            thread.start()
        fetch_stderr = fetch.communicate(timeout=240)[1].decode()
        writing_until = time.monotonic()
        for thread in threads:
            thread.join()
        assert fetch.returncode == 0, fetch_stderr
        requests_made = fake.count()
    during = [r for r in reads if r[0] >= writing_from and r[1] <= writing_until]
    print(f"{len(during)} reads in {writing_until - writing_from:.1f} s of writing ({requests_made} requests);"
          f" slowest read {max(r[1] - r[0] for r in during):.3f} s")
    assert len(during) >= READS
    assert [r for r in during if r[3] != 200 or r[4]] == []
    # The reads saw the database grow: the writer committed while they ran.
    counts = {r[5] for r in during if r[5] is not None}
    assert len(counts) >= 3
    assert max(counts) <= sqlite3.connect(db_path).execute("select count(*) from articles").fetchone()[0] == 4706


def test_reads_during_a_write_longer_than_the_busy_timeout(served):
    db_path, base = served
    started, reads = time.monotonic(), []

    def long_write() -> None:
        conn = sqlite3.connect(db_path, isolation_level=None)
        conn.execute("begin immediate")
        conn.execute("create table scratch (data blob)")
        # 40 MB: far past the page cache, so a rollback journal would take the exclusive lock now.
        conn.executemany("insert into scratch values (randomblob(1048576))", [()] * 40)
        time.sleep(max(0.0, 6.5 - (time.monotonic() - started)))
        conn.execute("rollback")
        conn.close()

    writer = threading.Thread(target=long_write)
    writer.start()
    session = requests.Session()
    while writer.is_alive():
        response = session.get(base + "/lit.json?sql=select+count(*)+from+articles", timeout=30)
        reads.append((response.status_code, "database is locked" in response.text))
    writer.join()
    assert time.monotonic() - started >= 6.5
    assert len(reads) >= 20
    assert [r for r in reads if r != (200, False)] == []
