"""Parsing PubMed files in child processes that write spool files: following a
spool, parsing the next file ahead, and cleaning up after failures.

The files are small synthetic ones (PMIDs 9901xx, as in test_import_pubmed);
PARALLEL_FROM_BYTES is set to 0 so that even they go through child processes.
"""

from __future__ import annotations

import gc
import io
import os
import pickle
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from click.testing import CliRunner
from test_import_pubmed import article_xml, pubmed_file, rows

from litbase.imports import prefetch as parse_ahead, pubmed_batches
from litbase.cli import cli
from litbase.imports.prefetch import read_exactly


@pytest.fixture
def spooled(monkeypatch):
    """Every file goes through a child process; each SpooledParser is logged as it starts and closes."""
    monkeypatch.setattr(pubmed_batches, "PARALLEL_FROM_BYTES", 0)
    log = []
    real_init, real_close = parse_ahead.SpooledParser.__init__, parse_ahead.SpooledParser.close

    def init(self, path, skip, batch_size, low_priority=False, spool_dir=None):
        log.append(("start", os.path.basename(path), skip, low_priority, spool_dir))
        real_init(self, path, skip, batch_size, low_priority, spool_dir)

    def close(self):
        real_close(self)
        log.append(("closed", os.path.basename(self.key[0]), self.child.returncode is not None))

    monkeypatch.setattr(parse_ahead.SpooledParser, "__init__", init)
    monkeypatch.setattr(parse_ahead.SpooledParser, "close", close)
    return log


def three_files(folder):
    return [
        pubmed_file(folder / "baseline" / "pubmed99n0001.xml.gz", article_xml(990101, "Peer support")),
        pubmed_file(folder / "baseline" / "pubmed99n0002.xml.gz", article_xml(990102, "Burnout")),
        pubmed_file(folder / "baseline" / "pubmed99n0003.xml.gz", article_xml(990103, "Wellness")),
    ]


def import_files(db_path, *paths, expect=0):
    result = CliRunner().invoke(cli, ["import", str(db_path), *map(str, paths)])
    assert result.exit_code == expect, result.output
    return result.output


def test_each_file_is_parsed_while_the_one_before_is_stored(tmp_path, spooled):
    paths = three_files(tmp_path)
    db_path = tmp_path / "kb.db"
    import_files(db_path, *paths)
    folder = str(tmp_path)
    assert spooled == [
        # The first file's parser starts with the import, then at once the second's, ahead
        # of its turn and at low priority; when the second file's turn comes its parser
        # is taken over and the third starts.
        ("start", "pubmed99n0001.xml.gz", 0, False, folder),
        ("start", "pubmed99n0002.xml.gz", 0, True, folder),
        ("closed", "pubmed99n0001.xml.gz", True),
        ("start", "pubmed99n0003.xml.gz", 0, True, folder),
        ("closed", "pubmed99n0002.xml.gz", True),
        ("closed", "pubmed99n0003.xml.gz", True),
    ]
    assert rows(db_path, "select pmid, title from articles order by pmid") == [
        (990101, "Peer support"), (990102, "Burnout"), (990103, "Wellness")]
    # The spool files were unlinked as soon as they were open: nothing is left beside the database.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("litbase-parse-")] == []


def test_files_already_imported_are_not_parsed_ahead(tmp_path, spooled):
    paths = three_files(tmp_path)
    db_path = tmp_path / "kb.db"
    import_files(db_path, paths[1])
    spooled.clear()
    output = import_files(db_path, *paths)
    assert "pubmed99n0002.xml.gz: already imported" in output
    assert [entry[:4] for entry in spooled if entry[0] == "start"] == [
        ("start", "pubmed99n0001.xml.gz", 0, False), ("start", "pubmed99n0003.xml.gz", 0, True)]


def test_a_failed_file_stops_the_parser_working_ahead(tmp_path, spooled):
    good, _, third = three_files(tmp_path)
    broken = tmp_path / "baseline" / "pubmed99n0002.xml.gz"
    broken.write_bytes(b"<PubmedArticleSet><PubmedArticle><MedlineCitation>")  # cut short, not gzip
    db_path = tmp_path / "kb.db"
    output = import_files(db_path, good, broken, third, expect=1)
    assert "pubmed99n0002.xml.gz" in output and "malformed PubMed XML" in output
    # The third file's parser had started; it was stopped, and nothing from it was stored.
    assert ("start", "pubmed99n0003.xml.gz", 0, True, str(tmp_path)) in spooled
    assert spooled[-1] == ("closed", "pubmed99n0003.xml.gz", True)
    assert rows(db_path, "select pmid from articles") == [(990101,)]
    assert rows(db_path, "select name, status from pubmed_files order by name") == [
        ("pubmed99n0001.xml.gz", "done")]


