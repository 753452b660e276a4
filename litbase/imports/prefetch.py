"""Parse the next PubMed file while this one is being stored.

A bulk import has two processes: the importer writes, a child parses. The
importer waits on the parser about a third of the time, and that share of a
core is idle. With several files the parser of the next file can use it:
``bulk_import`` names the files to come (``ParseAhead``) and hands it down
to each file's import; when ``pubmed_batches.batches`` starts a file it
starts the parser of the next one,
which writes its batches to a spool file on disk (memory stays flat, however
far ahead it gets). When the importer reaches that file it reads the spool,
following it while the parser is still writing.

A spool holds at most one file's batches (about 150 MB for a 30,000-record
baseline file) and sits beside the database, on disk: /tmp may be memory
(tmpfs, as on Debian 13). It is unlinked as soon as it is open, so nothing
is left behind if the importer dies; its parser notices that its parent is
gone and stops.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

FOLLOW_EVERY = 0.005  # seconds between looks at a spool its parser is still writing


def parser_command(path: Path, skip: int, batch_size: int, low_priority: bool = False) -> list[str]:
    # A plain child interpreter that imports only the parser and the row
    # builder (multiprocessing would re-import the command line: ~40 MB and
    # half a second for nothing).
    return [sys.executable, "-m", "litbase.imports.pubmed_batches", str(path), str(skip), str(batch_size),
            *(["low-priority"] if low_priority else [])]


def read_exactly(stream, size: int, writer_alive: Callable[[], bool]) -> bytes | None:
    """``size`` bytes from a spool file, or None at its end.

    A short read is only the end once the writer has exited; until then,
    wait and look again.
    """
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if chunk:
            data += chunk
            continue
        if not writer_alive():
            # What it wrote before exiting is in the file now; read it once more.
            chunk = stream.read(size - len(data))
            if not chunk:
                return None
            data += chunk
            continue
        time.sleep(FOLLOW_EVERY)
    return data


class SpooledParser:
    """A parsing process writing one file's batches to an unlinked spool file."""

    def __init__(self, path: Path, skip: int, batch_size: int, low_priority: bool = False,
                 spool_dir: str | None = None):
        self.key = (str(path), skip, batch_size)
        fd, name = tempfile.mkstemp(prefix="litbase-parse-", suffix=".spool", dir=spool_dir)
        try:
            # A second open file description: the child's writes must not move our reading position.
            self.spool = open(name, "rb")
            os.unlink(name)
            self.child = subprocess.Popen(parser_command(path, skip, batch_size, low_priority), stdout=fd,
                                          stdin=subprocess.DEVNULL)
        finally:
            os.close(fd)

    @property
    def closed(self) -> bool:
        return self.spool.closed

    def writer_alive(self) -> bool:
        return self.child.poll() is None

    def close(self) -> None:
        if self.child.poll() is None:
            self.child.terminate()
        self.child.wait()
        self.spool.close()


class ParseAhead:
    """The PubMed files of one import, in order, and the parser started ahead of its turn."""

    def __init__(self, files: list[Path], resume_point: Callable[[Path], int | None],
                 spool_dir: str | None = None, started: SpooledParser | None = None):
        # resume_point(path): records already stored, or None for a file done before.
        # started: a parser already running, taken (or stopped) like one started here.
        self.files = [Path(f) for f in files]
        self.spool_dir = spool_dir
        self.resume_point = resume_point
        self.ahead: SpooledParser | None = started

    def take(self, path: Path, skip: int, batch_size: int) -> SpooledParser | None:
        """The parser started ahead for exactly this file and starting point, if any."""
        ahead, self.ahead = self.ahead, None
        if ahead is not None and ahead.key == (str(path), skip, batch_size):
            return ahead
        if ahead is not None:
            ahead.close()
        return None

    def start_after(self, path: Path | None, batch_size: int) -> None:
        """Start parsing the first file after ``path`` (None: the first file) not already imported."""
        if self.ahead is not None or (path is not None and Path(path) not in self.files):
            return
        start = 0 if path is None else self.files.index(Path(path)) + 1
        for following in self.files[start:]:
            skip = self.resume_point(following)
            if skip is not None:
                # Behind another file's parser, this one takes only the CPU left over.
                self.ahead = SpooledParser(following, skip, batch_size, low_priority=path is not None,
                                           spool_dir=self.spool_dir)
                return

    def close(self) -> None:
        if self.ahead is not None:
            self.ahead.close()
            self.ahead = None
