"""Page ranges written in full: PubMed's "233-41" goes out as "233-241".

MEDLINE abbreviates the end of a range (Citing Medicine's rule), but RIS
``EP``, BibTeX ``pages`` and CSL-JSON ``page`` mean the whole number: a
reference manager shows ``EP 41`` as page 41, and a CSL style that prints
full ranges (AMA, APA) can only print what it is given. Only plain numeric
ranges are expanded; "e677-83" or "S12-S14" stay as given, since nothing says
how their letters would repeat.
"""

from __future__ import annotations

import re

_RANGE = re.compile(r"^\s*(\d+)\s*[-\u2013]\s*(\d+)\s*$")


def expand_range(part: str) -> str:
    match = _RANGE.match(part)
    if not match:
        return part.strip()
    start, end = match.groups()
    if len(end) < len(start):
        end = start[:len(start) - len(end)] + end
    if int(end) < int(start):
        # "120-3" would read as 123, but "99-1" has no sane reading: keep it.
        return part.strip()
    return f"{start}-{end}"


def expand_pages(pages: str | None) -> str | None:
    """Each comma-separated range of a page string in full ("233-41, 250-3")."""
    if not pages:
        return pages
    return ", ".join(expand_range(part) for part in pages.split(","))
