"""The search page in a real headless Chromium: the empty page, PubMed's syntax, a query it cannot read.

Debian's /usr/bin/chromium driven by Playwright, served by `litbase serve` as in
test_browser (whose fixtures these are). LITBASE_SCREENSHOTS=DIR also saves
docs/search.png there.
"""

from __future__ import annotations

import pytest
from test_browser import CHROMIUM, page, screenshot, site  # noqa: F401  (fixtures)

SEED = 35392492
SEED_TITLE = ('"Everybody in this room can understand": A qualitative exploration of peer support'
              " during residency training.")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def search(page, query):
    box = page.locator("input[name=q]")
    box.fill(query)
    box.press("Enter")
    page.wait_for_load_state()


def result_pmids(page) -> list[int]:
    cells = page.locator("table.rows-and-columns tbody td.col-pmid")
    return [int(text.split()[0]) for text in cells.all_inner_texts()]


def test_the_empty_search_page_is_a_form_with_examples(site, page):
    page.goto(site + "/litbase")
    page.get_by_role("link", name="Search, most relevant first").first.click()
    page.wait_for_url("**/litbase/search")
    assert page.locator("input[name=q]").input_value() == ""
    assert page.locator(".message-error").count() == 0
    assert "fts5" not in page.locator("body").inner_text()
    examples = page.locator("ul.litbase-search-examples li code").all_inner_texts()
    assert examples[:2] == ["peer support", '"peer support"[tiab] AND residen*']
    assert len(examples) == 7
    page.get_by_role("link", name='"peer support"[tiab] AND residen*').click()
    page.wait_for_url("**/litbase/search?q=*")
    assert page.locator("input[name=q]").input_value() == '"peer support"[tiab] AND residen*'
    assert result_pmids(page) == [SEED, 29843841]


def test_search_in_pubmed_syntax(site, page):
    page.goto(site + "/litbase/search")
    search(page, "peer support")
    pmids = result_pmids(page)
    assert len(pmids) == 11 and pmids[0] == SEED
    assert page.locator("table.rows-and-columns tbody tr").first.locator("td.col-title").inner_text() == SEED_TITLE
    assert page.locator(".litbase-search-details code").inner_text() == "peer[All Fields] AND support[All Fields]"
    screenshot(page, "search.png", height=1000)
    search(page, "residen*")
    assert len(result_pmids(page)) == 14
    search(page, "burnout OR stress AND residen*")
    assert page.locator(".litbase-search-details code").inner_text() == (
        "(burnout[All Fields] OR stress[All Fields]) AND residen*[All Fields]")
    assert result_pmids(page) == [26692975, 27168899, 29450842, 15972100]
    search(page, "jain a[au]")
    assert result_pmids(page) == [SEED]
    search(page, "2018:2022[dp] AND peer support[ti]")
    assert result_pmids(page) == [32232665, 34249197, 29878948, 29843841, SEED]
    search(page, "wellness NOT students")
    assert len(result_pmids(page)) == 7


def test_a_query_it_cannot_read_says_what_and_keeps_it(site, page):
    page.goto(site + "/litbase/search")
    search(page, "peer support[tiabx]")
    problem = page.locator(".litbase-search-problem")
    assert problem.locator("p").first.inner_text() == "This search could not be read: Unknown field tag [tiabx]."
    assert problem.locator("code").inner_text() == "peer support[tiabx]"
    assert problem.locator("mark").inner_text() == "["
    assert page.locator("input[name=q]").input_value() == "peer support[tiabx]"
    assert page.locator(".message-error").count() == 0
    assert page.locator("table.rows-and-columns").count() == 0
    assert page.locator("ul.litbase-search-examples li").count() == 7
