"""`litbase report` on the command line (Markdown, JSON, SVG) and its page in Datasette.

The database: tests/report_corpus.py's crawl of the local E-utilities server
and its screening file; the figures are those test_report.py works out.
"""

from __future__ import annotations

import asyncio
import json

import pytest
import sqlite_utils
from click.testing import CliRunner
from datasette.app import Datasette
from lxml import etree
from report_corpus import COLLECTION, crawled_and_screened

from litbase.cli import cli
from litbase.review.report import build_report

SVG = "{http://www.w3.org/2000/svg}"
# The diagram of the screened collection with cy as adjudicator, box by box, line by line.
DIAGRAM = {
    "band_identification": ["Identification"],
    "band_screening": ["Screening"],
    "band_included": ["Included"],
    "identified": ["Records identified (n = 29)", "Seed records (n = 1)", "Backward citation searching (n = 15)",
                   "Forward citation searching (n = 12)", "Similar articles (PubMed) (n = 1)",
                   "By hop: hop 0 (n = 1), hop 1 (n = 14), hop 2", "(n = 14)"],
    "removed": ["Records removed before screening:", "Duplicate records (n = 18)",
                "Records without a PubMed record (n = 1)"],
    "screened_title_abstract": ["Records screened (n = 9)", "Not yet screened (n = 1)",
                                "Undecided (maybe) (n = 1)", "Reviewers in conflict (n = 1)"],
    "excluded_title_abstract": ["Records excluded (n = 3):", "wrong population (n = 1)",
                                "wrong study design (n = 1)", "not peer support (n = 1)"],
    "screened_full_text": ["Full-text reports assessed for eligibility", "(n = 4)", "Reviewers in conflict (n = 1)"],
    "excluded_full_text": ["Reports excluded (n = 1):", "wrong study design (n = 1)"],
    "included": ["Studies included in review (n = 2)"],
}


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return crawled_and_screened(tmp_path_factory.mktemp("report_cli"))


def report(*args):
    return CliRunner().invoke(cli, ["report", *map(str, args)])


