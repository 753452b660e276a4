"""What the three reference styles share: joining pieces as a CSL processor does, names, dates, pages.

Each style module builds a reference from the CSL-JSON item as plain string
joins, in the order and with the delimiters of its CSL style file; the rules
here are those of citeproc-py 0.11 (the processor litbase used before, kept in
the tests as the oracle), so that the text is the same character for character.

Joining (citeproc-py ``string.normalize_seam``): where two pieces meet, a
doubled space or a doubled ``.,;:!?`` loses its second character ("Jr." + ". "
gives "Jr. "); nothing else is touched ("Why?" + ". " stays "Why?. ").

A CSL group prints only if one of its variables printed: a group whose only
output is a term ("In", "p.", "Published online") prints nothing. Terms are
``Term`` strings so that ``group`` can tell.
"""

from __future__ import annotations

import re
from functools import lru_cache

_SEAM = frozenset(".,;:!?")


class Term(str):
    """Text from the style's locale, not from the item (a group of terms alone prints nothing)."""


def seam(left: str, right: str) -> str:
    """``right`` as it goes after ``left``: no doubled space, no doubled punctuation mark."""
    if left and right:
        last = left[-1]
        if right[0] == last and (last == " " or last in _SEAM):
            return right[1:]
    return right


def join(parts, delimiter: str = "") -> str | None:
    """The non-empty parts with ``delimiter`` between them, seams cleaned; None if none."""
    out = None
    for part in parts:
        if not part:
            continue
        if out is None:
            out = part
            continue
        # seam() written out: this is the inner loop of every reference.
        last = out[-1]
        if delimiter:
            out += delimiter[1:] if delimiter[0] == last and (last == " " or last in _SEAM) \
                else delimiter
            last = out[-1]
        out += part[1:] if part[0] == last and (last == " " or last in _SEAM) else part
    return out


def join_all(parts, delimiter: str) -> str:
    """``join`` keeping empty parts, as citeproc-py joins names and the pieces of a page string."""
    parts = iter(parts)
    out = next(parts)
    for part in parts:
        out += seam(out, delimiter)
        out += seam(out, part)
    return out


def join_names(names: list[str], delimiter: str = ", ") -> str:
    """``join_all`` of names; a plain join where no seam can be cleaned (no name ends in a
    comma or space, none starts with a space)."""
    if all(name and name[-1] not in ", " and name[0] != " " for name in names):
        return delimiter.join(names)
    return join_all(names, delimiter)


def names_et_al(names: list[dict] | None, shown: int) -> str | None:
    """Vancouver's and AMA's author list: "Last AB" joined by commas, the first ``shown``
    and "et al." from seven names on (Citing Medicine shows six, AMA three)."""
    if not names:
        return None
    listed = names[:shown] if len(names) >= 7 else names
    return join_names([inverted_name(n, "", " ") for n in listed] + (["et al."] if len(names) >= 7 else []))


def group(delimiter: str, *parts) -> str | None:
    """A CSL group: the parts joined, or None when nothing but terms printed."""
    for part in parts:
        if part and type(part) is not Term:
            return join(parts, delimiter)
    return None


def wrap(text: str | None, prefix: str = "", suffix: str = "") -> str | None:
    if not text:
        return None
    text = prefix + seam(prefix, text)
    return text + seam(text, suffix)


# Names ------------------------------------------------------------------

@lru_cache(maxsize=1 << 16)
def initials(given: str, mark: str, hyphen: bool = False) -> str:
    """citeproc-py's initialize-with: "Scott D" -> "SD" or "S. D."; a word not starting with
    a capital ("de", "(Jane)") stays whole; ``hyphen`` keeps "Mary-Kate" as "M.-K."."""
    if not hyphen:
        return _initials(given.replace("-", " "), mark)
    return "-".join(_initials(part, mark) for part in given.split("-"))


def _initials(given: str, mark: str) -> str:
    result, run = "", []
    for part in given.replace(".", " ").split():
        if part[0].isupper():
            run.append(part[0])
        else:
            result += mark.join(run) + mark + " " + part + " "
            run = []
    result += mark.join(run) + mark
    return " ".join(result.split())


def inverted_name(name: dict, mark: str, separator: str, hyphen: bool = False) -> str:
    """A name family first ("Halpern SD", "Grady, J. S."); a group author as written."""
    if "literal" in name:
        return name["literal"]
    given = name.get("given")
    if given is not None:
        given = initials(given, mark, hyphen)
    return separator.join(p for p in (name.get("family"), given, name.get("suffix")) if p)


# Dates ------------------------------------------------------------------

SHORT_MONTHS_NLM = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
                    "Oct", "Nov", "Dec")
LONG_MONTHS = ("", "January", "February", "March", "April", "May", "June", "July",
               "August", "September", "October", "November", "December")


def date_parts(item: dict) -> list | None:
    issued = item.get("issued")
    if not issued:
        return None
    parts = (issued.get("date-parts") or [None])[0]
    return parts or None


def year_text(parts) -> str:
    # CSL adds an era term to a year before 1000 ("AD"); PubMed has none such.
    return str(abs(int(parts[0])))


# Pages ------------------------------------------------------------------

def _common_prefix(first: str, last: str) -> int:
    count = 0
    for count, (a, b) in enumerate(zip(first, last)):
        if a != b:
            return count
    return count + 1


_PLAIN_RANGE = re.compile(r"(\d+)-(\d+)")


def page_range(page: str, range_delimiter: str, minimal: bool) -> str:
    """A page string as CSL prints it: each comma/ampersand part, a range's ends joined by
    the style's delimiter; ``minimal`` drops the last page's leading digits it shares."""
    plain = _PLAIN_RANGE.fullmatch(page)
    if plain:
        # Most pages ("284-287"): nothing to strip and no seam to clean.
        first, last = plain.groups()
        return first + range_delimiter + (last[_common_prefix(first, last):] if minimal else last)
    def one(part: str) -> str:
        ends = part.replace("\u2013", "-").split("-")
        if len(ends) != 2:
            return part.strip()
        first, last = ends[0].strip(), ends[1].strip()
        if minimal:
            last = last[_common_prefix(first, last):]
        return join_all((first, last), range_delimiter)

    return join_all((join_all((one(p) for p in comma.split("&")), " & ")
                     for comma in page.split(",")), ", ")


# Text case --------------------------------------------------------------

_STOP_WORDS = frozenset(["a", "an", "and", "as", "at", "but", "by", "down", "for", "from", "in",
                         "into", "nor", "of", "on", "onto", "or", "over", "so", "the", "till",
                         "to", "up", "via", "with", "yet"])


def title_case(text: str) -> str:
    """CSL text-case="title" as citeproc-py does it: a lowercase word gets a capital unless it
    is a stop word not after a colon or period; words are rejoined by one space."""
    out, previous = [], ":"
    for word in text.split():
        if word.islower() and (word not in _STOP_WORDS or previous in (":", ".")):
            word = word[0].upper() + word[1:]
        previous = word[-1]
        out.append(word)
    return " ".join(out)


def capitalize_first(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


IS_NUMERIC = re.compile(r"^([A-Z]*\d+[A-Z]*)$", re.I)
MULTIPLE_NUMBERS = re.compile(r"\d+[^\d.]+\d+")


def is_numeric(value) -> bool:
    return value is not None and bool(IS_NUMERIC.match(str(value)))


def plural(value) -> bool:
    return MULTIPLE_NUMBERS.search(str(value)) is not None
