"""Graph measures on a corpus fetched from the local E-utilities server.

The corpus is test_fetch's: seed 5000 cites 101-110 and is cited by 301 and
302; each of 301 and 302 cites only the seed. After `litbase fetch`, the
counts below follow from that by hand.
"""

import json
from itertools import combinations

import pytest
import sqlite_utils
from click.testing import CliRunner
from eutils_server import FakeEutilsServer
from test_fetch import CITERS, REFS, SEED, seed_corpus

from litbase.cli import cli


@pytest.fixture(scope="module")
def fetched(tmp_path_factory):
    path = tmp_path_factory.mktemp("graph") / "fetched.db"
    with FakeEutilsServer(seed_corpus()) as fake, pytest.MonkeyPatch.context() as mp:
        mp.setenv("LITBASE_EUTILS_URL", fake.base_url)
        mp.setenv("NCBI_API_KEY", "k")
        result = CliRunner().invoke(cli, ["fetch", str(path), str(SEED), "--no-progress",
                                          "--sources", "pubmed"])
        assert result.exit_code == 0, result.output
    return sqlite_utils.Database(path)


def metrics(db):
    return {r["pmid"]: r for r in db["article_metrics"].rows}


def test_fetch_leaves_metrics_current(fetched):
    m = metrics(fetched)
    assert set(m) == {SEED, *REFS, *CITERS}
    assert (m[SEED]["citations_received"], m[SEED]["citations_made"], m[SEED]["hops_from_seed"]) == (2, 10, 0)
    assert {(m[r]["citations_received"], m[r]["citations_made"], m[r]["hops_from_seed"]) for r in REFS} == {(1, 0, 1)}
    assert {(m[c]["citations_received"], m[c]["citations_made"], m[c]["hops_from_seed"]) for c in CITERS} == {(0, 1, 1)}
    # One star around the seed: a single community.
    assert {row["community"] for row in m.values()} == {0}
    # The seed is cited twice and passes its rank on to ten references.
    assert max(m, key=lambda p: m[p]["pagerank"]) == SEED
    assert sum(row["pagerank"] for row in m.values()) == pytest.approx(1.0)


def test_pairs_from_the_fetched_links(fetched):
    # Every two references are co-cited once, by the seed; the seed alone is cited by 301 and 302.
    assert [tuple(r.values()) for r in fetched.query("select a, b, count from cocitations order by a, b")] == [
        (a, b, 1) for a, b in combinations(REFS, 2)]
    # 301 and 302 both cite the seed: coupled once.
    assert [tuple(r.values()) for r in fetched.query("select * from bibliographic_coupling")] == [(301, 302, 1)]


def test_related_on_the_fetched_corpus(fetched):
    result = CliRunner().invoke(cli, ["related", str(fetched.conn.execute("pragma database_list").fetchone()[2]),
                                      "101", "--json", "--limit", "20"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    # The other nine references are each co-cited with 101 once; nothing else is linked to it
    # but the seed, which cites it (a direct link, not a co-citation).
    cocited = sorted(r["pmid"] for r in rows if r["cocitation"])
    assert cocited == [r for r in REFS if r != 101]
    assert all(r["cocitation"] == 1 and r["coupling"] == 0 for r in rows if r["cocitation"])