def diagram_text(svg: bytes) -> dict:
    """Each box's lines, read with entities, DTDs and the network off."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(svg, parser)
    assert root.tag == f"{SVG}svg"
    return {g.get("data-box"): [t.text for t in g.iterfind(f"{SVG}text")] for g in root.iter(f"{SVG}g")
            if g.get("data-box")}


def test_svg_diagram_text_box_by_box(db_path, tmp_path):
    out = tmp_path / "prisma.svg"
    result = report(db_path, "--collection", COLLECTION, "--adjudicator", "cy", "--format", "svg", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stderr == f"Wrote {out}\n"
    assert diagram_text(out.read_bytes()) == DIAGRAM
    title = etree.fromstring(out.read_bytes()).find(f"{SVG}text")
    assert title.text == "PRISMA 2020 flow diagram: citation searching, collection pmid-5000"


def test_json_has_the_stable_keys_and_the_library_numbers(db_path):
    result = report(db_path, "--collection", COLLECTION, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for key in ("identified", "duplicates", "screened", "excluded", "included"):
        assert isinstance(data[key]["total"], int)
    assert set(data["agreement"]) == {"title_abstract", "full_text"}
    assert {k: data["agreement"]["full_text"][k] for k in ("reviewers", "records", "kappa")} == {
        "reviewers": ["ana", "ben"], "records": 4, "kappa": 0.5}
    expected = build_report(sqlite_utils.Database(db_path).conn, COLLECTION)
    assert data == json.loads(json.dumps(expected))


def test_markdown_methods_paragraph(db_path):
    result = report(db_path, "--collection", COLLECTION, "--adjudicator", "cy")
    assert result.exit_code == 0, result.output
    day = sqlite_utils.Database(db_path).execute("select min(fetched_at) from articles").fetchone()[0][:10]
    lines = result.stdout.splitlines()
    assert lines[:4] == ["# Citation searching report: pmid-5000", "", "## Methods", ""]
    assert lines[4] == (
        "Citation searching started from 1 seed article (PMID 5000) and was run with litbase 0.1.0 (backward"
        " citation searching, forward citation searching and PubMed's similar articles, 2 hops from the seeds),"
        " using PubMed's cited-by links (citing articles in PMC), PubMed's reference links (from PMC full text),"
        " PubMed's similar articles and reference lists deposited with PubMed records; records were retrieved"
        f" from PubMed (E-utilities) on {day}. It identified 29 records (seed records: 1; backward citation"
        " searching: 15; forward citation searching: 12; PubMed's similar articles: 1), counting a record once"
        " for each direction, hop and source that found it; after 18 duplicates were removed, 11 records"
        " remained. 1 record had no PubMed record and could not be screened. ana, ben and cy screened the"
        " records (cy adjudicated). A record counts as included, excluded or 'maybe' at a stage when every"
        " reviewer who decided it agrees (each reviewer's latest decision counts), or by the latest decision of"
        " the adjudicator (cy) when they decided it; otherwise it is in conflict and reported as such. An"
        " exclusion's reason is the one given with the latest of the agreeing decisions. Records included at"
        " title and abstract go on to full text; a record counts as included in the review when it is included"
        " at full text. Agreement at title and abstract: Cohen's kappa 0.65 over the 9 records every reviewer"
        " decided. Agreement at full text: Cohen's kappa 0.50 over the 4 records every reviewer decided. Of 9"
        " records screened at title and abstract, 3 were excluded and 4 included; 4 full texts were assessed,"
        " 1 excluded, and 2 records included in the review.")
    text = result.stdout
    assert "| 2 | forward | citedin | 3 |" in text
    assert "| title and abstract | 9 | 3 | 4 | 1 | 1 | 1 |" in text
    assert "| full text | wrong study design | 1 |" in text
    assert "| 1 | 7 | 6 | 2 | 1 |" in text  # hop 1: 7 new, 6 screened, 2 included (103 by cy), 1 at full text
    assert "In conflict at title and abstract: PMID 301." in text
    assert f"`litbase fetch {db_path} 5000 --depth 2 --similar 1 --sources pubmed`" in text


@pytest.mark.parametrize("args, message", [
    (["--collection", "nope"], "Error: no collection named 'nope' (known: pmid-5000)\n"),
    (["--collection", COLLECTION, "--adjudicator", "dan"],
     "Error: --adjudicator 'dan' has decided nothing in collection 'pmid-5000' (reviewers: ana, ben, cy)\n"),
])
def test_bad_input_is_one_line(db_path, args, message):
    result = report(db_path, *args)
    assert (result.exit_code, result.stderr) == (1, message)


def test_missing_database_is_not_created(tmp_path):
    result = report(tmp_path / "none.db", "--collection", COLLECTION)
    assert (result.exit_code, result.stderr) == (1, f"Error: {tmp_path / 'none.db'} does not exist\n")
    assert not (tmp_path / "none.db").exists()


def get(db_path, path):
    async def fetch():
        return await Datasette([str(db_path)]).client.get(path)
    return asyncio.run(fetch())


def test_report_page_shows_the_same(db_path):
    name = db_path.stem
    page = get(db_path, f"/-/report/{name}?collection={COLLECTION}&adjudicator=cy")
    assert page.status_code == 200
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page.text
    assert "Records identified (n = 29)" in page.text
    assert "Cohen&#39;s kappa 0.65 over the 9 records every reviewer decided." in page.text
    as_json = get(db_path, f"/-/report/{name}.json?collection={COLLECTION}&adjudicator=cy")
    expected = build_report(sqlite_utils.Database(db_path).conn, COLLECTION, "cy")
    assert as_json.json() == json.loads(json.dumps(expected))
    svg = get(db_path, f"/-/report/{name}.svg?collection={COLLECTION}&adjudicator=cy")
    assert svg.headers["content-type"] == "image/svg+xml; charset=utf-8"
    assert diagram_text(svg.content) == DIAGRAM
    assert get(db_path, f"/-/report/{name}?collection=nope").status_code == 404
    chooser = get(db_path, f"/-/report/{name}")
    assert chooser.status_code == 200 and f"<option>{COLLECTION}</option>" in chooser.text
