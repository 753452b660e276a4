"""Screening in a real headless Chromium: sign in, then decide three records with the keyboard alone.

`litbase build` of datasets/peer-support, `litbase reviewers add`, then
`litbase serve --reviewers`, as a reviewer would run them. Set
LITBASE_SCREENSHOTS=DIR to save the screening page's picture there.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
from pathlib import Path

import pytest

from test_browser import CHROMIUM, CHROMIUM_ARGS, ROOT, litbase_command, litbase_served

SEED = 35392492
FIRST, SECOND, THIRD = 2407665, 4071206, 15972100  # the seed's references in PMID order
PASSWORD = "a long test password"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """`litbase build`, `reviewers add`, then `serve --reviewers`; yields (base URL, database path)."""
    folder = tmp_path_factory.mktemp("browser-screen")
    db, reviewers = folder / "litbase.db", folder / "reviewers.txt"
    subprocess.run([*litbase_command(), "build", str(db)], cwd=ROOT, check=True, capture_output=True)
    subprocess.run([*litbase_command(), "reviewers", "add", str(reviewers), "ana", "--password", PASSWORD],
                   check=True, capture_output=True)
    subprocess.run([*litbase_command(), "screen", str(db), "--collection", "peer-support",
                    "--reasons", "wrong population", "--reasons", "wrong design"], check=True, capture_output=True)
    with litbase_served(db, "--reviewers", str(reviewers)) as base:
        yield base, db


def test_sign_in_and_screen_three_records_with_the_keyboard(site):
    from playwright.sync_api import sync_playwright

    base, db = site
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/-/screen/litbase/peer-support")
        assert page.locator("h1").inner_text() == "Screening needs a reviewer"
        page.locator("#litbase-name").fill("ana")
        page.locator("#litbase-password").fill(PASSWORD)
        page.locator("#litbase-password").press("Enter")
        page.wait_for_url("**/-/screen/litbase/peer-support")
        record = page.locator("article#litbase-record")
        assert record.get_attribute("data-pmid") == str(SEED)
        assert page.evaluate("document.activeElement.id") == "litbase-record"  # the record has the focus
        assert page.locator("#litbase-progress").inner_text().startswith("ana: 0 of 51 decided")
        folder = os.environ.get("LITBASE_SCREENSHOTS")
        if folder:  # the seed: the one record of the dataset with an abstract and MeSH terms
            page.screenshot(path=str(Path(folder) / "screening.png"))

        page.keyboard.press("i")  # include the seed
        page.wait_for_url(f"**pmid={FIRST}")
        assert record.get_attribute("data-pmid") == str(FIRST)
        assert page.evaluate("document.activeElement.id") == "litbase-record"
        page.keyboard.press("r")  # to the reason list, pick one, leave it, exclude
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Escape")
        assert page.locator("#litbase-reason").input_value() == "wrong design"
        page.keyboard.press("e")
        page.wait_for_url(f"**pmid={SECOND}")
        page.keyboard.press("t")  # a note: typing "i" or "e" in it decides nothing
        page.keyboard.type("ask the team")
        page.keyboard.press("Escape")
        assert record.get_attribute("data-pmid") == str(SECOND)
        page.keyboard.press("m")
        page.wait_for_url(f"**pmid={THIRD}")
        assert page.locator("#litbase-progress").inner_text() == (
            "ana: 3 of 51 decided at title and abstract (1 include, 1 exclude, 1 maybe; 48 undecided)")
        page.keyboard.press("p")  # back to the one just decided: the decision shows
        page.wait_for_url(f"**pmid={SECOND}")
        assert page.locator("#litbase-current").inner_text().startswith("Your decision: maybe, note: ask the team")
        browser.close()

    exported = subprocess.run([*litbase_command(), "screen", str(db), "--collection", "peer-support",
                               "--export", "-"], check=True, capture_output=True, text=True).stdout
    rows = [(r["pmid"], r["decision"], r["reason"], r["note"], r["reviewer"])
            for r in csv.DictReader(io.StringIO(exported))]
    assert rows == [(str(FIRST), "exclude", "wrong design", "", "ana"),
                    (str(SECOND), "maybe", "", "ask the team", "ana"),
                    (str(SEED), "include", "", "", "ana")]