def test_first_parser_starts_before_the_import_loads_its_libraries(tmp_path):
    """The command starts parsing, then loads sqlite-utils (with numpy), the readers and the clients."""
    path = pubmed_file(tmp_path / "pubmed99n0001.xml.gz", article_xml(990101, "Peer support"))
    db_path = tmp_path / "kb.db"
    script = (
        "import sys\n"
        "from litbase.imports import prefetch\n"
        "seen = []\n"
        "real = prefetch.SpooledParser.__init__\n"
        "def init(self, *args, **kwargs):\n"
        "    seen.append(sorted(m for m in ('sqlite_utils', 'numpy', 'requests', 'litbase.store.schema')"
        " if m in sys.modules))\n"
        "    real(self, *args, **kwargs)\n"
        "prefetch.SpooledParser.__init__ = init\n"
        "from litbase.cli import cli\n"
        "cli.main(args=sys.argv[1:], standalone_mode=False)\n"
        "print(seen)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, "import", str(db_path), str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "[[]]"  # one parser, started before any of them loaded
    assert rows(db_path, "select pmid, title from articles") == [(990101, "Peer support")]


def test_a_parser_started_at_a_wrong_guess_is_started_again_where_the_import_resumes(tmp_path, spooled):
    """A file named as part-imported whose content has changed since is read from its start."""
    path = three_files(tmp_path)[0]
    db_path = tmp_path / "kb.db"
    import_files(db_path, path)
    with sqlite3.connect(db_path) as conn:  # as if an earlier run had failed after 7 records
        conn.execute("UPDATE pubmed_files SET status = 'failed', records_done = 7, sha256 = 'other'")
    spooled.clear()
    import_files(db_path, path)
    # Started by name at record 7 before the database was opened; the content (sha256) says
    # start over: that parser is stopped and another reads the file from its start.
    assert spooled == [
        ("start", "pubmed99n0001.xml.gz", 7, False, str(tmp_path)),
        ("closed", "pubmed99n0001.xml.gz", True),
        ("start", "pubmed99n0001.xml.gz", 0, False, str(tmp_path)),
        ("closed", "pubmed99n0001.xml.gz", True),
    ]
    assert rows(db_path, "select records_done, articles, status from pubmed_files") == [(1, 1, "done")]
    assert rows(db_path, "select pmid, title from articles") == [(990101, "Peer support")]


def test_read_exactly_follows_a_spool_its_writer_is_still_writing(tmp_path):
    path = tmp_path / "spool"
    message = pickle.dumps(("batch", [1, 2, 3], 42))
    data = len(message).to_bytes(8, "big") + message
    with open(path, "wb") as writer, open(path, "rb") as reader:
        writer.write(data[:5])
        writer.flush()
        done = threading.Event()

        def finish():
            time.sleep(0.1)
            writer.write(data[5:])
            writer.flush()
            done.set()

        threading.Thread(target=finish).start()
        header = read_exactly(reader, 8, lambda: not done.is_set())
        assert int.from_bytes(header, "big") == len(message)
        assert pickle.loads(read_exactly(reader, len(message), lambda: not done.is_set())) == (
            "batch", [1, 2, 3], 42)


def test_read_exactly_ends_when_the_writer_died_mid_message(tmp_path):
    path = tmp_path / "spool"
    path.write_bytes((100).to_bytes(8, "big") + b"only part")
    with open(path, "rb") as reader:
        assert read_exactly(reader, 8, lambda: False) == (100).to_bytes(8, "big")
        assert read_exactly(reader, 100, lambda: False) is None


def test_parser_stops_once_its_importer_is_gone(tmp_path, monkeypatch):
    """A spool breaks no pipe when the importer dies: the parser checks its parent between batches."""
    path = pubmed_file(tmp_path / "pubmed99n0001.xml.gz",
                       "".join(article_xml(990100 + n, f"Article {n}") for n in range(1, 6)))
    parents = iter([1000, 1000, 1000, 1])  # the importer's PID, then init's after it died
    monkeypatch.setattr(os, "getppid", lambda: next(parents))
    out = io.BytesIO()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(out))
    try:
        pubmed_batches._child_main([str(path), "0", "1"])
    finally:
        # _child_main is a parser process's main: it switches the cycle collector off for
        # good. Run here in pytest's process, the collector comes back for the tests after.
        gc.unfreeze()
        gc.enable()
    out.seek(0)
    written = []
    while (message := read_exactly(out, 8, lambda: False)) is not None:
        written.append(pickle.loads(read_exactly(out, int.from_bytes(message, "big"), lambda: False)))
    # Two batches of one article each went out before the parent was found gone.
    assert [(kind, payload[0][1]["articles"].values[0][0]) for kind, payload, _ in written] == [
        ("batch", 990101), ("batch", 990102)]
