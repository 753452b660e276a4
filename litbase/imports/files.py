"""Import a user's file: pick the reader from a table, parse it all, then store it at once.

The table is the one place a new kind of file is taught to ``litbase import``
(PubMed XML, PMID lists and page text come later): a name, the file suffixes
it owns, a test of the file's first bytes for files whose suffix says
nothing (.txt), and the reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from litbase.store.merge import save_records
from litbase.imports.ids import import_ids
from litbase.imports.page import import_page, parse_page_file
from litbase.imports.pubmed import SUFFIXES as PUBMED_SUFFIXES
from litbase.imports.pubmed import import_pubmed
from litbase.model.errors import BibliographyError
from litbase.formats.readers.bibtex import parse_bibtex
from litbase.formats.readers.csljson import parse_csljson
from litbase.parse.idlists import SNIFF as ID_LIST_SNIFF
from litbase.parse.idlists import parse_id_list
from litbase.formats.readers.medline import parse_medline
from litbase.formats.readers.ris import parse_ris
from litbase.store.schema import ensure_db_shape


@dataclass(frozen=True)
class FileKind:
    name: str
    suffixes: tuple[str, ...]
    sniff: re.Pattern
    # None: the importer reads the file itself, streaming (PubMed baseline files are GBs),
    # and takes the bulk import's parse_ahead.
    parse: Callable[[str, str], list[dict]] | None
    # A kind that is not a bibliography stores itself: importer(db, path, parsed,
    # collection, **options), or importer(db, path, collection, **options) when parse
    # is None -> the report dict, with an optional "summary" line.
    importer: Callable | None = None


FILE_KINDS = [
    FileKind("medline", (".nbib", ".medline"), re.compile(r"\s*PMID- "), parse_medline),
    FileKind("ris", (".ris",), re.compile(r"\ufeff?\s*TY  - "), parse_ris),
    FileKind("bibtex", (".bib", ".bibtex"), re.compile(r"[^@]{0,2000}@\w+\s*[{(]"), parse_bibtex),
    FileKind("csljson", (".json", ".csljson"), re.compile(r"\ufeff?\s*[\[{]"), parse_csljson),
    # PubMed page text and identifier lists come as .txt, so only their content tells them apart.
    FileKind("pubmed_page", (), re.compile(r"(?ms).{0,4000}?^(Author Information|Abstract|References)\s*$"),
             parse_page_file, import_page),
    FileKind("id_list", (".pmids",), ID_LIST_SNIFF, parse_id_list, import_ids),
    FileKind("pubmed_xml", PUBMED_SUFFIXES,
             re.compile(r"\ufeff?\s*(<\?xml|<!DOCTYPE Pubmed|<Pubmed)"), None, import_pubmed),
]


def file_kind(path: Path, head: str) -> FileKind:
    """The kind a file's suffix names, else the first whose sniff matches its start."""
    for kind in FILE_KINDS:
        if path.suffix.lower() in kind.suffixes:
            return kind
    for kind in FILE_KINDS:
        if kind.sniff.match(head):
            return kind
    known = ", ".join(s for k in FILE_KINDS for s in k.suffixes)
    raise BibliographyError(str(path), None, f"unknown kind of file (known: {known})")


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[:error.start].count(b"\n") + 1
        raise BibliographyError(str(path), line, "not UTF-8 text")


def import_file(db, path, collection: str | None = None, parse_ahead=None, **options) -> dict:
    """Parse the whole file, then store every record it could read in one transaction.

    A record that cannot be read is skipped and named in the report's
    ``skipped`` (``warnings``: values left out of records that were kept); a
    file none of whose records can be read stores nothing and raises
    BibliographyError. ``collection`` defaults to the file's name without its
    suffix. ``parse_ahead``: a bulk import's parsers
    working ahead (``imports.pubmed.bulk_import``), for the kinds that stream.
    Other ``options`` go to the kind's importer: ``pmid`` for page text,
    ``ncbi`` (see ``import_ids``) for the ID lists and pages that need a
    look-up; no other kind of file asks anyone anything.
    """
    path = Path(path)
    # Decide the kind from the suffix or the first bytes before reading the whole
    # file: a 100 MB file of no known kind is refused without holding it in memory.
    with open(path, "rb") as stream:
        head = stream.read(4096).decode("utf-8-sig", "ignore")
    kind = file_kind(path, head)
    if kind.parse is None:  # the importer reads the file itself, batch by batch
        return kind.importer(db, path, collection, parse_ahead=parse_ahead, **options)
    text = read_text(path)
    if kind.importer is not None:
        return kind.importer(db, path, kind.parse(text, str(path)), collection, **options)
    if options.get("pmid") is not None:
        raise BibliographyError(str(path), None, "--pmid applies to PubMed page text only")
    records = kind.parse(text, str(path))
    ensure_db_shape(db)
    name = collection or path.stem
    with db.conn:
        counts = save_records(db, records, name, str(path), kind.name)
    return {"format": kind.name, "records": len(records), "collection": name, **counts,
            "skipped": [str(problem) for problem in getattr(records, "skipped", ())],
            "warnings": [str(problem) for problem in getattr(records, "warnings", ())]}
