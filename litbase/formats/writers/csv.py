"""CSV writer: one row per article, for spreadsheets.

``spreadsheet_safe`` guards against formula injection: Excel, LibreOffice and
Google Sheets run a cell that begins with = + - @ (or a tab or carriage
return) as a formula, and titles and abstracts come from outside. Such cells
get a leading apostrophe, which spreadsheets show as text and do not display.

The last columns say how litbase reached each record, as citation-chasing
tools are asked to (citationchaser issue 38: which input article each hit
came from, and whether backward or forward): ``collection``, ``seed_pmid``,
``hop`` and ``direction`` (backward = a reference of the seed, forward = a
citing article), "; "-joined where several ways led to the record; and a
retraction note.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from litbase.formats.vocab import publication_type_names
from litbase.formats.writers.notes import provenance, retraction_note

COLUMNS = ["pmid", "cite_key", "authors", "title", "journal", "journal_iso", "year", "month",
           "day", "volume", "issue", "pages", "article_number", "doi", "pmcid", "language",
           "publication_types", "mesh_terms", "keywords", "abstract", "retraction",
           "collection", "seed_pmid", "hop", "direction"]
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def full_name(author: dict) -> str:
    if author.get("collective_name"):
        return author["collective_name"]
    given = author.get("fore_name") or author.get("initials")
    name = f"{author.get('last_name') or ''}, {given}" if given else author.get("last_name") or ""
    return name + (f" {author['suffix']}" if author.get("suffix") else "")


def _joined(ways: list[dict], key: str) -> str | None:
    values = [str(w[key]) if w[key] is not None else "" for w in ways]
    return "; ".join(values) if any(values) else None


def csv_row(article: dict) -> dict:
    journal = article.get("journal") or {}
    ways = provenance(article)
    return {
        **{c: article.get(c) for c in COLUMNS},
        "authors": "; ".join(full_name(a) for a in article.get("authors") or []),
        "journal": journal.get("title"),
        "journal_iso": journal.get("iso_abbreviation"),
        "language": "; ".join(article.get("languages") or []),
        "publication_types": "; ".join(publication_type_names(article)),
        "mesh_terms": "; ".join(m["descriptor"] for m in article.get("mesh_headings") or []),
        "keywords": "; ".join(article.get("keywords") or []),
        "retraction": retraction_note(article),
        **{key: _joined(ways, key) for key in ("collection", "seed_pmid", "hop", "direction")},
    }


def safe_cell(value):
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(articles: Iterable[dict], spreadsheet_safe: bool = False) -> Iterator[str]:
    """Yield a header line, then one CSV line per article."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for article in articles:
        row = csv_row(article)
        if spreadsheet_safe:
            row = {k: safe_cell(v) for k, v in row.items()}
        writer.writerow(row)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
