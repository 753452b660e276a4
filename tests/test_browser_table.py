"""The articles table as a researcher first sees it, in a real headless Chromium.

Six columns after the PMID (title, authors, journal, year, citations,
reference-list status), one line a row, the year facet newest year first,
every column one click away. Debian's /usr/bin/chromium driven by Playwright,
against `litbase build` + `litbase serve` in a subprocess (test_browser.py's
fixtures).
"""

from __future__ import annotations

import json
from urllib.request import urlopen

import pytest
from test_browser import CHROMIUM, page, site  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

DEFAULT_COLUMNS = ["pmid", "title", "authors", "journal_iso", "year", "cited_by_count", "references_status"]


def header_columns(page):  # noqa: F811
    return page.eval_on_selector_all("table.rows-and-columns thead th",
                                     "cells => cells.map(c => c.dataset.column)")


def test_table_opens_with_the_columns_a_researcher_scans_first(site, page):  # noqa: F811
    page.goto(site + "/litbase/articles")
    assert header_columns(page) == DEFAULT_COLUMNS


def test_rows_are_one_line_each(site, page):  # noqa: F811
    page.goto(site + "/litbase/articles")
    heights = page.eval_on_selector_all("table.rows-and-columns tbody tr",
                                        "rows => rows.map(r => r.getBoundingClientRect().height)")
    line = page.eval_on_selector("table.rows-and-columns tbody td.col-title",
                                 "c => parseFloat(getComputedStyle(c).lineHeight) || 20")
    assert len(heights) == 51  # every article of the dataset on the first page
    # One line of text plus the cell's padding: no row wraps (the issue measured ~220 px).
    assert max(heights) < 2 * line, (max(heights), line)


def test_year_facet_lists_years_newest_first(site, page):  # noqa: F811
    page.goto(site + "/litbase/articles")
    years = page.eval_on_selector_all("#facet-year li a",
                                      "links => links.map(a => a.textContent.trim())")
    years = [int(y) for y in years if y.isdigit()]
    assert len(years) == 10
    assert years == sorted(years, reverse=True)


def test_every_column_is_one_click_away(site, page):  # noqa: F811
    page.goto(site + "/litbase/articles")
    page.click("text=show all columns")
    columns = header_columns(page)
    assert columns[:3] == ["pmid", "title", "abstract"]
    assert len(columns) > 40 and set(DEFAULT_COLUMNS) <= set(columns)


def test_year_facet_counts_are_the_databases(site, page):  # noqa: F811
    page.goto(site + "/litbase/articles")
    shown = page.eval_on_selector_all(
        "#facet-year li", "items => items.map(li => li.textContent.replace(/\\s+/g, ' ').trim())")
    assert shown and all(item.split(" ")[0].isdigit() or item == "…" for item in shown)
    # The first entry is the newest year with its count, as the database has it.
    newest, count = shown[0].split(" ")[:2]
    data = json.loads(urlopen(site + f"/litbase/articles.json?year={newest}&_size=1").read())
    assert int(count.replace(",", "")) == data["filtered_table_rows_count"]
