"""Which PubMed files an import reads, in which order, and the first one's parser started early.

Light on purpose (the standard library, the parser's process and one
read-only look at ``pubmed_files``): ``litbase import`` calls
``start_first_parser`` before it loads the libraries that store records,
so parsing the first file and loading them take the two cores at once
instead of one after the other.
"""

from __future__ import annotations

import re
from pathlib import Path

from litbase.imports.prefetch import SpooledParser
from litbase.store.pubmed_files import stored_progress

# Records a message of the parser carries: the importer's statements run once a batch (upserts, the
# full-text index, reference status), so larger batches cost less a record, and more peak memory
# (250 -> 500: +10-20 MB a process). See TRANSACTION_RECORDS in litbase.imports.pubmed.
BATCH = 500
SUFFIXES = (".xml", ".gz")
NUMBERED = re.compile(r"pubmed(\d{2})n(\d+)", re.IGNORECASE)


def is_pubmed_xml(path) -> bool:
    return Path(path).name.lower().endswith(SUFFIXES)


def file_number(path) -> tuple[int, int] | None:
    """(year, number) from NLM's file name: pubmed21n1298.xml.gz -> (21, 1298)."""
    found = NUMBERED.search(Path(path).name)
    return (int(found.group(1)), int(found.group(2))) if found else None


def is_update_file(path) -> bool:
    # NLM serves baseline/ and updatefiles/; both use the same naming.
    return any(part.lower() == "updatefiles" for part in Path(path).parts)


def import_order(paths) -> list:
    """Other files first, as given; then baseline files, then update files, each by number."""
    def key(indexed):
        index, path = indexed
        number = file_number(path) if is_pubmed_xml(path) else None
        if number is None:
            return (0, 0, (0, 0), index)
        return (1, is_update_file(path), number, index)
    return [path for _, path in sorted(enumerate(paths), key=key)]


def start_first_parser(db_path, paths: list, batch_size: int = BATCH) -> SpooledParser | None:
    """Start parsing the first of ``paths`` (in import order) not imported yet, where it would resume.

    Judged by file name from ``pubmed_files``, before the database is
    opened; the import checks the file's content (sha256) afterwards, and a
    parser started at the wrong place is stopped and started again
    (``ParseAhead.take``), so a wrong guess costs time, never a record.
    """
    progress = stored_progress(db_path)
    for path in paths:
        if not is_pubmed_xml(path):
            continue
        status, records_done = progress.get(Path(path).name, (None, 0))
        if status != "done":
            return SpooledParser(Path(path), records_done, batch_size,
                                 spool_dir=str(Path(db_path).resolve().parent))
    return None
