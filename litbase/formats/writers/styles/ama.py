"""AMA Manual of Style, 11th ed., as the CSL style american-medical-association prints it.

Journal article: "Youngster I, Russell GH, Pindar C, et al. Title. JAMA. 2014;312(17):1772-1778.
doi:...". More than six authors: the first three, then "et al."; no author: the title leads,
once. An article with neither volume nor issue: "Published online April 1, 2022". Chapter:
"Doe J. Title. In: Book Title. Publisher; 2019:10-20." Book: "Doe J. Title. Publisher; 2019."
Titles of books are in title case.
"""

from __future__ import annotations

from litbase.formats.writers.styles.common import (
    LONG_MONTHS, Term, date_parts, group, is_numeric, join, names_et_al, page_range, title_case,
    wrap, year_text)

_IN = Term("In")
_ONLINE = Term("Published online")


def authors(names: list[dict] | None) -> str | None:
    return names_et_al(names, 3)


def text_date(parts) -> str:
    """ "April 1, 2022", "April 2022", "2022" (the en-US locale's text date)."""
    if len(parts) == 1:
        return year_text(parts)
    day = f"{int(parts[2])}, " if len(parts) > 2 else ""
    return f"{LONG_MONTHS[int(parts[1])]} {day}{year_text(parts)}"


def label_volume(volume: str | None) -> str | None:
    if not volume:
        return None
    return group(" ", Term("Vol") if is_numeric(volume) else None, volume)


def reference(item: dict, number: int) -> str:
    kind = item["type"]
    raw = item.get("title")
    title = title_case(raw) if raw and kind == "book" else raw
    names = authors(item.get("author"))
    if not names and title:
        # The title stands in for the author and is not printed again (as CSL says;
        # text.py's patch makes citeproc-py see the title in what stood in).
        names = title
        if raw.casefold() in title.casefold():
            title = None
    page = item.get("page")
    page = page and page_range(page, "-", False)
    parts = date_parts(item)
    volume = item.get("volume")
    if kind == "book":
        tail = [group(":", group(". ", label_volume(volume),
                                 group("; ", item.get("publisher"), parts and year_text(parts))),
                      page)]
    elif kind == "chapter":
        container = item.get("container-title")
        tail = [group(":", group(": ", _IN, group(". ", container and title_case(container),
                                                  label_volume(volume),
                                                  group("; ", item.get("publisher"),
                                                        parts and year_text(parts)))),
                      page)]
    else:
        container = item.get("container-title-short") or item.get("container-title")
        issue = item.get("issue")
        if issue or volume:
            date = parts and year_text(parts)
        else:
            date = group(" ", _ONLINE, parts and text_date(parts))
        tail = [container and container.replace(".", ""),
                group(":", group(";", date, join((volume, issue and wrap(issue, "(", ")")))),
                      item.get("number") or page)]
    body = wrap(group(". ", names, title, *tail), suffix=".")
    return join((f"{number}. ", group(". ", body, wrap(item.get("DOI"), "doi:"))))
