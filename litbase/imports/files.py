"""Import a user's file: pick the reader from a table, parse it all, then store it at once.

The table is the one place a new kind of file is taught to ``litbase import``
(PubMed XML, PMID lists and page text come later): a name, the file suffixes
it owns, a test of the file's first bytes for files whose suffix says
nothing (.txt), and the reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Callable

from litbase.imports.pubmed_order import SUFFIXES as PUBMED_SUFFIXES
from litbase.model.errors import BibliographyError
from litbase.parse.idlists import SNIFF as ID_LIST_SNIFF
from litbase.store.schema import ensure_db_shape


@dataclass(frozen=True)
class FileKind:
    """A kind of file; its reader and importer are named "module:function" and loaded when a file
    of the kind is imported, so a PubMed XML import never loads the readers or the ID-list
    look-ups (a tenth of a second before the first batch is stored)."""

    name: str
    suffixes: tuple[str, ...]
    sniff: re.Pattern
    # None: the importer reads the file itself, streaming (PubMed baseline files are GBs),
    # and takes the bulk import's parse_ahead.
    parse_by: str | None
    # A kind that is not a bibliography stores itself: importer(db, path, parsed,
    # collection, **options), or importer(db, path, collection, **options) when parse
    # is None -> the report dict, with an optional "summary" line.
    import_by: str | None = None

    @property
    def parse(self) -> Callable[[str, str], list[dict]] | None:
        return _load(self.parse_by)

    @property
    def importer(self) -> Callable | None:
        return _load(self.import_by)


def _load(name: str | None) -> Callable | None:
    if name is None:
        return None
    module, function = name.split(":")
    return getattr(import_module(module), function)


FILE_KINDS = [
    FileKind("medline", (".nbib", ".medline"), re.compile(r"\s*PMID- "),
             "litbase.formats.readers.medline:parse_medline"),
    FileKind("ris", (".ris",), re.compile(r"\ufeff?\s*TY  - "), "litbase.formats.readers.ris:parse_ris"),
    FileKind("bibtex", (".bib", ".bibtex"), re.compile(r"[^@]{0,2000}@\w+\s*[{(]"),
             "litbase.formats.readers.bibtex:parse_bibtex"),
    FileKind("csljson", (".json", ".csljson"), re.compile(r"\ufeff?\s*[\[{]"),
             "litbase.formats.readers.csljson:parse_csljson"),
    # PubMed page text and identifier lists come as .txt, so only their content tells them apart.
    FileKind("pubmed_page", (), re.compile(r"(?ms).{0,4000}?^(Author Information|Abstract|References)\s*$"),
             "litbase.imports.page:parse_page_file", "litbase.imports.page:import_page"),
    FileKind("id_list", (".pmids",), ID_LIST_SNIFF, "litbase.parse.idlists:parse_id_list",
             "litbase.imports.ids:import_ids"),
    FileKind("pubmed_xml", PUBMED_SUFFIXES,
             re.compile(r"\ufeff?\s*(<\?xml|<!DOCTYPE Pubmed|<Pubmed)"), None, "litbase.imports.pubmed:import_pubmed"),
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
    if kind.parse_by is None:  # the importer reads the file itself, batch by batch
        return kind.importer(db, path, collection, parse_ahead=parse_ahead, **options)
    text = read_text(path)
    if kind.importer is not None:
        return kind.importer(db, path, kind.parse(text, str(path)), collection, **options)
    if options.get("pmid") is not None:
        raise BibliographyError(str(path), None, "--pmid applies to PubMed page text only")
    from litbase.store.merge import save_records  # the bibliography kinds' alone

    records = kind.parse(text, str(path))
    ensure_db_shape(db)
    name = collection or path.stem
    with db.conn:
        counts = save_records(db, records, name, str(path), kind.name)
    return {"format": kind.name, "records": len(records), "collection": name, **counts,
            "skipped": [str(problem) for problem in getattr(records, "skipped", ())],
            "warnings": [str(problem) for problem in getattr(records, "warnings", ())]}
