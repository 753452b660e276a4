"""`litbase serve --public` is safe to expose, and an API key is written nowhere.

The first test runs the real command and probes it over HTTP: immutable and
read-only, SQL time limit, no database download, no arbitrary SQL (canned
queries still run), no CORS. The second runs fetches with a key through faults
and failures, then looks for the key in every byte litbase left behind.
"""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from eutils_server import Corpus, FakeEutilsServer

SEED = 5000
KEY = "k3y-0f-a-r3s3archer-7f1c9e"  # distinctive, so a find is never a coincidence


def corpus() -> Corpus:
    c = Corpus()
    c.add(SEED, title="Peer support in residency", refs=[101, 102], in_pmc=True, deposited_refs=True,
          abstract="Peer support matters.")
    c.add(101, refs=[], in_pmc=True)
    c.add(102, in_pmc=False)
    c.add(301, refs=[SEED], in_pmc=True)
    return c


def litbase(*args, env, cwd, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "litbase", *map(str, args)], env=env, cwd=cwd,
                          capture_output=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def built(tmp_path, monkeypatch):
    """A database fetched with the key set; (db path, environment, folder)."""
    home = tmp_path / "home"
    home.mkdir()
    with FakeEutilsServer(corpus()) as fake:
        env = {**os.environ, "LITBASE_EUTILS_URL": fake.base_url, "NCBI_API_KEY": KEY, "HOME": str(home),
               "NCBI_EMAIL": "tests@example.org"}
        done = litbase("fetch", "lit.db", SEED, "--sources", "pubmed", "--no-progress", env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert {r.params.get("api_key") for r in fake.requests} == {KEY}  # the key was really used
    return tmp_path / "lit.db", env, tmp_path


@pytest.mark.slow
def test_public_site_is_read_only_limited_and_closed(built):
    db_path, env, folder = built
    digest = hashlib.sha256(db_path.read_bytes()).hexdigest()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = subprocess.Popen([sys.executable, "-m", "litbase", "serve", str(db_path), "--public",
                              "--port", str(port)], env=env, cwd=folder,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert serve.poll() is None, serve.stderr.read().decode()
            try:
                requests.get(base + "/-/versions.json", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        get = lambda path, **kw: requests.get(base + path, timeout=10, **kw)  # noqa: E731
        settings = get("/-/settings.json").json()
        assert (settings["sql_time_limit_ms"], settings["facet_time_limit_ms"], settings["max_returned_rows"],
                settings["allow_download"], settings["default_allow_sql"]) == (1000, 200, 1000, False, False)
        databases = {d["name"]: d for d in get("/-/databases.json").json()}
        assert (databases["lit"]["is_mutable"], databases["lit"]["hash"] is not None) == (False, True)
        # No download of the file, no arbitrary SQL, no ad-hoc WHERE clauses.
        assert get("/lit.db").status_code == 403
        assert get("/lit.json", params={"sql": "select * from fetches"}).status_code == 403
        assert get("/lit/articles.json", params={"_where": "1=1"}).status_code == 403
        assert "Download SQLite DB" not in get("/lit").text
        # Canned queries and browsing still work.
        hits = get("/lit/search.json", params={"q": "peer", "_shape": "objects"})
        assert hits.status_code == 200 and [r["pmid"] for r in hits.json()["rows"]] == [SEED]
        page = get("/lit/articles.json", headers={"Origin": "https://elsewhere.example"})
        assert page.status_code == 200 and len(page.json()["rows"]) == 4
        # CORS stays off: no other site's page can read these answers.
        assert not any(h.lower().startswith("access-control-") for h in page.headers)
        # Writes are refused by Datasette's read-only mode, and the file never changed.
        # (Datasette 0.65 answers a POST to a table with an error page: "You may only POST to a canned query".)
        refused = requests.post(base + "/lit/articles", data={"pmid": 1}, timeout=10)
        assert refused.status_code != 200 and "You may only POST to a canned query" in refused.text
    finally:
        serve.terminate()
        serve.wait(timeout=10)
    assert hashlib.sha256(db_path.read_bytes()).hexdigest() == digest


def every_byte(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_the_api_key_is_nowhere(built):
    db_path, env, folder = built
    outputs = {}
    # Faults, retries and a failure: error messages are where a URL (with its key) could slip in.
    big = corpus()
    for pmid in range(2000, 2300):  # over 200 IDs: a POST whose body carries the key
        big.add(pmid, refs=[SEED])
    big.add(SEED + 1, refs=list(range(2000, 2300)), in_pmc=True)
    with FakeEutilsServer(big) as fake:
        fake.inject("efetch", "500")
        fake.inject("elink", "reset")
        fake.inject("efetch", "truncate")
        fake.inject("efetch", "429", retry_after=0)
        fake.inject("elink", "error200", message="Invalid uid list")
        faulty = {**env, "LITBASE_EUTILS_URL": fake.base_url}
        outputs["fetch with faults"] = litbase("fetch", "lit.db", SEED + 1, "--sources", "pubmed", "--progress",
                                               env=faulty, cwd=folder)
        assert outputs["fetch with faults"].returncode == 1
        assert b"Invalid uid list" in outputs["fetch with faults"].stderr
        outputs["fetch resumed"] = litbase("fetch", "lit.db", SEED + 1, "--sources", "pubmed", "--progress",
                                           env=faulty, cwd=folder)
        assert outputs["fetch resumed"].returncode == 0, outputs["fetch resumed"].stderr
        assert any(r.method == "POST" for r in fake.requests)
        outputs["search"] = litbase("search", "lit.db", "peer support[ti]", "--no-progress", env=faulty, cwd=folder)
    # A server that is not there.
    closed = {**env, "LITBASE_EUTILS_URL": f"http://127.0.0.1:{free_port()}/entrez/eutils/"}
    outputs["fetch refused"] = litbase("fetch", "lit.db", 999, "--sources", "pubmed", "--no-progress",
                                       env=closed, cwd=folder, timeout=300)
    assert outputs["fetch refused"].returncode == 1
    # A refused connection is named in a sentence, without requests' message (and the URL in it).
    assert b"PubMed (127.0.0.1) could not be reached: the connection was refused" in outputs["fetch refused"].stderr
    for name in ("bibtex", "ris", "csljson", "medline", "text", "csv"):
        done = litbase("export", "lit.db", "--sql", "select pmid from articles", "--format", name,
                       "-o", f"export.{name}", env=env, cwd=folder)
        assert done.returncode == 0, done.stderr
        assert (folder / f"export.{name}").stat().st_size > 100
    fetches = subprocess.run([sys.executable, "-c",
                              "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
                              " print(c.execute('select count(*), group_concat(params) from fetches').fetchone())",
                              str(db_path)], capture_output=True, text=True)
    assert fetches.stdout.startswith("(") and "api_key" not in fetches.stdout

    found = [name for name, out in outputs.items() if KEY.encode() in out.stdout + out.stderr]
    found += [name for name, data in every_byte(folder).items() if KEY.encode() in data]
    assert found == []
    # The sweep covered what it should: the database, its WAL, the exports, a fetch log of ~20 requests.
    swept = every_byte(folder)
    assert {"lit.db", "export.bibtex", "export.ris", "export.csljson", "export.medline", "export.text",
            "export.csv"} <= set(swept)
    count = int(fetches.stdout.strip("()\n").split(",")[0])
    assert count >= 15
