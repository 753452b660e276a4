"""The export formats by name: writer, media type and file suffix.

One table for the command line and the Datasette renderers, so both offer
the same formats with the same output.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Callable

from litbase.formats.writers.bibtex import write_bibtex
from litbase.formats.writers.csljson import write_csljson
from litbase.formats.writers.csv import write_csv
from litbase.formats.writers.medline import write_medline
from litbase.formats.writers.ris import write_ris
from litbase.formats.writers.text import write_text


@dataclass(frozen=True)
class ExportFormat:
    name: str
    write: Callable[..., Iterator[str]]  # (articles, **options) -> text chunks
    media_type: str
    suffix: str


FORMATS = {
    "bibtex": ExportFormat("bibtex", lambda a, **o: write_bibtex(a),
                           "application/x-bibtex", "bib"),
    "ris": ExportFormat("ris", lambda a, **o: write_ris(a),
                        "application/x-research-info-systems", "ris"),
    "csljson": ExportFormat("csljson", lambda a, **o: write_csljson(a),
                            "application/vnd.citationstyles.csl+json", "json"),
    "medline": ExportFormat("medline", lambda a, **o: write_medline(a),
                            "application/x-medline", "nbib"),
    "text": ExportFormat("text", lambda a, style="vancouver", **o: write_text(a, style),
                         "text/plain", "txt"),
    "csv": ExportFormat("csv", lambda a, spreadsheet_safe=False, **o: write_csv(
        a, spreadsheet_safe=spreadsheet_safe), "text/csv", "csv"),
}


# Suffixes other tools give these files beside each format's own (pubmed's "Citation manager"
# download is .nbib, citeproc-js users write .csljson).
_OTHER_SUFFIXES = {"bibtex": "bibtex", "csljson": "csljson", "medline": "medline"}
FORMAT_OF_SUFFIX = {**{f.suffix: name for name, f in FORMATS.items()}, **_OTHER_SUFFIXES}


def format_for_file(filename: str) -> str | None:
    """The format a file name's suffix names (``refs.ris`` -> ``ris``), or None."""
    suffix = filename.rpartition(".")[2].lower() if "." in filename else ""
    return FORMAT_OF_SUFFIX.get(suffix)


def export(articles: Iterable[dict], format_name: str, **options) -> Iterator[str]:
    """Text chunks of the articles in the named format."""
    return FORMATS[format_name].write(articles, **options)
