"""BibTeX writer: one entry per article, ASCII with LaTeX escapes where LaTeX has them.

ASCII with LaTeX escapes is what both classic BibTeX (which is not Unicode
aware) and biblatex read, and what pdflatex sets without a package the .bib
cannot load. ``unicode=True`` keeps all non-ASCII text as UTF-8 for
biblatex/biber users who prefer it. Brace balance is an invariant:
BibTeX counts every brace, escaped or not, so literal braces are written as
``\\{ \\}`` only when they pair up within the field, else as the math
delimiters ``$\\lbrace$``/``$\\rbrace$`` (which LaTeX, pybtex and pandoc all
read; pandoc drops ``\\textbraceright``).

Every character comes back through litbase's reader as exactly itself, and no
field holds a macro of litbase's own (Zotero keeps unknown macros as text). A
character whose LaTeX name reads back as another character (U+2206 INCREMENT as
Greek Delta, U+2033 as a curly quote), or that has none (U+FB01 "ﬁ", full-width
"％", CJK), or whose name needs a package (Cyrillic's T2A, amssymb), goes out as
itself, UTF-8 (BibTeX passes the bytes through), and the file ends with an
``@preamble`` that tells pdflatex what to print for each one LaTeX does not know:
the compatibility decomposition ("fi"), LaTeX's nearest symbol, else "?" (vocab).
Line breaks other than \\n (U+2028, U+0085) and control characters are whitespace
to every reader and go out as a space.

Only fields of biblatex's data model are written, so biber validates the
file without warnings: the PMID as ``eprint`` with ``eprinttype = {pubmed}``
(biblatex prints it as "PMID: 123"), the PMCID and a retraction in ``note``
(which every style prints; NIH asks for the PMCID in reference lists).

Keywords are one comma-separated list, because biblatex's ``keywords`` is a
separated-value field and Zotero splits the field on commas and semicolons.
MeSH descriptors hold commas themselves ("Adaptation, Psychological"), so the
comma inside a term is written as U+201A SINGLE LOW-9 QUOTATION MARK
(``{\\quotesinglbase}`` in ASCII, which Zotero's BibTeX import maps back to
U+201A): it looks the same and no reader splits on it. Braces would not
do: Zotero removes them before it splits.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

from litbase.formats.vocab import (
    BIBTEX_TYPE_OF,
    LOW_COMMA,
    MONTHS,
    UNTITLED,
    bibtex_preamble,
    language_name,
    work_kind,
)
from litbase.formats.writers.latex import approximation, latex_escape, raw_value
from litbase.formats.writers.notes import caution_note
from litbase.formats.writers.pages import expand_pages
from litbase.model.citekeys import UniqueKeys


def bibtex_name(author: dict, unicode: bool = False) -> str:
    if author.get("collective_name"):
        # Braces make a group one "last name", and protect any "and" in it.
        return "{" + latex_escape(author["collective_name"], unicode) + "}"
    last = _name_part(author.get("last_name") or "", unicode)
    given = _name_part(author.get("fore_name") or author.get("initials") or "", unicode)
    suffix = _name_part(author.get("suffix") or "", unicode)
    if not given and not suffix:
        # A last name of several words and no fore name ("Qing Ju Han", "The Lancet"):
        # as one word BibTeX keeps it whole, where "Qing Ju Han" would be fore name
        # "Qing Ju"; not braced whole, which is how a group author is written.
        return _one_word(last)
    parts = [last] + ([suffix] if suffix else []) + ([given] if given else [])
    return ", ".join(parts)


# A comma splits a name into last, suffix and fore name, a word "and" splits the list
# into names. Inside a part of one name (a suffix ", MSN, MS") "and" is braced; a
# comma, braced or not, is one too many for biber, which drops the entry: it goes out
# as U+201A, which looks the same ({\quotesinglbase}, which Zotero also reads as U+201A),
# and litbase's reader reads U+201A in a name as the comma (vocab.LOW_COMMA).
_NAME_BREAKS = re.compile(r",|(?<!\S)and(?!\S)", re.I)
_NAME_COMMA = r"{\quotesinglbase}"


@functools.lru_cache(maxsize=16384)
def _name_part(text: str, unicode: bool) -> str:
    """A part of a name as written: escaped once, as names and initials recur across an export."""
    if not text:
        return text
    return _NAME_BREAKS.sub(lambda m: _NAME_COMMA if m.group() == "," else "{" + m.group() + "}",
                            latex_escape(text, unicode))


def _one_word(latex: str) -> str:
    """Spaces outside any brace group braced: {\\"u} stays as it is."""
    depth, out = 0, []
    for char in latex:
        depth += {"{": 1, "}": -1}.get(char, 0)
        out.append("{ }" if char == " " and depth == 0 else char)
    return "".join(out)


def subject_terms(article: dict) -> list[str]:
    """MeSH descriptors, then author keywords, each once."""
    terms = [m["descriptor"] for m in article.get("mesh_headings") or []]
    terms += article.get("keywords") or []
    return list(dict.fromkeys(t for t in terms if t))


def bibtex_fields(article: dict, unicode: bool = False) -> list[tuple[str, str]]:
    """(name, value-as-written) pairs; values include their delimiters."""
    esc = lambda text: "{" + latex_escape(str(text), unicode) + "}"  # noqa: E731
    journal = article.get("journal") or {}
    kind = work_kind(article)
    fields = []
    if article.get("authors"):
        names = " and ".join(bibtex_name(a, unicode) for a in article["authors"])
        fields.append(("author", "{" + names + "}"))
    title = article.get("title") if kind != "book" else article.get("book_title")
    if title:
        # The inner braces keep a bibliography style from lowercasing
        # acronyms and proper names (COVID-19, Müller).
        fields.append(("title", "{" + esc(title) + "}"))
    if kind == "chapter":
        fields.append(("booktitle", "{" + esc(article["book_title"]) + "}"))
    if kind == "article" and (journal.get("title") or journal.get("iso_abbreviation")):
        # A mandatory field of @article, and the only journal field classic
        # styles print: where PubMed gives only the abbreviation, that is the name.
        fields.append(("journal", esc(journal.get("title") or journal["iso_abbreviation"])))
    if kind == "article" and journal.get("iso_abbreviation"):
        fields.append(("shortjournal", esc(journal["iso_abbreviation"])))
    if article.get("publisher"):
        fields.append(("publisher", esc(article["publisher"])))
    year, month, day = article.get("year"), article.get("month"), article.get("day")
    if year:
        fields.append(("year", "{%d}" % year))
    if year and month:
        # The month macro (mar) is classic BibTeX's, and biblatex maps it too.
        fields.append(("month", MONTHS[month - 1]))
    if year:
        date = f"{year:04d}" + (f"-{month:02d}" if month else "") + (
            f"-{day:02d}" if month and day else "")
        fields.append(("date", "{" + date + "}"))
    fields += volume_and_number(article, unicode)
    if article.get("pages"):
        # One hyphen: classic styles print it as an en dash (n.dashify), biblatex parses the
        # range, and Zotero keeps it as written (it reads "--" as an en dash).
        fields.append(("pages", esc(expand_pages(article["pages"]))))
    elif article.get("article_number"):
        # Styles print pages, not eid: an e-number goes in both.
        fields.append(("pages", esc(article["article_number"])))
    if article.get("article_number"):
        fields.append(("eid", esc(article["article_number"])))
    if article.get("doi"):
        fields.append(("doi", "{" + raw_value(article["doi"]) + "}"))
    if article.get("pmid"):
        fields.append(("eprint", "{%d}" % article["pmid"]))
        fields.append(("eprinttype", "{pubmed}"))
    notes = [caution_note(article)]
    if article.get("pmcid"):
        # No closing period: Zotero keeps a note that opens with "PMCID" as that line of Extra.
        notes.append(f"PMCID: {article['pmcid']}")
    if any(notes):
        fields.append(("note", esc(" ".join(n for n in notes if n))))
    if journal.get("issn"):
        fields.append(("issn", esc(journal["issn"])))
    if article.get("languages"):
        fields.append(("language", esc(" and ".join(
            language_name(code) for code in article["languages"]))))
    terms = subject_terms(article)
    if terms:
        fields.append(("keywords", "{" + ", ".join(_keyword(term, unicode) for term in terms) + "}"))
    if article.get("abstract"):
        fields.append(("abstract", esc(article["abstract"])))
    if article.get("pmid"):
        fields.append(("url", "{https://pubmed.ncbi.nlm.nih.gov/%d/}" % article["pmid"]))
    return fields


@functools.lru_cache(maxsize=16384)
def _keyword(term: str, unicode: bool) -> str:
    """A term as the keywords list writes it: escaped once, as MeSH terms recur across an export.

    A ";" inside a term is braced ({;}): readers split a list holding ";" there.
    """
    return "{;}".join(latex_escape(piece.replace(",", LOW_COMMA), unicode) for piece in term.split(";"))


def volume_and_number(article: dict, unicode: bool = False) -> list[tuple[str, str]]:
    """The volume as biblatex's data model holds it (an integer), and the issue as number.

    biber warns of a volume that is not a number, and drops it. PubMed writes some
    ("20 Suppl 1", "235-236", "VI", "Suppl 13"): the number before a space stays the
    volume, and the rest (the whole text when no number leads) opens the number field as
    one braced group, before the issue: ``volume = {20}``, ``number = {{Suppl 1}, 3}``.
    plain prints "20(Suppl 1, 3)", biblatex "20.Suppl 1, 3", Zotero keeps volume 20 and
    issue "Suppl 1, 3" (it removes braces), and litbase's reader takes a group that opens
    the number field as the volume's rest, so the volume comes back as PubMed wrote it.
    """
    volume, issue = article.get("volume"), article.get("issue")
    esc = lambda text: latex_escape(text, unicode)  # noqa: E731
    number = esc(issue) if issue else None
    if number and number.startswith("{"):
        number = "{}" + number  # an issue opening with a group ("{\"O}...") is not a volume's rest
    if not volume or _INTEGER.fullmatch(volume):
        return [(name, "{" + value + "}") for name, value in (("volume", volume), ("number", number))
                if value]
    lead, _, rest = volume.partition(" ")
    if not (_INTEGER.fullmatch(lead) and rest.strip()):
        lead, rest = "", volume
    number = "{" + esc(rest.strip()) + "}" + (", " + esc(issue) if issue else "")
    return ([("volume", "{" + lead + "}")] if lead else []) + [("number", "{" + number + "}")]


# What biber's integer check (Perl's looks_like_number) and every style take as a volume.
_INTEGER = re.compile(r"[0-9]+")


def _range(text: str, unicode: bool) -> str:
    """A page range's hyphens as TeX's en dash (--), the text between them escaped."""
    return "--".join(latex_escape(part, unicode) for part in text.split("-"))


# biblatex's data model demands an author and a title of @article, @book and
# @incollection; @misc demands only a title, and takes neither journal, volume
# nor pages (biber warns of each). These are the fields a @misc keeps.
MISC_FIELDS = ("author", "title", "howpublished", "year", "month", "date", "doi", "eprint",
               "eprinttype", "note", "language", "keywords", "abstract", "url")


def is_misc(article: dict) -> bool:
    """Whether the record lacks what biblatex's entry type for its kind demands."""
    kind = work_kind(article)
    title = article.get("title") if kind != "book" else article.get("book_title")
    return not article.get("authors") or not title


def published_in(article: dict) -> str | None:
    """Where a work appeared, as one line: "Academic Medicine, 94(11), 1675-1678"."""
    journal = article.get("journal") or {}
    name = journal.get("title") or journal.get("iso_abbreviation") or article.get("book_title") \
        or article.get("publisher")
    volume = (article.get("volume") or "") + (f"({article['issue']})" if article.get("issue") else "")
    pages = expand_pages(article["pages"]) if article.get("pages") else article.get("article_number")
    parts = [p for p in (name, volume, pages) if p]
    return ", ".join(parts) or None


def misc_fields(article: dict, unicode: bool = False) -> list[tuple[str, str]]:
    """The fields of a @misc: what is known, the journal and its numbers as one line."""
    fields = dict(bibtex_fields(article, unicode))
    if "title" not in fields:
        fields["title"] = "{" + latex_escape(UNTITLED[work_kind(article)], unicode) + "}"
    where = published_in(article)
    if where:
        fields["howpublished"] = "{" + (_range(where, unicode) if article.get("pages")
                                        else latex_escape(where, unicode)) + "}"
    return [(name, fields[name]) for name in MISC_FIELDS if name in fields]


def bibtex_entry(article: dict, key: str, unicode: bool = False) -> str:
    misc = is_misc(article)
    entry_type = "misc" if misc else BIBTEX_TYPE_OF[work_kind(article)]
    fields = misc_fields(article, unicode) if misc else bibtex_fields(article, unicode)
    lines = [f"@{entry_type}{{{key},"]
    lines += [f"  {name} = {value}," for name, value in fields]
    lines.append("}")
    return "\n".join(lines) + "\n"


_NON_ASCII = re.compile("[^\x00-\x7f]")


def write_bibtex(articles: Iterable[dict], unicode: bool = False) -> Iterator[str]:
    """Yield one BibTeX entry per article, separated by blank lines."""
    keys, held = UniqueKeys(), set()
    for index, article in enumerate(articles):
        entry = bibtex_entry(article, keys(article), unicode)
        if not unicode and not entry.isascii():
            held.update(_NON_ASCII.findall(entry))
        yield ("\n" if index else "") + entry
    if held:
        # After the entries, where a generator knows which characters they hold; BibTeX
        # and biber read every @preamble of the file before they print.
        yield "\n" + bibtex_preamble({char: approximation(char) for char in held})
