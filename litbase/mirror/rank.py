"""Whole-mirror graph figures: citation counts and PageRank for every article, out of core.

The edges stream once from DuckDB into two int32 files on disk (citing and
referenced PMID); each power iteration reads them a chunk at a time into the
same two buffers. Memory holds vectors indexed by PMID up to the largest (rank,
the next rank, what each article passes on, counts, masks: about 40 bytes a
PMID, some 1.6 GB for PubMed's 40 million) and one chunk of edges, never the
whole edge list: a billion links cost 8 GB of disk, not of memory.

PageRank is networkx's definition (damping 0.85, uniform teleport, the rank
of articles that cite nothing spread over all nodes), so its figures match
``networkx.pagerank`` on the same graph. The stopping rule is stricter:
networkx stops when the L1 change is under N x 1e-6, which for 40 million
nodes (a bound of 40, where the change can never exceed 2) stops after one
iteration; here the L1 change must fall under 1e-6 whatever N is. The nodes are every current article plus every PMID a link names.
The links are the Open Citation Collection when loaded, else the PMIDs of the
mirror's own reference lists. Co-citation and coupling are not computed for
the whole graph: they are quadratic, and ``litbase related --mirror``
computes them for one article's neighbourhood when asked.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from litbase.mirror.catalog import connect, ensure_citation_views

ALPHA = 0.85
TOLERANCE = 1e-6
MAX_ITERATIONS = 100
CHUNK = 20_000_000  # edges per chunk: 160 MB of int32 pairs read at a time
BATCH = 2_000_000  # rows per batch from DuckDB while the edge files are written


class RankNotConverged(RuntimeError):
    """Power iteration did not settle within MAX_ITERATIONS."""


def _edges_sql(con) -> str:
    """The links ordered by the referenced article: the cited_by copy of the collection is stored so."""
    if con.execute("SELECT count(*) FROM (SELECT 1 FROM cited_by LIMIT 1)").fetchall()[0][0]:
        return "SELECT citing, referenced FROM cited_by"
    return ('SELECT DISTINCT pmid AS citing, ref_pmid AS referenced FROM "references" WHERE ref_pmid IS NOT NULL'
            " ORDER BY referenced, citing")


def _batches(con, sql: str):
    """Arrow record batches of a query, streamed: DuckDB 2 names it to_arrow_reader, 1.x fetch_arrow_reader."""
    relation = con.sql(sql)
    reader = getattr(relation, "to_arrow_reader", None) or relation.fetch_arrow_reader
    return reader(BATCH)


def _write_edges(con, folder: Path) -> tuple[int, int]:
    """Stream the links into citing.i32 and referenced.i32; returns (edges, largest PMID)."""
    largest = con.execute("SELECT max(pmid) FROM live").fetchall()[0][0] or 0
    count = 0
    with open(folder / "citing.i32", "wb") as citing, open(folder / "referenced.i32", "wb") as referenced:
        for batch in _batches(con, _edges_sql(con)):
            src = batch.column(0).to_numpy(zero_copy_only=False)
            dst = batch.column(1).to_numpy(zero_copy_only=False)
            if len(src):
                largest = max(largest, int(src.max()), int(dst.max()))
            src.astype(np.int32).tofile(citing)
            dst.astype(np.int32).tofile(referenced)
            count += len(src)
    if largest >= 2**31:
        raise ValueError(f"PMID {largest} does not fit the 32-bit edge files")
    return count, largest


def _chunks(folder: Path, edges: int, buffers=None):
    """The links a chunk at a time, read into two int32 buffers reused for every chunk (made here
    when not given): memory holds one chunk, not the link files, whatever their size."""
    if buffers is None:
        buffers = (np.empty(min(edges, CHUNK), dtype=np.int32), np.empty(min(edges, CHUNK), dtype=np.int32))
    with open(folder / "citing.i32", "rb") as citing, open(folder / "referenced.i32", "rb") as referenced:
        for start in range(0, edges, CHUNK):
            size = min(CHUNK, edges - start)
            src, dst = buffers[0][:size], buffers[1][:size]
            citing.readinto(memoryview(src).cast("B"))
            referenced.readinto(memoryview(dst).cast("B"))
            yield src, dst


def pagerank_from_edges(folder: Path, edges: int, node: np.ndarray, alpha: float = ALPHA,
                        tol: float = TOLERANCE, max_iter: int = MAX_ITERATIONS):
    """PageRank by PMID (0 off the nodes), citation and reference counts, and the iterations run.

    Every vector is allocated once and every step writes into one (``out=``): a fresh vector of
    36 million PMIDs is 288 MB of pages for the kernel to zero, and allocating seven of them an
    iteration cost as much system time as the arithmetic. The links come ordered by the
    referenced article, so ``np.add.at`` adds into the next ranks in order.
    """
    size = len(node)
    cited_by = np.zeros(size, dtype=np.int32)
    references = np.zeros(size, dtype=np.int32)
    for src, dst in _chunks(folder, edges):
        cited_by += np.bincount(dst, minlength=size).astype(np.int32)
        references += np.bincount(src, minlength=size).astype(np.int32)
    n = int(node.sum())
    cites = references > 0
    dangling = node & ~cites
    share = np.zeros(size)  # 1 / the article's references: what each link passes of its rank
    np.divide(1.0, references, out=share, where=cites)
    rank = node / n
    new, weight = np.zeros(size), np.zeros(size)
    taken = np.empty(min(edges, CHUNK))
    buffers = (np.empty(len(taken), dtype=np.int32), np.empty(len(taken), dtype=np.int32))
    for iteration in range(1, max_iter + 1):
        new.fill(0.0)
        np.multiply(rank, share, out=weight)
        for src, dst in _chunks(folder, edges, buffers):
            passed = taken[:len(src)]
            np.take(weight, src, out=passed)
            np.add.at(new, dst, passed)
        spread = (alpha * rank.sum(where=dangling) + 1 - alpha) / n
        np.multiply(new, alpha, out=new)
        np.add(new, spread, out=new)
        np.multiply(new, node, out=new)  # 0 off the nodes
        np.subtract(new, rank, out=weight)
        change = np.abs(weight, out=weight).sum()
        rank, new = new, rank
        if change < tol:
            return rank, cited_by, references, iteration
    raise RankNotConverged(f"PageRank did not converge in {max_iter} iterations")


def compute_metrics(mirror) -> dict:
    """Citation counts and PageRank of every article into DIR/metrics; returns sizes and seconds."""
    mirror = Path(mirror)
    started = time.perf_counter()
    work = mirror / "tmp" / "rank"
    work.mkdir(parents=True, exist_ok=True)
    with connect(mirror) as con:
        edges, largest = _write_edges(con, work)
        loaded = time.perf_counter()
        node = np.zeros(largest + 1, dtype=bool)
        for batch in _batches(con, "SELECT pmid FROM live WHERE present"):
            node[batch.column(0).to_numpy(zero_copy_only=False)] = True
        for src, dst in _chunks(work, edges):
            node[src] = True
            node[dst] = True
        rank, cited_by, references, iterations = pagerank_from_edges(work, edges, node)
        computed = time.perf_counter()
        pmids = np.flatnonzero(node)
        table = pa.table({"pmid": pmids.astype(np.int64), "cited_by_count": cited_by[pmids],
                          "references_count": references[pmids], "pagerank": rank[pmids]})
        (mirror / "metrics").mkdir(exist_ok=True)
        partial = mirror / "metrics" / ".metrics.parquet.partial"
        pq.write_table(table, partial, compression="zstd")
        partial.replace(mirror / "metrics" / "metrics.parquet")
        ensure_citation_views(con, mirror)
    for name in ("citing.i32", "referenced.i32"):
        (work / name).unlink()
    return {"nodes": len(pmids), "edges": edges, "iterations": iterations,
            "load_seconds": round(loaded - started, 2), "rank_seconds": round(computed - loaded, 2),
            "seconds": round(time.perf_counter() - started, 2)}
