"""litbase export: selection by PMIDs, collection and read-only SQL; output to a file."""

import json

import pytest
from bib_fixtures import base, build_db, person
import sqlite_utils
from click.testing import CliRunner

from litbase.cli import cli
from litbase.store.collections import save_collection


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def path(tmp_path):
    build_db(tmp_path / "cli.db").conn.close()
    return str(tmp_path / "cli.db")


def cite_keys(output):
    return [line.split("{")[1].rstrip(",") for line in output.splitlines() if line.startswith("@")]


def test_export_by_pmids_in_the_order_given(path):
    result = run("export", path, "990103", "990101")
    assert result.exit_code == 0
    assert cite_keys(result.output) == ["smith2022review", "muller2021peera"]


def test_export_by_collection_and_sql_union(path):
    result = run("export", path, "--collection", "synthetic", "--format", "csljson")
    assert [i["PMID"] for i in json.loads(result.stdout)] == [
        "990101", "990102", "990103", "990104", "990105"]
    result = run("export", path, "990104", "--sql",
                 "select pmid from articles where year = 2021 order by pmid desc")
    assert cite_keys(result.output) == ["doe2019burnout", "muller2021peerb", "muller2021peera"]


def test_sql_must_be_a_read_only_select_with_pmid(path):
    result = run("export", path, "--sql", "delete from articles")
    assert result.exit_code == 1
    assert "--sql must be a single read-only SELECT" in result.output
    result = run("export", path, "--sql", "select title from articles")
    assert result.exit_code == 1
    assert "Error: --sql must return a column named pmid" in result.output
    result = run("export", path, "--sql", "attach database ':memory:' as other")
    assert result.exit_code == 1
    result = run("export", path, "--sql", "select pmid from articles")
    assert len(cite_keys(result.output)) == 5


def test_unknown_collection_and_no_selection(path):
    result = run("export", path, "--collection", "nope")
    assert (result.exit_code, result.output) == (1, "Error: No collection named 'nope'\n")
    result = run("export", path)
    assert result.exit_code == 2
    assert "Choose articles: PMIDs, --collection NAME or --sql SELECT" in result.output


def test_output_file_keeps_crlf_and_text_style(path, tmp_path):
    target = tmp_path / "out.ris"
    result = run("export", path, "990102", "--format", "ris", "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (
        0, "", f"Wrote 1 ris record to {target}.\n")
    assert target.read_bytes().startswith(b"TY  - JOUR\r\nAU  - M\xc3\xbcller, Hans\r\n")
    result = run("export", path, "990102", "--format", "text", "--style", "apa")
    assert result.stdout == ("Müller, H. (2021). Peer mentoring in a synthetic cohort. Journal "
                             "of Synthetic Tests, 12(7), 200–209. "
                             "https://doi.org/10.5555/synth.990102\n")


def test_csv_spreadsheet_safe_flag(tmp_path):
    path = str(tmp_path / "csv.db")
    build_db(path, [base(990106, title="=1+2", authors=[person("Roe", "Ann", "A")])]).conn.close()
    plain = run("export", path, "990106", "--format", "csv")
    safe = run("export", path, "990106", "--format", "csv", "--spreadsheet-safe")
    assert plain.stdout.splitlines()[0].startswith("pmid,cite_key,authors,title,journal")
    assert plain.stdout.splitlines()[1].startswith('990106,roe202112,"Roe, Ann",=1+2,')
    assert safe.stdout.splitlines()[1].startswith("990106,roe202112,\"Roe, Ann\",'=1+2,")


def test_export_says_how_many_it_wrote_and_which_pmids_it_skipped(path):
    result = run("export", path, "990103", "123", "990101", "4567")
    assert result.exit_code == 0
    assert cite_keys(result.stdout) == ["smith2022review", "muller2021peera"]
    assert result.stderr == ("Wrote 2 bibtex records to standard output;"
                             " skipped 2 PMIDs not stored: 123, 4567.\n")


def test_an_export_that_writes_nothing_fails_and_says_why(path, tmp_path):
    target = tmp_path / "empty.bib"
    result = run("export", path, "--sql", "select pmid from articles where year = 1900",
                 "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (
        1, "", "Error: Nothing exported: --sql returned no PMIDs.\n")
    assert not target.exists()
    result = run("export", path, "123", "456")
    assert (result.exit_code, result.stderr) == (
        1, "Error: Nothing exported: none of the 2 chosen PMIDs is stored (123, 456).\n")
    db = sqlite_utils.Database(path)
    with db.conn:
        save_collection(db, {"name": "empty", "source": "test"})
    db.conn.close()
    result = run("export", path, "--collection", "empty")
    assert (result.exit_code, result.stderr) == (
        1, "Error: Nothing exported: collection 'empty' has no members.\n")


def test_the_output_files_suffix_chooses_the_format_when_none_is_given(path, tmp_path):
    # A researcher writes `-o refs.ris` and expects RIS, as Zotero's export names its files.
    written = {}
    for name in ("refs.ris", "refs.json", "refs.nbib", "refs.csv", "refs.BIB", "refs.out"):
        result = CliRunner().invoke(cli, ["export", path, "990101", "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        written[name] = ((tmp_path / name).read_bytes().decode("utf-8"), result.stderr)
    assert written["refs.ris"][0].startswith("TY  - JOUR\r\n")
    assert written["refs.ris"][1] == f"Wrote 1 ris record to {tmp_path / 'refs.ris'}.\n"
    assert [item["PMID"] for item in json.loads(written["refs.json"][0])] == ["990101"]
    assert written["refs.nbib"][0].startswith("\nPMID- 990101\n")  # PubMed starts each record with a blank line
    assert written["refs.csv"][0].startswith("pmid,")
    assert cite_keys(written["refs.BIB"][0]) == ["muller2021peera"]
    assert cite_keys(written["refs.out"][0]) == ["muller2021peera"]
    assert written["refs.out"][1] == f"Wrote 1 bibtex record to {tmp_path / 'refs.out'}.\n"


def test_an_explicit_format_wins_over_the_suffix_and_says_so(path, tmp_path):
    out = tmp_path / "refs.bib"
    result = CliRunner().invoke(cli, ["export", path, "990101", "--format", "ris", "-o", str(out)])
    assert result.exit_code == 0
    assert out.read_bytes().decode("utf-8").startswith("TY  - JOUR\r\n")
    assert result.stderr == (f"Note: writing ris to {out}, whose suffix usually means bibtex.\n"
                             f"Wrote 1 ris record to {out}.\n")
