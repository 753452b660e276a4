"""Formatting 1,000 references in process: the string-built styles against citeproc-py.

    python benchmarks/textformat.py [--db PATH] [--rows 1000] [--repeat 30]

Loads the first 1,000 articles by PMID of a base (default: the 50,000-article
benchmark base in .cache/bench; the file is opened read-only) once, then times
``format_references`` (CSL-JSON items, each style's adjustments, the reference
text, retraction notes) ``--repeat`` times a style, and ``citeproc_references``
(the same through citeproc-py, the oracle) three times. Prints median and p95
in ms and checks that both give the same text. The load is not timed here
(benchmarks/serve.py times the whole export page).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import time
from pathlib import Path

import sqlite_utils

from litbase.formats.writers.text import STYLES, citeproc_references, format_references
from litbase.store.load import load_articles

ROOT = Path(__file__).resolve().parents[1]


def timings(function, articles, style, repeat):
    seconds, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function(articles, style)
        seconds.append(time.perf_counter() - start)
    return sorted(seconds), result


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--db", type=Path, default=ROOT / ".cache" / "bench" / "pubmed-50k.db")
    options.add_argument("--rows", type=int, default=1000)
    options.add_argument("--repeat", type=int, default=30)
    args = options.parse_args()
    if not args.db.is_file():
        options.error(f"--db {args.db}: no such file")
    db = sqlite_utils.Database(sqlite3.connect(f"file:{args.db}?mode=ro", uri=True))
    pmids = [row[0] for row in db.conn.execute("select pmid from articles order by pmid limit ?",
                                               [args.rows])]
    # As the .txt page loads them: without stored cite keys.
    articles = list(load_articles(db, pmids, cite_keys=False))
    print(f"{len(articles):,} articles of {args.db.name}; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| style | string-built median / p95 | citeproc-py median | same text |")
    print("| --- | ---: | ---: | --- |")
    for style in STYLES:
        fast, ours = timings(format_references, articles, style, args.repeat)
        slow, theirs = timings(citeproc_references, articles, style, 3)
        p95 = fast[min(len(fast) - 1, round(0.95 * (len(fast) - 1)))]
        print(f"| {style} | {statistics.median(fast) * 1000:.1f} / {p95 * 1000:.1f} ms | "
              f"{statistics.median(slow) * 1000:.0f} ms | {ours == theirs} |")


if __name__ == "__main__":
    main()
