"""How each cost grows: parse, ingest and serve at 5k/20k/50k articles; graph at 10k/100k/1M citations.

    python benchmarks/scaling.py [--no-docs]

Sizes: the first 5,000 and 20,000 articles of pubmed20n0014 (re-compressed),
then both real files (50,789 records). Graphs are benchmarks/graph.py's
synthetic ones, ten citations per article. Rewrites the "## Measured" section
of docs/scaling.md; the rest of that file is written by hand.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import graph as graph_bench  # noqa: E402
import ingest as ingest_bench  # noqa: E402
from machine import describe_machine, replace_section  # noqa: E402
from parse import DATA, FILES, ensure_data, make_entrez_slice  # noqa: E402

SLICES = (5_000, 20_000)
EDGES = (10_000, 100_000, 1_000_000)


def files_for(size: int | None, folder: Path) -> list[Path]:
    if size is None:
        return [DATA / name for name in FILES]
    plain = folder / f"slice{size}.xml"
    make_entrez_slice(DATA / FILES[0], size, plain)
    packed = folder / f"pubmed20n{size:04d}.xml.gz"  # a numbered name, as NLM's
    with open(plain, "rb") as source, gzip.open(packed, "wb") as sink:
        shutil.copyfileobj(source, sink)
    return [packed]


def page_p50(db: Path) -> dict:
    """Median of 5 table and search pages under litbase's settings, in process."""
    from datasette.app import Datasette

    from litbase.publish.pages import database_name, metadata_for
    from litbase.publish.serve import settings

    name = database_name(db)

    async def run():
        ds = Datasette([str(db)], metadata=metadata_for([name]), settings=settings())
        out = {}
        for kind, path in (("table", f"/{name}/articles"), ("search", f"/{name}/articles?_search=residency")):
            await ds.client.get(path)
            times = []
            for _ in range(5):
                started = time.perf_counter()
                assert (await ds.client.get(path)).status_code == 200
                times.append(time.perf_counter() - started)
            out[kind] = statistics.median(times)
        return out

    return asyncio.run(run())


def measure_articles() -> list[dict]:
    ensure_data()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for size in (*SLICES, None):
            paths = files_for(size, folder)
            parse = ingest_bench.run_child("parse", folder / "unused.db", paths)
            db = folder / f"scale{size or 'all'}.db"
            ingest = ingest_bench.run_child("ingest", db, paths)
            pages = page_p50(db)
            rows.append({"articles": ingest["records"], "parse": parse["seconds"], "ingest": ingest["seconds"],
                         "peak": ingest["peak_mb"] + ingest["children_peak_mb"], **pages})
            print(rows[-1], file=sys.stderr)
    return rows


def measure_graph() -> list[dict]:
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for edges in EDGES:
            db = Path(scratch) / f"graph{edges}.db"
            stored = graph_bench.build_database(db, edges // 10, edges)
            ours = graph_bench.run_child("litbase", db)
            related = graph_bench.run_child("related", db)
            rows.append({"articles": edges // 10, "edges": stored,
                         "metrics": ours["seconds"]["load"] + ours["seconds"]["metrics"],
                         "total": ours["wall_seconds"], "peak": ours["peak_mb"], "related": related["wall_seconds"]})
            print(rows[-1], file=sys.stderr)
    return rows


def growth(values: list[float], sizes: list[int]) -> str:
    """Exponent k in time ~ size^k between the smallest and largest size."""
    import math

    if values[0] <= 0 or sizes[0] == sizes[-1]:
        return ""
    return f"{math.log(values[-1] / values[0]) / math.log(sizes[-1] / sizes[0]):.2f}"


def section(articles: list[dict], graphs: list[dict]) -> str:
    sizes = [r["articles"] for r in articles]
    lines = ["| articles | parse | ingest | ingest peak MB | table page p50 | search page p50 |",
             "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    lines += [f"| {r['articles']:,} | {r['parse']:.1f} s | {r['ingest']:.1f} s | {r['peak']:.0f} | "
              f"{r['table'] * 1000:.0f} ms | {r['search'] * 1000:.0f} ms |" for r in articles]
    lines.append(f"| growth exponent k (time ∝ n^k) | {growth([r['parse'] for r in articles], sizes)} | "
                 f"{growth([r['ingest'] for r in articles], sizes)} | | "
                 f"{growth([r['table'] for r in articles], sizes)} | {growth([r['search'] for r in articles], sizes)} |")
    edges = [r["edges"] for r in graphs]
    glines = ["| articles | citations | metrics (load + compute) | update_graph total | peak MB | related |",
              "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    glines += [f"| {r['articles']:,} | {r['edges']:,} | {r['metrics']:.2f} s | {r['total']:.2f} s | "
               f"{r['peak']:.0f} | {r['related']:.3f} s |" for r in graphs]
    glines.append(f"| growth exponent k | | {growth([r['metrics'] for r in graphs], edges)} | "
                  f"{growth([r['total'] for r in graphs], edges)} | {growth([r['peak'] for r in graphs], edges)} | "
                  f"{growth([r['related'] for r in graphs], edges)} |")
    return "\n".join([
        "Command: `python benchmarks/scaling.py` (one run per size; each measured in its own process).",
        "",
        *lines,
        "",
        *glines,
        "",
        describe_machine(),
    ])


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--no-docs", action="store_true")
    args = options.parse_args()
    text = section(measure_articles(), measure_graph())
    print(text)
    if not args.no_docs:
        replace_section(ROOT / "docs" / "scaling.md", "Measured", text)


if __name__ == "__main__":
    main()
