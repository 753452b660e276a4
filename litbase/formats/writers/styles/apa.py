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
    label = Term("Vols." if plural(volume) else "Vol.") if is_numeric(volume) else None
    return group(" ", label, capitalize_first(volume))


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


def _sort_key(value: str | None) -> tuple:
    """One sort key as citeproc-py compares it: lowercased, as a number when it reads as one."""
    if value is None:
        return (1,)
    value = value.lower()
    try:
        return (0, int(value), value)
    except ValueError:
        return (0, None, value)


def _compare(left: tuple, right: tuple) -> int:
    # citeproc-py's comparison: numbers when both keys read as numbers, else text; an
    # empty key after any other.
    for a, b in zip(left, right):
        if a[0] or b[0]:
            if a[0] != b[0]:
                return a[0] - b[0]
            continue
        a, b = (a[1], b[1]) if a[1] is not None and b[1] is not None else (a[2], b[2])
        if a != b:
            return -1 if a < b else 1
    return 0


def bibliography(items: list[dict]) -> list[tuple[str, dict]]:
    """The references in APA's order: author (or what stands in), undated first, year,
    title, volume; ties keep the order given."""
    rows = []
    for item in items:
        stand_in = author(item)
        parts = date_parts(item)
        keys = tuple(map(_sort_key, (stand_in[0], "1" if parts else "0",
                                     parts and year_text(parts), title_macro(item),
                                     item.get("volume"))))
        rows.append((keys, stand_in, item))
    if all(len({key[1] is None for key in column if len(key) > 1}) < 2
           for column in zip(*(row[0] for row in rows))):
        # Each key is a number in every item or in none: the comparison is a plain order,
        # and a stable sort by key gives what the comparison sort gives, faster.
        rows.sort(key=lambda row: tuple((k[0], k[1] if k[1] is not None else k[2])
                                        if len(k) > 1 else k for k in row[0]))
    else:
        rows.sort(key=cmp_to_key(lambda x, y: _compare(x[0], y[0])))
    return [(reference(item, stand_in), item) for _, stand_in, item in rows]
