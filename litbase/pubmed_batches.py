"""Read a PubMed XML file as batches of rows ready to store, in a child process when it is large.

Parsing and building rows are pure Python work, and so is storing them, so
two processes use two cores where two threads would queue for one GIL.
``litbase.import_pubmed`` stores what ``batches`` yields.
"""

from __future__ import annotations

import gzip
import multiprocessing
import os
import queue
from pathlib import Path

from .parse_pubmed import PubmedParseError, parse_pubmed_xml
from .store import article_rows, utc_now

BATCH = 500  # records per transaction: amortises a commit, bounds memory, loses little
PARALLEL_FROM_BYTES = 4 << 20  # smaller files are parsed in process: a child costs ~0.3 s to start


def _read_batches(path: str, skip: int, batch_size: int = BATCH):
    """Parse ``path``: (kind, batch or error, compressed bytes read) messages, in file order.

    A batch is a list of steps in file order: ("rows", the rows of consecutive
    articles, as store.article_rows builds them, count) or ("delete", PMIDs).
    Rows are built here so that a child process does that work too.
    """
    records, offset = [], 0
    try:
        with open(path, "rb") as raw:
            magic = raw.read(2)
            raw.seek(0)
            stream = gzip.GzipFile(fileobj=raw, mode="rb") if magic == b"\x1f\x8b" else raw
            for position, record in enumerate(parse_pubmed_xml(stream), start=1):
                if position <= skip:
                    continue
                records.append(record)
                if len(records) == batch_size:
                    yield ("batch", _steps(records), raw.tell())
                    records = []
            offset = raw.tell()
        yield ("batch", _steps(records), offset)
        yield ("end", None, offset)
    except PubmedParseError as error:
        # The whole records read before a fault are kept, like the batches before them.
        yield ("batch", _steps(records), offset)
        yield ("error", (str(error), error.lineno), offset)


def _steps(records: list) -> list[tuple]:
    now = utc_now()
    steps, articles = [], []
    for record in records + [None]:
        if record is not None and record["record_type"] != "delete":
            articles.append(record)
            continue
        if articles:
            steps.append(("rows", article_rows(articles, "efetch", now), len(articles)))
            articles = []
        if record is not None:
            steps.append(("delete", record["pmids"], 1))
    return steps


def _child(path: str, skip: int, out, parent: int, batch_size: int) -> None:
    try:
        for message in _read_batches(path, skip, batch_size):
            while True:
                try:
                    out.put(message, timeout=1)
                    break
                except queue.Full:
                    if os.getppid() != parent:
                        return  # the importer was killed: nobody is left to read
    except KeyboardInterrupt:
        pass


def batches(path: Path, skip: int = 0, batch_size: int = BATCH):
    """Yield (kind, payload, compressed bytes read) for a PubMed file, past its first ``skip`` records.

    A large file is parsed in a child process: parsing and building rows are
    pure Python work, and so is storing them, so two processes use two cores
    where two threads would queue for one GIL.
    """
    if path.stat().st_size < PARALLEL_FROM_BYTES:
        yield from _read_batches(str(path), skip, batch_size)
        return
    # spawn, not fork: the parent holds an open SQLite connection and tqdm's thread.
    context = multiprocessing.get_context("spawn")
    # One batch ahead at most, so memory stays flat; the queue's feeder thread
    # sends one while the child parses the next.
    out = context.Queue(maxsize=1)
    child = context.Process(target=_child, args=(str(path), skip, out, os.getpid(), batch_size), daemon=True)
    child.start()
    try:
        while True:
            try:
                message = out.get(timeout=5)
            except queue.Empty:
                if child.is_alive():
                    continue
                raise PubmedParseError(f"the parser of {path} stopped without a word") from None
            yield message
            if message[0] in ("end", "error"):
                return
    finally:
        child.join(timeout=5)
        if child.is_alive():
            child.terminate()
