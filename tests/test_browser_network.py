"""The interactive network in a real headless Chromium: labels that never overlap, filters, click-through.

Debian's /usr/bin/chromium driven by Playwright, as tests/test_browser.py
does. The base is `litbase build` (the real peer-support collection) plus
synthetic articles (tests/test_network_view.py ``synthetic_articles``, made
up and said so): the collection 'hundred' holds 100 of them, 'synthetic' all
301 (one more than the page draws). Set LITBASE_SCREENSHOTS=DIR to also save
docs/network.png (the real collection) and docs/network-map.png (synthetic, 300 articles).
"""

from __future__ import annotations

import json
import subprocess
import urllib.request

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, SEED, litbase_command, litbase_served, screenshot
from test_network_view import SYNTHETIC_SEED, TOPICS, synthetic_articles

from litbase.graph.tables import update_graph
from litbase.store.articles import save_articles
from litbase.store.collections import add_to_collection, save_collection
from litbase.store.schema import open_db

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]

# Every visible label's box, and whether any two intersect (strictly: touching edges do not count).
LABEL_BOXES = """() => {
  const shown = [...document.querySelectorAll('text.litbase-label, text.litbase-cluster')]
    .filter(t => t.closest('[style*="display: none"]') === null && t.style.display !== 'none');
  const boxes = shown.map(t => { const r = t.getBoundingClientRect();
    return {text: t.textContent, cls: t.getAttribute('class'), left: r.left, top: r.top, right: r.right, bottom: r.bottom}; });
  const clashes = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) clashes.push([a.text, b.text]);
  }
  return {boxes, clashes};
}"""
VISIBLE_NODES = """() => [...document.querySelectorAll('a.litbase-node-link')]
  .filter(a => a.style.display !== 'none').map(a => Number(a.querySelector('circle').dataset.pmid))"""


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The real collection and the synthetic ones in one base, served by `litbase serve`."""
    db_path = tmp_path_factory.mktemp("browser-network") / "litbase.db"
    subprocess.run([*litbase_command(), "build", str(db_path)], cwd=ROOT, check=True, capture_output=True)
    db = open_db(db_path)
    articles = synthetic_articles(300)
    with db.conn:
        save_articles(db, articles)
        save_collection(db, {"name": "synthetic"})
        save_collection(db, {"name": "hundred"})
        add_to_collection(db, "synthetic", [
            {"pmid": a["pmid"], "role": "seed" if a["pmid"] == SYNTHETIC_SEED else "import"} for a in articles])
        add_to_collection(db, "hundred", [
            {"pmid": a["pmid"], "role": "seed" if a["pmid"] == SYNTHETIC_SEED else "import"}
            for a in articles if a["pmid"] <= SYNTHETIC_SEED + 99])
    update_graph(db, force=True)
    db.conn.close()
    with litbase_served(db_path) as base:
        yield base


@pytest.fixture(scope="module")
def page(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        yield page
        browser.close()


def network_json(site, query: str) -> dict:
    with urllib.request.urlopen(f"{site}/-/litbase/litbase/network.json?{query}", timeout=30) as response:
        return json.load(response)


def open_network(page, site, query: str) -> None:
    page.goto(f"{site}/-/litbase/litbase/network?{query}")
    page.wait_for_selector("#litbase-network[data-ready=true]")


def shown_count(page) -> int:
    return int(page.locator("#litbase-shown").get_attribute("data-shown"))


def test_hundred_labels_do_not_overlap_at_the_default_zoom(site, page):
    open_network(page, site, "collection=hundred")
    assert page.locator("a.litbase-node-link").count() == 100
    assert page.locator("text.litbase-label").count() == 100
    labels = page.evaluate(LABEL_BOXES)
    assert labels["clashes"] == []
    names = [b["text"] for b in labels["boxes"] if b["cls"].startswith("litbase-label")]
    # The seed is labelled first, in bold; most articles get a label (the rest show on hover or zoom).
    assert "Seedling, 2023" in names
    assert page.locator("text.litbase-seed-label").text_content() == "Seedling, 2023"
    assert len(names) >= 50, names
    assert all(b["right"] - b["left"] > 20 for b in labels["boxes"])
    # Every label box lies inside the drawing.
    svg = page.locator("svg.litbase-network").bounding_box()
    assert all(svg["x"] - 0.5 <= b["left"] and b["right"] <= svg["x"] + svg["width"] + 0.5
               and svg["y"] - 0.5 <= b["top"] and b["bottom"] <= svg["y"] + svg["height"] + 0.5
               for b in labels["boxes"])
    status = page.locator("#litbase-shown").inner_text()
    assert status == f"100 of 100 drawn articles shown, {len(names)} labelled"
    screenshot(page, "network-hundred.png", full_page=True)


def test_zooming_in_labels_more_still_without_overlap(site, page):
    open_network(page, site, "collection=hundred")
    before = len(page.evaluate(LABEL_BOXES)["boxes"])
    box = page.locator("svg.litbase-network").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(4):
        page.mouse.wheel(0, -100)
    page.wait_for_timeout(100)
    after = page.evaluate(LABEL_BOXES)
    assert after["clashes"] == []
    assert page.locator("svg .litbase-view").get_attribute("transform") != "translate(0,0) scale(1)"
    assert before > 0 and len(after["boxes"]) > 0
    page.locator("#litbase-reset").click()
    assert page.locator("svg .litbase-view").get_attribute("transform") == "translate(0,0) scale(1)"
    assert len(page.evaluate(LABEL_BOXES)["boxes"]) == before


def test_filters_change_the_visible_node_count_exactly(site, page):
    data = network_json(site, "collection=hundred")
    nodes = data["nodes"]
    open_network(page, site, "collection=hundred")
    assert shown_count(page) == len(page.evaluate(VISIBLE_NODES)) == 100

    page.locator("#litbase-year-from").fill("2000")
    page.locator("#litbase-year-to").fill("2010")
    expected = sorted(n["id"] for n in nodes if n["year"] and 2000 <= n["year"] <= 2010)
    assert sorted(page.evaluate(VISIBLE_NODES)) == expected and shown_count(page) == len(expected)
    assert 0 < len(expected) < 100
    assert page.evaluate(LABEL_BOXES)["clashes"] == []
    page.locator("#litbase-year-from").fill(str(data["years"][0]))
    page.locator("#litbase-year-to").fill(str(data["years"][1]))
    assert shown_count(page) == 100

    community = data["communities"][1]
    page.locator("#litbase-community").select_option(str(community["id"]))
    expected = sorted(n["id"] for n in nodes if n["community"] == community["id"])
    assert sorted(page.evaluate(VISIBLE_NODES)) == expected and len(expected) == community["size"]
    page.locator("#litbase-community").select_option("all")

    page.locator("#litbase-min-degree").fill("4")
    expected = sorted(n["id"] for n in nodes if n["degree"] >= 4)
    assert sorted(page.evaluate(VISIBLE_NODES)) == expected and 0 < len(expected) < 100
    # A link is drawn only when both of its ends are.
    drawn_links = page.evaluate("""() => [...document.querySelectorAll('line.litbase-link')]
      .filter(l => l.style.display !== 'none').length""")
    assert drawn_links == sum(1 for link in data["links"]
                              if link["source"] in expected and link["target"] in expected)
    page.locator("#litbase-min-degree").fill("0")
    assert shown_count(page) == 100


def test_legend_has_a_swatch_per_community_and_for_the_seed(site, page):
    data = network_json(site, "collection=hundred")
    open_network(page, site, "collection=hundred")
    items = page.locator("#litbase-legend .litbase-legend-item")
    communities = data["communities"][:10]
    expected = [f"{c['name']} ({c['size']})" for c in communities]
    if len(data["communities"]) > 10:
        rest = sum(c["size"] for c in data["communities"][10:])
        expected.append(f"other communities or not computed yet ({rest})")
    assert items.all_inner_texts() == [*expected, "seed"]
    assert page.locator("#litbase-legend .litbase-swatch").count() == len(expected) + 1
    # A community's swatch has the colour of its circles.
    first = page.locator("#litbase-legend .litbase-swatch").first.evaluate("s => getComputedStyle(s).backgroundColor")
    member = next(n["id"] for n in data["nodes"] if n["community"] == communities[0]["id"])
    fill = page.locator(f'circle[data-pmid="{member}"]').evaluate("c => getComputedStyle(c).fill")
    assert first == fill
    page.locator("#litbase-colour").select_option("year")
    assert page.locator("#litbase-legend .litbase-swatch").count() == 6  # five years and the seed


def test_timeline_layout_puts_years_on_an_axis(site, page):
    data = network_json(site, "collection=hundred")
    open_network(page, site, "collection=hundred")
    page.locator("#litbase-layout").select_option("timeline")
    xs = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('circle.litbase-node')]
      .map(c => [c.dataset.pmid, Number(c.getAttribute('cx'))]))""")
    by_year = {}
    for node in data["nodes"]:
        by_year.setdefault(node["year"], set()).add(xs[str(node["id"])])
    assert all(len(x) == 1 for x in by_year.values())  # one column per year
    columns = [next(iter(by_year[y])) for y in sorted(by_year)]
    assert columns == sorted(columns) and len(set(columns)) == len(columns)
    years = page.locator("text.litbase-axis-year").all_text_contents()
    assert years[0] == str(data["years"][0]) and len(years) >= 3
    assert page.evaluate(LABEL_BOXES)["clashes"] == []
    assert page.locator("text.litbase-cluster:visible").count() == 0
    screenshot(page, "network-timeline.png", full_page=True)


