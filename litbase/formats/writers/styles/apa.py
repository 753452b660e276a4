"""APA 7th ed., as the CSL style apa prints it, and the order APA sorts references in.

Journal article: "Grady, J. S., Her, M., & Yelinek, J. (2019). Title. Psychology of Popular
Media Culture, 8(3), 207–217. https://doi.org/..." (journal in title case, an article number
as "Article e10728"). Chapter: "Doe, J. (2019). Title. In Book title (pp. 10–20). Publisher."
Book: "Doe, J. (2019). Title (Vol. 2). Publisher." No author: the title takes the author's
place; no date: "(n.d.)". 21 authors or more: the first 19, "…", the last.
"""

from __future__ import annotations

from functools import cmp_to_key

from litbase.formats.writers.styles.common import (
    Term, capitalize_first, date_parts, group, inverted_name, is_numeric, join, join_names,
    page_range, plural, seam, title_case, wrap, year_text)

_IN = Term("In")
_ARTICLE = Term("Article")
_EN_DASH = "\u2013"


def authors(names: list[dict] | None) -> str | None:
    if not names:
        return None
    out = [inverted_name(n, ". ", ", ", hyphen=True) for n in names]
    if len(out) >= 21:
        return join_names(out[:19] + ["\u2026 " + out[-1]])
    if len(out) == 1:
        return out[0]
    head = join_names(out[:-1])
    return head + seam(head, ", ") + "& " + out[-1]


def label_volume(volume: str | None) -> str | None:
    """ "Vol. 2"; a volume that is not a number as it is, capitalized."""
    if not volume:
        return None
    return group(" ", Term("Vol.") if is_numeric(volume) else None, capitalize_first(volume))


def title_volume(volume: str | None) -> str | None:
    """What follows a book's title: a volume that is not a number ("Title: Suppl")."""
    return capitalize_first(volume) if volume and not is_numeric(volume) else None


def number_label(number: str | None) -> str | None:
    if not number:
        return None
    return group(" ", Term("No.") if is_numeric(number) else None, capitalize_first(number))


def monographic_identifier(item: dict) -> str | None:
    """Volume, issue and pages of a book or chapter: "Vol. 2, Issue 3, pp. 10–20"."""
    volume, issue, page = item.get("volume"), item.get("issue"), item.get("page")
    return group(", ",
                 label_volume(volume) if volume and is_numeric(volume) else None,
                 issue and group(" ", Term("Issues" if plural(issue) else "Issue"), issue),
                 page and group(" ", Term("pp." if plural(page) else "p."),
                                page_range(page, _EN_DASH, False)))


def title_macro(item: dict, title_stood_in: bool = False) -> str | None:
    """The title (a book's with a volume that is not a number); without the title itself
    once it has stood in for the author."""
    title = None if title_stood_in else item.get("title")
    if item["type"] == "article-journal" or item.get("container-title"):
        return title
    return group(": ", title, title_volume(item.get("volume")))


def identifier(item: dict) -> str | None:
    if item.get("container-title"):
        return None
    number = number_label(item.get("number"))
    if item["type"] == "article-journal":
        return wrap(number, "(", ")")
    return wrap(group("; ", number, monographic_identifier(item)), "(", ")")


def author(item: dict) -> tuple[str | None, bool]:
    """The author, or what stands in for one; and whether that was the title."""
    names = authors(item.get("author"))
    if names or not item.get("title"):
        return names, False
    stand_in = group(" ", title_macro(item), identifier(item))
    return stand_in, bool(stand_in) and item["title"].casefold() in stand_in.casefold()


def source(item: dict) -> str | None:
    container = item.get("container-title")
    if item["type"] == "article-journal":
        page = item.get("page")
        number = item.get("number")
        issue = item.get("issue")
        where = group(" ", _ARTICLE, number) if number else (
            page and page_range(page, _EN_DASH, False))
        return group(", ", container and title_case(container),
                     join((item.get("volume"), issue and wrap(issue, "(", ")"))), where)
    within = None
    if container:
        within = group(" ", _IN, group(": ", container, title_volume(item.get("volume"))),
                       wrap(group("; ", number_label(item.get("number")),
                                  monographic_identifier(item)), "(", ")"))
    return group(". ", within, item.get("publisher"))


def reference(item: dict, stand_in: tuple[str | None, bool] | None = None) -> str:
    """The reference; ``stand_in`` is ``author(item)`` when the sort has it already."""
    names, title_stood_in = stand_in or author(item)
    parts = date_parts(item)
    date = f"({year_text(parts)})" if parts else "(n.d.)"
    described = group(" ", title_macro(item, title_stood_in), identifier(item))
    body = wrap(group(". ", names, date, described, source(item)), suffix=".")
    return group(" ", body, wrap(item.get("DOI"), "https://doi.org/"))


def _compare(left: tuple, right: tuple) -> int:
    # citeproc-py's comparison of two items' keys: lowercased text, numbers when both read
    # as numbers, an empty key after any other.
    for a, b in zip(left, right):
        if a is not None and b is not None:
            try:
                a, b = int(a), int(b)
            except ValueError:
                pass
            if a != b:
                return -1 if a < b else 1
        elif a is not None:
            return -1
        elif b is not None:
            return 1
    return 0


def _column_keys(values: list) -> list | None:
    """Keys that order these values as ``_compare`` does, or None where it orders them in a
    circle ("1a" < "9" < "10" < "1a": numbers as numbers, the rest as text)."""
    numbers = {}
    for value in values:
        if value is not None:
            try:
                numbers[value] = int(value)
            except ValueError:
                pass
    texts = len(numbers) < len({v for v in values if v is not None})
    if numbers and texts:
        # Mixed: a plain text order only if it orders the numbers as numbers too.
        ordered = sorted(numbers.items(), key=lambda pair: (pair[1], pair[0]))
        if any(a[1] == b[1] or a[0] >= b[0] for a, b in zip(ordered, ordered[1:])):
            return None
        return [(1,) if v is None else (0, v) for v in values]
    return [(1,) if v is None else (0, numbers[v] if numbers else v) for v in values]


def _sorted(rows: list[tuple]) -> list[tuple]:
    """Rows (keys, ...) in citeproc-py's order. Its comparison looks at a key only between
    items equal in the keys before; where each such set orders plainly, a stable sort by key
    gives the one order the comparison allows, much faster; else the comparison sorts."""
    keys = [[] for _ in rows]
    ties = [list(range(len(rows)))]
    for column in range(len(rows[0][0]) if rows else 0):
        next_ties = []
        for members in ties:
            column_keys = _column_keys([rows[i][0][column] for i in members])
            if column_keys is None:
                return sorted(rows, key=cmp_to_key(lambda x, y: _compare(x[0], y[0])))
            classes: dict = {}
            for i, key in zip(members, column_keys):
                keys[i].append(key)
                classes.setdefault(key, []).append(i)
            next_ties += [c for c in classes.values() if len(c) > 1]
        ties = next_ties
    order = sorted(range(len(rows)), key=lambda i: keys[i])
    return [rows[i] for i in order]


def bibliography(items: list[dict]) -> list[tuple[str, dict]]:
    """The references in APA's order: author (or what stands in), undated first, year,
    title, volume; ties keep the order given."""
    rows = []
    for item in items:
        stand_in = author(item)
        parts = date_parts(item)
        keys = (stand_in[0], "1" if parts else "0", parts and year_text(parts),
                title_macro(item), item.get("volume"))
        rows.append((tuple(k.lower() if k is not None else None for k in keys), stand_in, item))
    return [(reference(item, stand_in), item) for _, stand_in, item in _sorted(rows)]
