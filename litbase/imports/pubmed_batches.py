"""Read a PubMed XML file as batches of rows ready to store, in a child process when it is large.

Parsing and building rows are pure Python work, and so is storing them, so
two processes use two cores where two threads would queue for one GIL.
``litbase.imports.pubmed`` stores what ``batches`` yields.
"""

from __future__ import annotations

import gc
import os
import pickle
import sys
from pathlib import Path

from litbase.imports.prefetch import ParseAhead, SpooledParser, read_exactly
from litbase.imports.pubmed_order import BATCH
from litbase.parse.pubmed import PubmedParseError, open_gzip, parse_pubmed_xml
from litbase.store.articles import article_rows, utc_now

NICE_AHEAD = 10
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
            stream = open_gzip(raw) if magic == b"\x1f\x8b" else raw
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


def _child_main(argv: list[str]) -> None:
    """``python -m litbase.imports.pubmed_batches PATH SKIP BATCH``: messages to stdout, pickled."""
    path, skip, batch_size = argv[0], int(argv[1]), int(argv[2])
    if argv[3:] == ["low-priority"]:
        # Parsing ahead takes the CPU the importer and the current file's parser leave.
        os.nice(NICE_AHEAD)
    out, parent = sys.stdout.buffer, os.getppid()
    # The records and rows are dicts, lists and tuples without cycles, freed as each batch is
    # written; the collector's automatic passes over them cost this process about a tenth of its
    # CPU (pubmed21n1298: 5.7-6.2 s with them, 5.0-5.4 s without; peak 91 -> 79 MB). It runs once
    # a batch instead, over what is left of that batch alone (frozen: the modules loaded so far).
    gc.disable()
    gc.freeze()
    try:
        for message in _read_batches(path, skip, batch_size):
            if os.getppid() != parent:
                return  # the importer is gone: nobody will read the rest
            data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
            out.write(len(data).to_bytes(8, "big") + data)
            out.flush()
            del message, data
            gc.collect()
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches the whole process group; the importer reports it


def _read_message(stream, writer_alive):
    # Pickle is safe here: the only writer is our own child.
    header = read_exactly(stream, 8, writer_alive)
    if header is None:
        return None
    body = read_exactly(stream, int.from_bytes(header, "big"), writer_alive)
    return None if body is None else pickle.loads(body)


def batches(path: Path, skip: int = 0, batch_size: int = BATCH, spool_dir: str | None = None,
            ahead: ParseAhead | None = None):
    """Yield (kind, payload, compressed bytes read) for a PubMed file, past its first ``skip`` records.

    A large file is parsed in a child process: parsing and building rows are
    pure Python work, and so is storing them, so two processes use two cores
    where two threads would queue for one GIL. The child writes to a spool
    file, never waiting for the importer, which follows it. With ``ahead``
    (a bulk import's files) this file's parser may be running already, and
    the parser of the next file starts now (``litbase.imports.prefetch``).
    """
    parser = ahead.take(path, skip, batch_size) if ahead else None
    if parser is None and path.stat().st_size < PARALLEL_FROM_BYTES:
        yield from _read_batches(str(path), skip, batch_size)
        return
    parser = parser or SpooledParser(path, skip, batch_size, spool_dir=spool_dir)
    if ahead:
        ahead.start_after(path, batch_size)
    try:
        while True:
            message = _read_message(parser.spool, parser.writer_alive)
            if message is None:
                raise PubmedParseError(
                    f"the parser of {path} stopped without a word (exit {parser.child.wait()})")
            yield message
            if message[0] in ("end", "error"):
                return
    finally:
        parser.close()


if __name__ == "__main__":
    _child_main(sys.argv[1:])