def test_click_through_goes_to_the_article_page(site, page):
    open_network(page, site, "collection=hundred")
    page.locator(f'circle[data-pmid="{SYNTHETIC_SEED}"]').click()
    page.wait_for_url(f"**/litbase/articles/{SYNTHETIC_SEED}")
    assert page.url == f"{site}/litbase/articles/{SYNTHETIC_SEED}"
    open_network(page, site, "collection=hundred")
    page.locator("text.litbase-seed-label").click()
    page.wait_for_url(f"**/litbase/articles/{SYNTHETIC_SEED}")


def test_three_hundred_read_as_a_map_with_named_clusters(site, page):
    open_network(page, site, "collection=synthetic")
    assert page.locator("a.litbase-node-link").count() == 300
    summary = page.locator(".litbase-network-summary").inner_text()
    assert summary.startswith("300 of 301 articles are drawn (at most 300: the seeds first, then the most cited), 1 left out;")
    labels = page.evaluate(LABEL_BOXES)
    assert labels["clashes"] == []
    clusters = [b["text"] for b in labels["boxes"] if b["cls"] == "litbase-cluster"]
    assert len(clusters) >= 3 and set(clusters) <= set(TOPICS)
    assert "Seedling, 2023" in [b["text"] for b in labels["boxes"]]
    screenshot(page, "network-map.png", full_page=True)


def test_real_collection_is_labelled_and_drawn(site, page):
    open_network(page, site, "collection=peer-support")
    assert page.locator("a.litbase-node-link").count() == 51
    labels = page.evaluate(LABEL_BOXES)
    assert labels["clashes"] == []
    assert page.locator("text.litbase-seed-label").text_content() == "Jain, 2022"
    assert page.locator(f'circle[data-pmid="{SEED}"]').get_attribute("class") == "litbase-node litbase-seed"
    screenshot(page, "network.png", full_page=True)
