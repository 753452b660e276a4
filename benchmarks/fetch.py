"""Fetch: requests and wall time for the seed at depth 1 and 2, beside a one-request-per-article client.

    python benchmarks/fetch.py [--no-docs]

Both run against tests/eutils_server.py (FakeEutilsServer) with NCBI's limit
enforced (over 3 requests in any second: HTTP 429) and no API key, so wall
time is bound by the request count as it would be at NCBI. The corpus is
shaped like the seed's neighbourhood (stated in the section). The naive client
is what pymed and metapub do: efetch one PMID, then elink one PMID, article by
article, at 3 requests/s. It runs for real at depth 1; at depth 2 its request
count is computed from the articles litbase stored (one efetch each, one elink
for each article whose links are followed) and its time from 3 requests/s.
Rewrites the "## Fetch" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))
from eutils_server import Corpus, FakeEutilsServer  # noqa: E402
from machine import describe_machine, replace_section  # noqa: E402

SEED = 35392492
RATE = 3  # requests per second without an API key
SHAPE = ("the seed (in PMC) cites 50 articles and is cited by 12; each of its references cites 30 "
         "of 3,000 older articles; 1,000 newer articles each cite 20 older ones and 0-2 of the seed's "
         "references; 60% of articles are in PMC (elink lists references and citers only for those, "
         "as NCBI does) and 30% carry a deposited reference list")


def seed_corpus(seed: int = 8) -> Corpus:
    """A deterministic neighbourhood of the seed (see SHAPE)."""
    rng = random.Random(seed)
    corpus = Corpus()
    older = [10_000_000 + 7 * i for i in range(3000)]
    newer = [36_000_000 + 7 * i for i in range(1000)]
    refs = older[-50:]  # the seed's references: the most recent of the older pool
    citing = newer[:12]
    def add(pmid, cited, year):
        corpus.add(pmid, year=year, refs=cited, in_pmc=rng.random() < 0.6,
                   deposited_refs=rng.random() < 0.3,
                   abstract=f"Abstract of article {pmid} on peer support." if rng.random() < 0.7 else None,
                   similar=[(p, rng.randint(10**6, 5 * 10**7)) for p in rng.sample(older, 5)])
    for i, pmid in enumerate(older):
        add(pmid, rng.sample(older[:i], min(i, 30)), 1990 + 30 * i // len(older))
    for pmid in newer:
        cited = rng.sample(refs, rng.randint(0, 2)) + rng.sample(older, 20)
        add(pmid, cited, 2023)
    corpus.add(SEED, year=2022, refs=refs, in_pmc=True, deposited_refs=True,
               title="Everybody in this room can understand")
    for pmid in citing:
        corpus.articles[pmid].refs.append(SEED)
    corpus._cited_by = None
    return corpus


def run_litbase(server: FakeEutilsServer, db_path: Path, depth: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NCBI_API_KEY"}
    env["LITBASE_EUTILS_URL"] = server.base_url
    server.clear_log()
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "litbase", "fetch", str(db_path), str(SEED),
                    "--depth", str(depth), "--no-progress", "--sources", "pubmed"],
                   env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    conn = sqlite3.connect(db_path)
    articles = conn.execute("select count(*) from articles").fetchone()[0]
    followed = conn.execute("select count(*) from articles where links_fetched_at is not null").fetchone()[0]
    return {"requests": server.count(), "seconds": seconds, "articles": articles,
            "linked": followed}


def naive_crawl(server: FakeEutilsServer, depth: int) -> dict:
    """efetch one PMID, elink one PMID, breadth first, never over 3 requests/s."""
    from litbase.parse.eutils import parse_elink
    from litbase.parse.pubmed import parse_pubmed_xml

    sent: list[float] = []

    def get(endpoint: str, pmid: int) -> bytes:
        while len(sent) >= RATE and time.monotonic() - sent[-RATE] < 1.05:
            time.sleep(0.01)
        sent.append(time.monotonic())
        extra = "&cmd=neighbor&dbfrom=pubmed" if endpoint == "elink" else "&retmode=xml"
        url = f"{server.base_url}{endpoint}.fcgi?db=pubmed&id={pmid}{extra}"
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.read()

    server.clear_log()
    started = time.perf_counter()
    seen, level = {SEED}, [SEED]
    for hop in range(depth + 1):
        following = []
        for pmid in level:
            list(parse_pubmed_xml(get("efetch", pmid)))
            if hop == depth:
                continue
            for linkset in parse_elink(get("elink", pmid)):
                for other in (linkset.get("refs") or []) + (linkset.get("cited_by") or []):
                    if other not in seen:
                        seen.add(other)
                        following.append(other)
        level = following
    return {"requests": server.count(), "seconds": time.perf_counter() - started, "articles": len(seen)}


def measure() -> dict:
    corpus = seed_corpus()
    results = {}
    with FakeEutilsServer(corpus, enforce_rate_limit=RATE) as server, tempfile.TemporaryDirectory() as folder:
        for depth in (1, 2):
            ours = run_litbase(server, Path(folder) / f"depth{depth}.db", depth)
            print(f"litbase depth {depth}: {ours}", file=sys.stderr)
            if depth == 1:
                naive = naive_crawl(server, depth)
                naive["measured"] = True
            else:
                # One efetch per stored article, one elink per article whose links were followed.
                requests = ours["articles"] + ours["linked"]
                naive = {"requests": requests, "seconds": requests / RATE, "articles": ours["articles"],
                         "measured": False}
            print(f"naive depth {depth}: {naive}", file=sys.stderr)
            results[depth] = {"litbase": ours, "naive": naive}
    return results


def section(results: dict) -> str:
    lines = ["| depth | client | articles | requests | wall time | fewer requests |",
             "| ---: | --- | ---: | ---: | ---: | ---: |"]
    for depth, pair in results.items():
        ours, naive = pair["litbase"], pair["naive"]
        how = "measured" if naive["measured"] else "computed: 1 efetch + 1 elink per article, at 3/s"
        lines.append(f"| {depth} | litbase fetch | {ours['articles']:,} | {ours['requests']} | "
                     f"{ours['seconds']:.1f} s | **{naive['requests'] / ours['requests']:.0f}x** |")
        lines.append(f"| {depth} | one request per article ({how}) | {naive['articles']:,} | "
                     f"{naive['requests']:,} | {naive['seconds']:.0f} s | 1x |")
    goal = results[2]["naive"]["requests"] / results[2]["litbase"]["requests"]
    return "\n".join([
        "Command: `python benchmarks/fetch.py`; `litbase fetch DB 35392492 --depth N --sources pubmed`, "
        "no API key, against tests/eutils_server.py with NCBI's limit enforced (more than 3 requests in "
        "a second are answered 429).",
        "",
        f"Corpus: {SHAPE}.",
        "",
        *lines,
        "",
        f"Goal: at least 10x fewer requests at depth 2 — {goal:.0f}x, "
        f"{'met' if goal >= 10 else 'not met'}. litbase asks efetch for up to 500 PMIDs and elink "
        "for 200 (one LinkSet each) per request; at NCBI's 3 requests/s the wall time follows the "
        "request count.",
        "",
        describe_machine(),
    ])


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--no-docs", action="store_true")
    args = options.parse_args()
    text = section(measure())
    print(text)
    if not args.no_docs:
        replace_section(ROOT / "docs" / "benchmarks.md", "Fetch", text)


if __name__ == "__main__":
    main()
