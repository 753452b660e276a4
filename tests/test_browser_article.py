"""The article page in a real headless Chromium: its lists, the retraction banner and the marks.

Debian's /usr/bin/chromium driven by Playwright, as tests/test_browser.py does.
The database: datasets/peer-support plus the six real PubMed records of
tests/fixtures/pubmed/retractions.xml (collection "retractions"). The screenshot
(LITBASE_SCREENSHOTS=DIR saves docs/article.png there) is taken before any
synthetic link is added, so it shows real records only; the test then writes a
synthetic link from the seed to the retracted article while the server runs,
and the pages mark it without a restart.
"""

from __future__ import annotations

import subprocess

import pytest
import sqlite_utils
from test_article_page import FIRST, FIXTURE, RETRACTED, RETRACTION_NOTICE, SEED, WHEN
from test_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, litbase_command, litbase_served, screenshot

from litbase.store.articles import save_citations
from litbase.store.retractions import update_cites_retracted

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]
RETRACTED_TITLE = "miR-429 promotes the proliferation of non-small cell lung cancer cells via targeting DLC-1."


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """build + import of the real records, then `litbase serve`; yields (base URL, database path)."""
    db = tmp_path_factory.mktemp("browser_article") / "litbase.db"
    for args in (["build", str(db)], ["import", str(db), str(FIXTURE), "--collection", "retractions"]):
        subprocess.run([*litbase_command(), *args], cwd=ROOT, check=True, capture_output=True)
    with litbase_served(db) as base:
        yield base, db


@pytest.fixture(scope="module")
def page(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        yield page
        browser.close()


def test_retraction_banner_links_to_the_notice(site, page):
    base, _ = site
    page.goto(f"{base}/litbase/articles/{RETRACTED}")
    banner = page.locator(".litbase-banner-retracted")
    assert banner.inner_text() == (
        "Retracted. PubMed marks this article as retracted; do not cite it as valid work."
        " Retraction in: Oncol Lett. 2021 Jul;22(1):545 (PMID 34093767).")
    assert page.locator("h1.litbase-title").inner_text() == RETRACTED_TITLE
    # Its real reference list (deposited in PubMed): 25 numbered lines, each naming its source.
    lines = page.locator("ol.litbase-refs > li")
    assert lines.count() == 25
    assert lines.nth(0).get_attribute("value") == "1"
    # Numbered on screen too (Datasette's stylesheet drops list markers; litbase.css puts them back).
    assert page.locator("ol.litbase-refs").evaluate("e => getComputedStyle(e).listStyleType") == "decimal"
    assert lines.nth(0).inner_text().endswith("[reference list]")
    assert page.locator(".litbase-exports").first.inner_text() == (
        "References: table · RIS · BibTeX · CSL-JSON · MEDLINE")
    screenshot(page, "article.png", height=2100)
    banner.get_by_role("link", name="Oncol Lett. 2021 Jul;22(1):545").click()
    page.wait_for_url(f"**/litbase/articles/{RETRACTION_NOTICE}")
    # The notice is not itself retracted; its record names what it retracts.
    assert page.locator(".litbase-kicker").inner_text() == f"ARTICLE · PMID {RETRACTION_NOTICE}"
    assert page.locator(".litbase-banner").count() == 0
    assert page.locator("ul.litbase-notices").inner_text() == (
        f"Retraction of: Oncol Lett. 2016 Sep;12(3):2163-2168 PMID {RETRACTED}")


def test_lists_mark_retracted_work_once_a_link_to_it_is_stored(site, page):
    base, db_path = site
    page.goto(f"{base}/litbase/articles/{SEED}")
    assert page.locator("ol.litbase-refs > li").count() == 51
    assert page.locator(".litbase-flag-summary").inner_text().startswith(
        "Of these references, 0 are retracted, 0 corrected")
    # Synthetic links: the seed cites the retracted article, which cites the seed's first reference.
    db = sqlite_utils.Database(db_path)
    with db.conn:
        save_citations(db, [(SEED, RETRACTED, "icite_refs", WHEN), (RETRACTED, FIRST, "pubmed_refs", WHEN)])
    update_cites_retracted(db)
    db.conn.close()

    # A new address: Datasette lets the browser cache a page for 5 seconds (default_cache_ttl).
    page.goto(f"{base}/litbase/articles/{SEED}?after=link")
    assert page.locator("ol.litbase-refs > li").count() == 52
    last = page.locator("ol.litbase-refs > li").nth(51)
    assert last.get_attribute("class") == "litbase-ref litbase-ref-retracted"
    assert last.inner_text() == f"{RETRACTED_TITLE} Oncol Lett 2016 PubMed Retracted [iCite]"
    assert page.locator(".litbase-flag-summary").inner_text().startswith(
        "Of these references, 1 is retracted, 0 corrected")

    page.goto(f"{base}/litbase/articles/{FIRST}")
    citing = page.locator("ol.litbase-citing > li")
    assert [citing.nth(i).locator(".litbase-flag-retracted").count() for i in range(citing.count())] == [0, 1]

    # The articles table and the collection's members mark it in their PMID cells.
    page.goto(f"{base}/litbase/collection_members?collection=retractions")
    row = page.locator("table.rows-and-columns tr", has_text=RETRACTED_TITLE)
    assert row.locator(".litbase-flag-retracted").inner_text() == "Retracted"
    page.goto(f"{base}/litbase/articles?cites_retracted=1")
    assert page.locator("table.rows-and-columns tbody tr").count() == 1
    assert f"/litbase/articles/{SEED}" in page.locator("table.rows-and-columns tbody tr a").first.get_attribute("href")
