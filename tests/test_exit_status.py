"""The exit status of `litbase fetch` is something a script can use (README, "Exit status").

0: everything asked for is stored, nothing left a rerun could get; 1: something is missing that a
rerun could get (a source failed, or PubMed had no record in this run); 2: the command line is wrong.
"""

import pytest
import sqlite_utils
from test_fetch import REFS, SEED
from test_sources import run, servers  # noqa: F401

CLOSED_ICITE = "http://127.0.0.1:1/api/"


def _complete(db, servers, monkeypatch):
    return run(db, SEED)


def _usage_error(db, servers, monkeypatch):
    return run(db, SEED, "12x")


def _icite_down(db, servers, monkeypatch):
    monkeypatch.setenv("LITBASE_ICITE_URL", CLOSED_ICITE)
    return run(db, SEED)


def _pubmed_down(db, servers, monkeypatch):
    monkeypatch.setenv("LITBASE_EUTILS_URL", "http://127.0.0.1:1/eutils/")
    return run(db, SEED)


def _reference_unknown_to_pubmed(db, servers, monkeypatch):
    servers[0].corpus.articles.pop(REFS[0])
    return run(db, SEED)


def _rerun_after_reference_unknown(db, servers, monkeypatch):
    _reference_unknown_to_pubmed(db, servers, monkeypatch)
    return run(db, SEED)


def _rerun_after_icite_down(db, servers, monkeypatch):
    _icite_down(db, servers, monkeypatch)
    monkeypatch.setenv("LITBASE_ICITE_URL", servers[1].base_url)
    return run(db, SEED)


def _seed_unknown_to_pubmed(db, servers, monkeypatch):
    return run(db, 4_999_999)


@pytest.mark.parametrize("scenario, status, says", [
    (_complete, 0, None),
    (_usage_error, 2, "'12x' is not a PMID"),
    (_icite_down, 1, "iCite (127.0.0.1) could not be reached: the connection was refused."),
    (_pubmed_down, 1, "PubMed (127.0.0.1) could not be reached: the connection was refused."),
    (_reference_unknown_to_pubmed, 1, f"PubMed has no record for PMID {REFS[0]}"),
    (_rerun_after_reference_unknown, 0, None),
    (_rerun_after_icite_down, 0, None),
    (_seed_unknown_to_pubmed, 1, "PubMed has no record for PMID 4999999"),
])
def test_exit_status_table(servers, tmp_path, monkeypatch, scenario, status, says):  # noqa: F811
    result = scenario(tmp_path / "lit.db", servers, monkeypatch)
    assert result.exit_code == status, result.output
    if says:
        assert says in result.output
    else:
        assert "Error" not in result.output and "no record" not in result.output
    assert "Traceback" not in result.output


def test_a_reference_pubmed_does_not_know_is_reported_once(servers, tmp_path):  # noqa: F811
    eutils = servers[0]
    eutils.corpus.articles.pop(REFS[0])
    db_path = tmp_path / "lit.db"
    first = run(db_path, SEED)
    assert first.exit_code == 1
    assert first.output.endswith(f"Error: PubMed has no record for PMID {REFS[0]} (a rerun with"
                                 " --retry-missing asks again). Everything else is stored.\n")
    eutils.clear_log()
    servers[1].clear_log()
    second = run(db_path, SEED)
    assert second.exit_code == 0, second.output
    assert str(REFS[0]) not in second.output
    assert eutils.requests == [] and servers[1].requests == []
    assert [r["pmid"] for r in sqlite_utils.Database(db_path)["missing_pmids"].rows] == [REFS[0]]
