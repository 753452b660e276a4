"""Mistakes a person makes get a message that helps and leave nothing behind; refresh shows progress."""

import pytest
import sqlite_utils
from click.testing import CliRunner
from test_fetch import CITERS, REFS, SEED, server  # noqa: F401

from litbase.cli import cli

IMPORT = ("litbase import DB FILE takes a file of PMIDs, DOIs and PMCIDs (one a line), resolves them"
          " and fetches their records")


def invoke(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


@pytest.mark.parametrize("given, says", [
    ("10.1000/xyz123", f"'10.1000/xyz123' is a DOI, not a PMID: {IMPORT}"),
    ("https://doi.org/10.1000/xyz123", f"'https://doi.org/10.1000/xyz123' is a DOI, not a PMID: {IMPORT}"),
    ("PMC7654321", f"'PMC7654321' is a PMCID, not a PMID: {IMPORT}"),
    ("https://pubmed.ncbi.nlm.nih.gov/35392492/",
     "'https://pubmed.ncbi.nlm.nih.gov/35392492/' is a PubMed address, not a PMID: its PMID is 35392492;"
     " give that instead"),
    ("3539249x", "'3539249x' is not a PMID: PMIDs are positive whole numbers"),
])
def test_other_identifiers_given_to_fetch_are_named(server, tmp_path, given, says):  # noqa: F811
    db_path = tmp_path / "lit.db"
    result = invoke("fetch", db_path, SEED, given, "--no-progress")
    assert result.exit_code == 2
    assert says in " ".join(result.output.split())
    assert server.requests == []
    assert not db_path.exists()


def test_a_pmid_pubmed_does_not_know_leaves_no_collection(server, tmp_path):  # noqa: F811
    db_path = tmp_path / "lit.db"
    result = invoke("fetch", db_path, 4_999_999, "--no-progress", "--sources", "pubmed")
    assert result.exit_code == 1
    assert "no collection made, as PubMed knows none of the PMIDs given" in result.output
    assert "PubMed has no record for PMID 4999999" in result.output
    db = sqlite_utils.Database(db_path)
    assert db["collections"].count == 0 and db["collections_articles"].count == 0
    assert db["articles"].count == 0


def test_a_known_and_an_unknown_seed_keep_the_collection(server, tmp_path):  # noqa: F811
    db_path = tmp_path / "lit.db"
    result = invoke("fetch", db_path, SEED, 4_999_999, "--no-progress", "--sources", "pubmed")
    assert result.exit_code == 1
    db = sqlite_utils.Database(db_path)
    assert [r["name"] for r in db["collections"].rows] == [f"pmid-{SEED}-and-1-more"]


def test_a_search_with_no_hits_says_so_and_makes_no_collection(server, tmp_path):  # noqa: F811
    db_path = tmp_path / "lit.db"
    result = invoke("search", db_path, "zzzunknown", "--no-progress")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("PubMed found nothing for 'zzzunknown'; no collection was made.\n")
    assert [r.endpoint for r in server.requests] == ["esearch"]
    assert sqlite_utils.Database(db_path)["collections"].count == 0


def test_refresh_shows_progress_like_fetch(server, tmp_path):  # noqa: F811
    db_path = tmp_path / "lit.db"
    assert invoke("fetch", db_path, SEED, "--no-progress", "--sources", "pubmed").exit_code == 0
    # Not on a terminal (as here), progress is one line a phase, as fetch writes it in a log.
    result = invoke("refresh", db_path, "--collection", f"pmid-{SEED}")
    assert result.exit_code == 0, result.output
    n = len([SEED, *REFS, *CITERS])
    assert result.output.startswith(f"records again: {n} to fetch (0 requests so far)\n"
                                    f"links again: {n} to fetch (1 requests so far)\n")
    quiet = invoke("refresh", db_path, "--collection", f"pmid-{SEED}", "--no-progress")
    assert quiet.output.startswith("Asked PubMed again about")
