"""End to end in a real headless Chromium: `litbase serve`, search, open the seed, follow a reference.

Debian's /usr/bin/chromium driven by Playwright (never `playwright install`:
the machine has no network). Set LITBASE_SCREENSHOTS=DIR to also save the
README's screenshots there.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT = Path(__file__).resolve().parent.parent
SEED = 35392492
SEED_TITLE = ('"Everybody in this room can understand": A qualitative exploration of peer support'
              " during residency training.")
FIRST_TITLE = "A Peer-Support and Mindfulness Program to Improve the Mental Health of Medical Students"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def litbase_served(db: Path, *options: str):
    """``litbase serve DB OPTIONS`` on a free port for the block; yields its base URL.

    Waits up to two minutes: a fresh install has no compiled bytecode yet, and a
    loaded 2-core machine took 20 s to start Datasette. The server's output goes
    to serve.log beside the database, shown if it exits early.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with open(db.parent / "serve.log", "w+") as log:
        server = subprocess.Popen([*litbase_command(), "serve", str(db), "--port", str(port), *options],
                                  stdout=log, stderr=subprocess.STDOUT)
        try:
            for _ in range(1200):
                if server.poll() is not None:
                    log.seek(0)
                    pytest.fail(f"litbase serve exited: {log.read()}")
                try:
                    urllib.request.urlopen(base + "/-/versions.json", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                pytest.fail(f"litbase serve did not answer on {base} within two minutes")
            yield base
        finally:
            server.terminate()
            server.wait(timeout=10)



def litbase_command() -> list[str]:
    script = Path(sys.executable).parent / "litbase"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from litbase.cli import cli; cli()"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`litbase build` then `litbase serve` in a subprocess; yields the base URL."""
    db = tmp_path_factory.mktemp("browser") / "litbase.db"
    subprocess.run([*litbase_command(), "build", str(db)], cwd=ROOT, check=True, capture_output=True)
    with litbase_served(db) as base:
        yield base


@pytest.fixture(scope="module")
def page(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 860})
        yield page
        browser.close()


def screenshot(page, name, full_page=False, height=None):
    folder = os.environ.get("LITBASE_SCREENSHOTS")
    if folder:
        viewport = page.viewport_size
        if height:
            page.set_viewport_size({"width": viewport["width"], "height": height})
        page.screenshot(path=str(Path(folder) / name), full_page=full_page)
        page.set_viewport_size(viewport)


def test_search_open_seed_follow_a_reference(site, page):
    page.goto(site + "/litbase")
    assert page.locator("h1").first.inner_text() == "Literature knowledge base"
    page.get_by_role("link", name="Search, most relevant first").first.click()
    page.locator("input[name=q]").fill("peer support")
    page.locator("input[name=q]").press("Enter")
    page.wait_for_url("**/litbase/search?q=peer+support*")
    results = page.locator("table.rows-and-columns tbody tr")
    assert results.count() == 11  # the articles with both words in title (or abstract)
    assert SEED_TITLE in page.locator("table.rows-and-columns").inner_text()

    page.locator(f'table.rows-and-columns a[href="/litbase/articles/{SEED}"]').click()
    page.wait_for_url(f"**/litbase/articles/{SEED}")
    assert page.locator("h1.litbase-title").inner_text() == SEED_TITLE
    assert page.locator(".litbase-byline").inner_text() == "Jain A, Tabatabai R, Schreiber J, Vo A, Riddell J"
    assert page.locator("ol.litbase-refs > li").count() == 51
    second = page.locator("ol.litbase-refs > li").nth(1).inner_text()
    assert second == "Title not known J Grad Med Educ. 2018 Feb;10(1):26-32 [PMID: 29467969] PubMed [seed page]"

    page.get_by_role("link", name=FIRST_TITLE).click()
    page.wait_for_url("**/litbase/articles/27092397")
    assert page.locator("h1.litbase-title").inner_text() == FIRST_TITLE
    assert page.locator(".litbase-byline").inner_text() == "Moir F, Henning M, Hassed C, Moyes SA, Elley CR"
    assert page.locator(".litbase-citation").inner_text() == "Teach Learn Med. 2016 Jul-Sep;28(3):293-302"
    assert page.locator("ol.litbase-citing").inner_text() == SEED_TITLE + " AEM Educ Train 2022 PubMed [seed page]"
    assert page.locator(".litbase-missing").first.inner_text() == (
        "Not known yet: nobody has looked up this article's reference list (it may well cite other work).")


def test_unknown_title_is_said_plainly(site, page):
    page.goto(site + "/litbase/articles/29467969")
    assert page.locator("h1.litbase-title").inner_text() == "Title not known"
    assert page.locator(".litbase-missing").first.inner_text() == (
        "The title of this article is not in the gathered facts."
        " A networked litbase fetch would add it from PubMed.")


def test_browse_and_overview(site, page):
    page.goto(site + "/litbase/articles?_search=peer+support")
    assert "11 rows where search matches" in page.locator("h3").first.inner_text()
    page.goto(site + "/litbase/articles")
    facets = page.locator(".facet-info").all_inner_texts()
    assert any(f.startswith("references_status") for f in facets)
    screenshot(page, "screenshot.png", height=1500)
    page.goto(site + "/-/litbase/litbase")
    assert page.locator("svg.litbase-chart rect").count() == 19  # years with publications, 1985 to 2022
    assert page.locator("svg.litbase-network g.nodes circle").count() == 51
    screenshot(page, "overview.png", full_page=True)


def test_interactive_network_colours_and_click_through(site, page):
    page.goto(site + f"/litbase/articles/{SEED}")
    page.get_by_role("link", name="Citation network of this article").click()
    page.wait_for_url(f"**/-/litbase/litbase/network?pmid={SEED}")
    assert page.locator("h1").first.inner_text() == f"Citation network of PMID {SEED}"
    circles = page.locator("svg.litbase-network circle.litbase-node")
    assert circles.count() == 51  # the seed and its 50 references; no citing article has a PMID
    assert page.locator("svg.litbase-network line.litbase-link").count() == 50
    focus = page.locator(f"circle.litbase-focus[data-pmid='{SEED}']")
    assert focus.count() == 1
    # The seed cites 50 and is cited by none stored: every node is in one community,
    # so the page colours by year (tests/test_browser_network.py covers the rest).
    assert page.locator("#litbase-colour").input_value() == "year"
    assert focus.get_attribute("fill") == "rgb(26,60,140)"  # the newest year, 2022
    assert page.locator("#litbase-legend .litbase-legend-item").all_inner_texts() == [
        "1985", "1994", "2004", "2013", "2022", "seed"]
    page.select_option("#litbase-colour", "community")
    assert {c.get_attribute("fill") for c in circles.all()} == {"#1f77b4"}
    page.locator("circle.litbase-node[data-pmid='27092397']").click()
    page.wait_for_url("**/litbase/articles/27092397")
    assert page.locator("h1.litbase-title").inner_text() == FIRST_TITLE
