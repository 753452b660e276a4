"""iCite's bulk files into the mirror: the Open Citation Collection and, optionally, iCite's metadata.

The Open Citation Collection (``open_citation_collection.csv``, header
``citing,referenced``, one PubMed-to-PubMed link a line, about a billion
lines) is read by DuckDB straight into Parquet, twice: sorted by citing
article (for reference lists) and by referenced article (for citing
articles), so either lookup reads only the row groups that hold its PMIDs.
DuckDB streams the CSV and sorts out of core in the mirror's ``tmp/``
folder under a memory limit, so memory stays flat whatever the file's size.

Each load replaces the previous one: iCite publishes the collection whole,
monthly, not as changes. The new files are written beside the old ones and
moved into place only when complete, so a failed load leaves the last good one.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb

from litbase.mirror.catalog import connect, ensure_citation_views, literal as _literal

OCC_HEADER = ("citing", "referenced")
# iCite metadata columns worth keeping beside the links (title, authors and the
# citation lists are in the mirror already, or in the collection).
METADATA_COLUMNS = ("pmid", "year", "is_research_article", "relative_citation_ratio", "nih_percentile",
                    "citation_count", "citations_per_year", "expected_citations_per_year",
                    "field_citation_rate", "apt", "is_clinical", "provisional")
MEMORY_LIMIT = "1GB"


class CitationFileError(ValueError):
    """A bulk file that is not what iCite publishes; the message names the file and the problem."""


def _header(path: Path) -> list[str]:
    import gzip

    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8", newline="") as stream:
            first = stream.readline()
    except (OSError, UnicodeDecodeError) as error:
        raise CitationFileError(f"{path}: cannot be read as CSV ({error})") from None
    return [name.strip().strip('"').lower() for name in first.strip().split(",")]


def _tuned(con: duckdb.DuckDBPyConnection, mirror: Path, memory_limit: str) -> None:
    tmp = mirror / "tmp"
    tmp.mkdir(exist_ok=True)
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute(f"SET temp_directory = {_literal(tmp)}")
    # Row order within the output is set by ORDER BY alone; keeping input order costs memory.
    con.execute("SET preserve_insertion_order = false")


def _replace(scratch: Path, target: Path) -> None:
    old = target.with_name(f".old-{target.name}")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(scratch, target)
    shutil.rmtree(old, ignore_errors=True)


def add_citations(mirror, path, metadata=None, memory_limit: str = MEMORY_LIMIT) -> dict:
    """Load the Open Citation Collection (and iCite's metadata file); returns row counts."""
    mirror, path = Path(mirror), Path(path)
    if not path.is_file():
        raise CitationFileError(f"{path}: no such file")
    header = _header(path)
    if tuple(header[:2]) != OCC_HEADER:
        raise CitationFileError(f"{path}: the header is {','.join(header)!r}; iCite's Open Citation"
                                " Collection starts with 'citing,referenced'")
    counts = {}
    with connect(mirror) as con:
        _tuned(con, mirror, memory_limit)
        scratch = mirror / ".scratch-citations"
        shutil.rmtree(scratch, ignore_errors=True)
        (scratch / "citations").mkdir(parents=True)
        (scratch / "cited_by").mkdir()
        source = (f"read_csv({_literal(path)}, header = true, auto_detect = false,"
                  " columns = {'citing': 'BIGINT', 'referenced': 'BIGINT'})")
        try:
            con.execute(f"CREATE OR REPLACE TEMP VIEW occ AS SELECT citing, referenced FROM {source}"
                        " WHERE citing IS NOT NULL AND referenced IS NOT NULL")
            for folder, order in (("citations", "citing, referenced"), ("cited_by", "referenced, citing")):
                target = scratch / folder / "occ.parquet"
                con.execute(f"COPY (SELECT citing, referenced FROM occ ORDER BY {order}) TO {_literal(target)}"
                            " (FORMAT parquet, COMPRESSION zstd)")
        except duckdb.Error as error:
            shutil.rmtree(scratch, ignore_errors=True)
            raise CitationFileError(f"{path}: {str(error).splitlines()[0]}") from None
        for folder in ("citations", "cited_by"):
            _replace(scratch / folder, mirror / folder)
        shutil.rmtree(scratch, ignore_errors=True)
        counts["links"] = con.execute(
            f"SELECT count(*) FROM read_parquet({_literal(mirror / 'citations' / 'occ.parquet')})").fetchall()[0][0]
        if metadata is not None:
            counts["metadata"] = _add_metadata(con, mirror, Path(metadata))
        ensure_citation_views(con, mirror)
    shutil.rmtree(mirror / "tmp", ignore_errors=True)
    return counts


def _add_metadata(con: duckdb.DuckDBPyConnection, mirror: Path, path: Path) -> int:
    if not path.is_file():
        raise CitationFileError(f"{path}: no such file")
    header = _header(path)
    if "pmid" not in header:
        raise CitationFileError(f"{path}: no pmid column; iCite's metadata file has one")
    kept = [c for c in METADATA_COLUMNS if c in header]
    scratch = mirror / ".scratch-icite"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    try:
        con.execute(f"COPY (SELECT {', '.join(kept)} FROM read_csv({_literal(path)}, header = true)"
                    f" ORDER BY pmid) TO {_literal(scratch / 'metadata.parquet')} (FORMAT parquet, COMPRESSION zstd)")
    except duckdb.Error as error:
        shutil.rmtree(scratch, ignore_errors=True)
        raise CitationFileError(f"{path}: {str(error).splitlines()[0]}") from None
    _replace(scratch, mirror / "icite")
    return con.execute(f"SELECT count(*) FROM read_parquet({_literal(mirror / 'icite' / 'metadata.parquet')})").fetchall()[0][0]
