"""Cite keys: first author, year, first title word; a/b/c when those collide.

The same key names an entry in the .bib and the CSL-JSON ``id``, so a manuscript
cites the same key whichever file it uses. Disambiguation is by PMID order
among every article of the database sharing the base key (see
``store.cite_keys``), so an article keeps its key whatever subset
is exported.
"""

from __future__ import annotations

import re
import unicodedata

# Letters NFKD does not decompose into ASCII.
_FOLD = str.maketrans({"ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe",
                       "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d",
                       "þ": "th", "ı": "i"})
# Function words a key skips: "The burnout of..." keys as burnout.
_SKIP = {"a", "an", "the", "on", "of", "in", "for", "and", "to", "with", "from", "at", "by",
         "is", "are", "do", "does"}


def ascii_fold(text: str) -> str:
    """Lowercase ASCII letters and digits only: "Øyvind-Müller" -> "oyvindmuller"."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return re.sub(r"[^a-z0-9]", "", text.encode("ascii", "ignore").decode().lower())


def key_name(first_author: str | None) -> str:
    """The key's first part: the first author's family (or group) name, folded; "anon" without one."""
    name = ""
    if first_author:
        # A group author keys by its first word: "COVID Study Group" -> covid.
        name = ascii_fold(first_author.split()[0]) if first_author.split() else ""
    return name or "anon"


def key_base(first_author: str | None, year, title: str | None) -> str:
    """The undisambiguated key from the first author's family (or group) name."""
    word = ""
    for token in re.split(r"[\s\-/:]+", title or ""):
        folded = ascii_fold(token)
        if folded and folded not in _SKIP:
            word = folded
            break
    return f"{key_name(first_author)}{year or 'nd'}{word or 'untitled'}"


def first_author_name(article: dict) -> str | None:
    authors = article.get("authors") or []
    if not authors:
        return None
    first = authors[0]
    return first.get("last_name") or first.get("collective_name")


def article_key_base(article: dict) -> str:
    return key_base(first_author_name(article), article.get("year"),
                    article.get("title") or article.get("book_title"))


def suffix(index: int) -> str:
    """0 -> a, 25 -> z, 26 -> aa: letters as many as needed."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def disambiguate(bases: dict[int, str]) -> dict[int, str]:
    """Keys for {pmid: base}: a base shared by several PMIDs gets a, b, ... in PMID order."""
    groups: dict[str, list[int]] = {}
    for pmid, base in bases.items():
        groups.setdefault(base, []).append(pmid)
    keys = {}
    for base, pmids in groups.items():
        if len(pmids) == 1:
            keys[pmids[0]] = base
        else:
            for index, pmid in enumerate(sorted(pmids)):
                keys[pmid] = base + suffix(index)
    return keys


class UniqueKeys:
    """Hands out keys for one file, never the same twice.

    Records loaded from a database carry ``cite_key`` already; records read
    from a file do not, and get their base with b, c, ... on a clash, in the
    order they come (a stream cannot know what follows).
    """

    def __init__(self):
        self.used: set[str] = set()

    def __call__(self, article: dict) -> str:
        wanted = article.get("cite_key") or article_key_base(article)
        key, index = wanted, 1
        while key in self.used:
            key = wanted + suffix(index)
            index += 1
        self.used.add(key)
        return key
