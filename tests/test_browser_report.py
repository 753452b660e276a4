"""The report page in a real headless Chromium: the PRISMA diagram's text fits its boxes.

`litbase serve` in a subprocess over tests/report_corpus.py's crawled and
screened database; Debian's /usr/bin/chromium driven by Playwright (never
`playwright install`). Each line of the diagram is measured with getBBox in
its box's own coordinates (the phase bands are rotated, rect and text alike).
"""

from __future__ import annotations

import json
import urllib.request

import pytest
from report_corpus import COLLECTION, crawled_and_screened

from litbase.review.prisma_svg import prisma_svg
from test_browser import CHROMIUM, CHROMIUM_ARGS, litbase_served

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

MEASURE = """() => Array.from(document.querySelectorAll('svg.litbase-prisma g[data-box]')).map(g => {
  const box = g.querySelector('rect').getBBox();
  return {box: g.dataset.box, rect: [box.x, box.y, box.width, box.height],
          lines: Array.from(g.querySelectorAll('text')).map(t => {
            const b = t.getBBox();
            return {text: t.textContent, x: b.x, y: b.y, width: b.width, height: b.height};
          })};
})"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    db = crawled_and_screened(tmp_path_factory.mktemp("browser_report"))
    with litbase_served(db) as base:
        yield f"{base}/-/report/{db.stem}"


def measure(page):
    boxes = page.evaluate(MEASURE)
    svg_width = page.evaluate("() => document.querySelector('svg.litbase-prisma').viewBox.baseVal.width")
    titles = page.evaluate("() => Array.from(document.querySelectorAll('svg.litbase-prisma > text.prisma-title'))"
                           ".map(t => t.getBBox()).map(b => [b.x, b.x + b.width])")
    return boxes, svg_width, titles


def stress(report: dict) -> dict:
    """The same report with the longest, widest text a reviewer might give."""
    report = json.loads(json.dumps(report))
    report["collection"] = "WWW-peer-support-and-mentoring-MMM-" * 3
    report["excluded"]["by_reason"]["title_abstract"] = {
        "WRONG POPULATION: MMM WWW participants were not residents or fellows in graduate medical education": 12,
        "Wrong_study_design_without_any_space_in_it_at_all_from_start_to_end": 3}
    return report


def test_no_text_overflows_its_box(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"{site}?collection={COLLECTION}&adjudicator=cy")
            assert page.locator("h1").inner_text() == f"Citation searching report: {COLLECTION}"
            shown = measure(page)
            report = json.loads(urllib.request.urlopen(
                f"{site}.json?collection={COLLECTION}&adjudicator=cy").read())
            page.set_content(prisma_svg(stress(report)))
            stressed = measure(page)
        finally:
            browser.close()
    boxes = shown[0]
    assert len(boxes) == 10  # three phase bands, seven boxes
    assert sum(len(b["lines"]) for b in boxes) == 27
    assert_inside(*shown)
    assert len(stressed[2]) == 3  # the long title takes three lines
    assert_inside(*stressed)


def assert_inside(boxes, svg_width, titles):
    for box in boxes:
        x, y, width, height = box["rect"]
        for line in box["lines"]:
            assert line["width"] > 0, line
            assert x < line["x"] and line["x"] + line["width"] < x + width, (box["box"], line)
            assert y < line["y"] and line["y"] + line["height"] < y + height, (box["box"], line)
    assert titles and all(0 < left and right < svg_width for left, right in titles)
