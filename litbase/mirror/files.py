"""One PubMed baseline or update file into Parquet: the task a Dask worker runs, with litbase's parser.

Each input file becomes one Parquet file per table under ``DIR/parts/TABLE/``
and a marker ``DIR/done/NAME.json`` written last, so a file is either wholly
converted or not at all and a rerun skips what is done. Records keep their
position in the file; which version of a PMID is current is decided later,
over every file of the mirror in NLM's order (``file_order``), so the files
themselves can be converted in any order, on any worker.

The full parsed record is kept as JSON beside the flat columns, so the
mirror hands back exactly what the parser yields and a fetch through the
mirror stores the same rows as one through efetch.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from litbase.parse.pubmed import parse_pubmed_xml

# Records buffered before a row group is written: memory stays flat whatever the file's size.
ROW_GROUP = 5_000
NUMBERED = re.compile(r"pubmed(\d{2})n(\d+)", re.IGNORECASE)
try:
    # orjson (the mirror extra) encodes a record 7 times faster than the standard library, and
    # the record JSON is the dearest step of a file after the parse. Its UTF-8 bytes go into
    # Arrow as they are: a str would be encoded again, which costs twice the JSON itself.
    from orjson import dumps as _encode
except ImportError:  # the same JSON, more slowly; one encoder for every record
    _encode_str = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

    def _encode(record: dict) -> bytes:
        return _encode_str(record).encode()

# The Parquet columns' version, kept in each file's marker: 2 added record_position.
LAYOUT = 2


class FileConversionError(RuntimeError):
    """A file that could not be converted; the message is the original error's."""


SCHEMAS = {
    "articles": pa.schema([
        ("pmid", pa.int64()), ("file", pa.string()), ("position", pa.int32()), ("version", pa.int32()),
        ("record_type", pa.string()), ("title", pa.string()), ("abstract", pa.string()),
        ("journal", pa.string()), ("iso_abbreviation", pa.string()), ("year", pa.int32()),
        ("doi", pa.string()), ("pmcid", pa.string()), ("date_revised", pa.string()),
        ("record", pa.string()),
    ]),
    # record_position: the record's position in its file (the articles' position), which tells apart
    # the versions of one PMID a file can hold (PubMed's versioned citations, <PMID Version="2">).
    "authors": pa.schema([
        ("pmid", pa.int64()), ("file", pa.string()), ("record_position", pa.int32()),
        ("position", pa.int32()), ("last_name", pa.string()),
        ("fore_name", pa.string()), ("initials", pa.string()), ("collective_name", pa.string()),
        ("orcid", pa.string()),
    ]),
    "mesh": pa.schema([
        ("pmid", pa.int64()), ("file", pa.string()), ("record_position", pa.int32()), ("descriptor_ui", pa.string()),
        ("descriptor", pa.string()), ("major_topic", pa.bool_()),
    ]),
    "references": pa.schema([
        ("pmid", pa.int64()), ("file", pa.string()), ("record_position", pa.int32()), ("list_index", pa.int32()),
        ("position", pa.int32()),
        ("citation", pa.string()), ("ref_pmid", pa.int64()), ("doi", pa.string()), ("pmcid", pa.string()),
        ("source", pa.string()),
    ]),
    "deletions": pa.schema([("pmid", pa.int64()), ("file", pa.string()), ("position", pa.int32())]),
}
TABLES = tuple(SCHEMAS)


def file_name(path) -> str:
    """The name a file goes by in the mirror: pubmed21n1298.xml.gz -> pubmed21n1298."""
    name = Path(path).name
    for suffix in (".gz", ".xml"):
        name = name.removesuffix(suffix)
    return name


def file_order(path) -> tuple:
    """NLM's order, as ``litbase import`` applies files: baseline by number, then update files.

    An update file revises or deletes records of the files before it; a file
    without NLM's name goes first, by name.
    """
    found = NUMBERED.search(Path(path).name)
    update = any(part.lower() == "updatefiles" for part in Path(path).parts)
    if found is None:
        return (0, False, 0, 0, file_name(path))
    return (1, update, int(found.group(1)), int(found.group(2)), file_name(path))


def done_marker(mirror: Path, path) -> Path:
    return Path(mirror) / "done" / f"{file_name(path)}.json"


def is_done(mirror: Path, path) -> bool:
    """A file is done when its marker names the same size and the Parquet layout of this litbase:
    a changed file, or one converted by a litbase that wrote other columns, is converted again."""
    marker = done_marker(mirror, path)
    if not marker.exists():
        return False
    done = json.loads(marker.read_text())
    return done["bytes"] == os.path.getsize(path) and done.get("layout") == LAYOUT


def _columns() -> dict[str, dict[str, list]]:
    return {table: {name: [] for name in schema.names} for table, schema in SCHEMAS.items()}


# The columns each table takes from a record's part, in schema order after (pmid, file[, ...]).
_AUTHOR_KEYS = ("position", "last_name", "fore_name", "initials", "collective_name", "orcid")
_REFERENCE_KEYS = ("position", "citation", "pmid", "doi", "pmcid", "source")


