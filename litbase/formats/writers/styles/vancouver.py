"""Citing Medicine (NLM, "Vancouver"), as the CSL style nlm-citation-sequence prints it.

Journal article: "Halpern SD, Ubel PA, Caplan AL. Title. N Engl J Med. 2002 Jul 25;347(4):284-7.
doi:...". Book chapter: "Doe J. Title. In: Book title. Publisher; 2019. p. 10-20." Book:
"Doe J. Title. Vol. 2. Publisher; 2019." Up to six authors, then "et al."; the journal's
abbreviation without periods; the last page without the digits it shares with the first.
"""

from __future__ import annotations

from litbase.formats.writers.styles.common import (
    SHORT_MONTHS_NLM, Term, date_parts, group, is_numeric, join, names_et_al, page_range, wrap,
    year_text)

_IN = Term("In")
_PAGE = Term("p.")


def authors(names: list[dict] | None) -> str | None:
    return names_et_al(names, 6)


def text_date(parts) -> str:
    """ "2002 Jul 25", "2015 Aug", "2012"."""
    out = [year_text(parts)]
    if len(parts) > 1:
        out.append(SHORT_MONTHS_NLM[int(parts[1])])
        if len(parts) > 2:
            out.append(str(int(parts[2])))
    return " ".join(out)


def reference(item: dict, number: int) -> str:
    kind = item["type"]
    article = kind == "article-journal"
    container = item.get("container-title")
    volume = item.get("volume")
    page = item.get("page")
    if container:
        source = (item.get("container-title-short") or container).replace(".", "") if article \
            else container
    elif volume and is_numeric(volume):
        source = join((Term("Vol."), volume), " ")
    else:
        source = volume
    parts = date_parts(item)
    if article:
        date = text_date(parts) if parts else None
        issue = item.get("issue")
        where = item.get("number") or (page and page_range(page, "-", True))
        serial = group(":", join((volume, issue and wrap(issue, "(", ")"))), where)
        published = group(";", date, serial)
        pages = None
    else:
        published = group("; ", item.get("publisher"), parts and year_text(parts))
        pages = group(" ", _PAGE, page and page_range(page, "-", True)) if kind != "book" else None
    body = wrap(group(". ", authors(item.get("author")), item.get("title"),
                      group(": ", _IN if kind == "chapter" else None, source),
                      published, pages), suffix=".")
    doi = item.get("DOI")
    return join((f"{number}. ", group(" ", body, wrap(doi, "doi:"))))

