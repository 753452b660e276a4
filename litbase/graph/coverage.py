"""Which source knows what: per-source coverage of reference and citing lists, and the links
one source has that another lacks.

Functions take a DB-API connection (``db.conn``, or the one Datasette's
``execute_fn`` hands over), so the command line and the Datasette page run the
same SQL, that of ``litbase.store.coverage``. A link missing from a source is
a *gap* when that source has no list for either end, and a *disagreement*
when it has the citing article's reference list or the cited article's
citing list and the link is not in it.
"""

from __future__ import annotations

from litbase.model.link_sources import SOURCES
from litbase.store import coverage as counts

COLUMNS = ("source", "articles_asked", "with_references", "with_cited_by", "links", "links_only_here")


class UnknownCollection(ValueError):
    pass


def _scope(conn, collection: str | None) -> str:
    """The collection's name, '' for the whole database."""
    if collection and not counts.collection_exists(conn, collection):
        raise UnknownCollection(f"no collection called {collection!r}")
    return collection or ""


def coverage(conn, collection: str | None = None) -> list[dict]:
    """One row per source: articles asked, with a reference list, with a citing list, links, links only it has."""
    found = counts.source_counts(conn, _scope(conn, collection))
    asked, refs, cited_by, links = (
        found["asked"], found["with_references"], found["with_cited_by"], found["links"])
    present = set(asked) | set(refs) | set(cited_by) | set(links)
    order = [s for s in SOURCES if s in present] + sorted(present - set(SOURCES))
    return [
        dict(zip(COLUMNS, (
            source,
            asked.get(source, 0) if source in SOURCES else None,  # seed_page and the like are not asked
            refs.get(source, 0),
            cited_by.get(source, 0),
            links.get(source, (0, 0))[0],
            links.get(source, (0, 0))[1],
        )))
        for source in order
    ]


def differences(conn, has: str, lacks: str, collection: str | None = None) -> list[dict]:
    """Links `has` reports and `lacks` does not, with who reported them and a gap/disagreement verdict."""
    return counts.link_differences(conn, has, lacks, _scope(conn, collection))


def format_table(rows: list[dict], columns: tuple[str, ...] | list[str]) -> str:
    """A plain text table, numbers right-aligned, for the terminal."""
    cells = [[("" if r[c] is None else str(r[c])) for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(r[c], (int, float)) or r[c] is None for r in rows) for c in columns]

    def line(values):
        return "  ".join(v.rjust(w) if num else v.ljust(w)
                         for v, w, num in zip(values, widths, numeric)).rstrip()

    return "\n".join([line(columns), line(["-" * w for w in widths]), *map(line, cells)])
