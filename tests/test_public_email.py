"""Nothing personal is published: the contact e-mail sent to NCBI (and, in the User-Agent, to iCite
and Europe PMC) is in no table `litbase serve --public` serves and in no file `litbase snapshot` writes.

The database is built the way a user builds one, with the e-mail configured, a link source that
answers and one that fails (its error is recorded per article), retries, and an import of an ID list.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import requests
from eutils_server import FakeEutilsServer
from icite_server import FakeIciteServer
from test_public import SEED, corpus, free_port, litbase

EMAIL = "grep-me.7f1c9e@example.org"  # distinctive, so a find is never a coincidence
MARKS = (EMAIL, EMAIL.replace("@", "%40"), "grep-me.7f1c9e")


@pytest.fixture
def built(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with FakeEutilsServer(corpus()) as eutils, FakeIciteServer() as icite:
        icite.add(SEED, references=[101, 102], cited_by=[301])
        eutils.inject("efetch", "500")  # a retry, logged in fetches
        env = {**os.environ, "HOME": str(home), "NCBI_EMAIL": EMAIL, "NCBI_API_KEY": "k",
               "LITBASE_EUTILS_URL": eutils.base_url, "LITBASE_ICITE_URL": icite.base_url,
               "LITBASE_EUROPEPMC_URL": "http://litbase-test.invalid/rest/"}
        done = litbase("fetch", "lit.db", SEED, "--sources", "pubmed,icite,europepmc", "--no-progress",
                       env=env, cwd=tmp_path)
        assert done.returncode == 1, done.stderr  # Europe PMC could not be reached
        assert b"Europe PMC (litbase-test.invalid) could not be reached" in done.stderr
        # The e-mail really went out: to NCBI as a parameter, to iCite in the User-Agent.
        assert {r.params.get("email") for r in eutils.requests} == {EMAIL}
        assert all(EMAIL in r.headers["User-Agent"] for r in icite.requests)
    return tmp_path / "lit.db", env, tmp_path


def served_json(db_path, env, folder) -> dict[str, str]:
    """Every table and view of the database as `serve --public` serves it: /lit/NAME.json."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    serve = subprocess.Popen([sys.executable, "-m", "litbase", "serve", str(db_path), "--public",
                              "--port", str(port)], env=env, cwd=folder,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            assert serve.poll() is None, serve.stderr.read().decode()
            try:
                requests.get(base + "/-/versions.json", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        database = requests.get(base + "/lit.json", timeout=10).json()
        names = [t["name"] for t in database["tables"]] + [v["name"] for v in database.get("views", [])]
        pages = {"/lit.json": str(database)}
        for name in names:
            response = requests.get(f"{base}/lit/{name}.json", params={"_size": "max"}, timeout=30)
            assert response.status_code == 200, (name, response.text[:200])
            assert response.json().get("next") is None, name  # the whole table is in the page
            pages[name] = response.text
        return pages
    finally:
        serve.terminate()
        serve.wait(timeout=10)


@pytest.mark.slow
def test_the_email_is_neither_served_nor_snapshotted(built):
    db_path, env, folder = built
    pages = served_json(db_path, env, folder)
    assert {"fetches", "articles", "article_sources", "citations"} <= set(pages)
    assert '"failed"' in pages["article_sources"]  # the failure row is there, without the e-mail
    assert "efetch" in pages["fetches"] and '"retry"' in pages["fetches"]  # the log is served, masked
    assert [name for name, text in pages.items() if any(m in text for m in MARKS)] == []
    done = litbase("snapshot", "lit.db", "shared", env=env, cwd=folder)
    assert done.returncode == 0, done.stderr
    written = {p.name: p.read_text(encoding="utf-8") for p in (folder / "shared").iterdir()}
    assert {"fetches.jsonl", "articles.jsonl", "article_sources.jsonl"} <= set(written)
    assert [name for name, text in written.items() if any(m in text for m in MARKS)] == []
    # Nor is it anywhere in the database file: it is kept out when written, not hidden when served.
    assert not any(m.encode() in db_path.read_bytes() for m in MARKS)