class _Rows:
    """The columns of every table for the records of one row group, filled record by record.

    Each column's ``append`` is looked up once, not once per value: a baseline file
    adds some three million values.
    """

    def __init__(self):
        self.columns = _columns()
        self.appends = {table: [values.append for values in columns.values()]
                        for table, columns in self.columns.items()}

    def __len__(self) -> int:
        return len(self.columns["articles"]["pmid"])

    def deletion(self, pmid: int, name: str, position: int) -> None:
        for append, value in zip(self.appends["deletions"], (pmid, name, position)):
            append(value)

    def article(self, record: dict, name: str, position: int) -> None:
        pmid = record["pmid"]
        get = record.get
        journal = get("journal") or {}
        references = get("references") or []
        # The reference list lives in its own table only (it is the bulk of a record, and JSON
        # is the dearest step of a file): the record JSON leaves it out and reading puts it back.
        rest = record.copy()
        rest.pop("references", None)
        for append, value in zip(self.appends["articles"], (
                pmid, name, position, get("version"), get("record_type"), get("title"), get("abstract"),
                journal.get("title"), journal.get("iso_abbreviation"), get("year"), get("doi"),
                get("pmcid"), get("date_revised"), _encode(rest))):
            append(value)
        appends = self.appends["authors"]
        for author in get("authors") or ():
            appends[0](pmid)
            appends[1](name)
            appends[2](position)
            for append, key in zip(appends[3:], _AUTHOR_KEYS):
                append(author.get(key))
        appends = self.appends["mesh"]
        for heading in get("mesh_headings") or ():
            for append, value in zip(appends, (pmid, name, position, heading.get("descriptor_ui"),
                                               heading.get("descriptor"), bool(heading.get("major_topic")))):
                append(value)
        appends = self.appends["references"]
        for index, ref in enumerate(references):
            appends[0](pmid)
            appends[1](name)
            appends[2](position)
            appends[3](index)
            for append, key in zip(appends[4:], _REFERENCE_KEYS):
                append(ref.get(key))


def references_of(rows) -> list[dict]:
    """A record's reference list from its rows of the references table, as the parser made it."""
    return [{"position": r["position"], "citation": r["citation"], "pmid": r["ref_pmid"], "doi": r["doi"],
             "pmcid": r["pmcid"], "source": r["source"]} for r in sorted(rows, key=lambda r: r["list_index"])]


class _Writers:
    """One ParquetWriter per table, into a scratch folder moved into place when the file is whole."""

    def __init__(self, scratch: Path):
        self.scratch = scratch
        self.writers: dict[str, pq.ParquetWriter] = {}

    def write(self, rows: _Rows) -> None:
        for table, schema in SCHEMAS.items():
            if table not in self.writers:
                # Every table gets a file, even an empty one, so DuckDB's globs always match.
                self.writers[table] = pq.ParquetWriter(self.scratch / f"{table}.parquet", schema,
                                                       compression="zstd")
            columns = rows.columns[table]
            if columns["pmid"]:
                self.writers[table].write_table(pa.Table.from_pydict(columns, schema=schema))
            for values in columns.values():
                values.clear()

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def convert_file(path: str, mirror: str) -> dict:
    """Parse one PubMed file into the mirror's Parquet tables; returns what was done and its cost."""
    started, cpu = time.perf_counter(), time.thread_time()
    mirror, name = Path(mirror), file_name(path)
    scratch = mirror / "parts" / f".scratch-{name}-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    rows = _Rows()
    writers = _Writers(scratch)
    counts = {"articles": 0, "deletions": 0}
    failure = None
    try:
        for position, record in enumerate(parse_pubmed_xml(path)):
            if record["record_type"] == "delete":
                for pmid in record["pmids"]:
                    rows.deletion(pmid, name, position)
                counts["deletions"] += len(record["pmids"])
            else:
                rows.article(record, name, position)
                counts["articles"] += 1
            if len(rows) >= ROW_GROUP:
                writers.write(rows)
        writers.write(rows)
    except Exception as error:
        failure = f"{type(error).__name__}: {error}"
    finally:
        writers.close()
    if failure is not None:
        # Nothing of a file that failed is kept: the rerun converts it whole. Only the message
        # travels back (raised outside the handler, without its context): a parser error holds
        # lxml objects, which cannot be pickled from a worker process to the client.
        shutil.rmtree(scratch, ignore_errors=True)
        raise FileConversionError(failure)
    for table in TABLES:
        target = mirror / "parts" / table
        target.mkdir(parents=True, exist_ok=True)
        os.replace(scratch / f"{table}.parquet", target / f"{name}.parquet")
    shutil.rmtree(scratch, ignore_errors=True)
    summary = {"file": name, "path": str(path), "bytes": os.path.getsize(path), "layout": LAYOUT,
               "order": list(file_order(path)),
               **counts, "seconds": round(time.perf_counter() - started, 3),
               # CPU time of the task's thread: what the file costs a core, whoever else shares
               # the machine (the worker's own threads are not counted).
               "cpu_seconds": round(time.thread_time() - cpu, 3),
               # ru_maxrss is in KiB on Linux: the worker process's peak so far.
               "worker_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    marker = done_marker(mirror, path)
    marker.parent.mkdir(parents=True, exist_ok=True)
    # The marker is written last and atomically: a task killed before it leaves the file to redo.
    partial = marker.with_suffix(".partial")
    partial.write_text(json.dumps(summary, indent=1))
    os.replace(partial, marker)
    return summary
