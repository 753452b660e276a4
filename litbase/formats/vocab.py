"""Vocabularies shared by the bibliography writers and readers.

PubMed speaks ISO 639-2 language codes and its own publication types; each
reference-manager format has its own words for both. Keeping every mapping
here, in both directions, is what lets a record leave in one format and come
back unchanged.
"""

from __future__ import annotations

import re

MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

# ISO 639-2/B (PubMed) -> (English name, BCP 47 tag for CSL-JSON). Languages
# PubMed indexes most; a code not listed here is written as it is.
LANGUAGES = {
    "eng": ("English", "en"),
    "fre": ("French", "fr"),
    "ger": ("German", "de"),
    "spa": ("Spanish", "es"),
    "ita": ("Italian", "it"),
    "por": ("Portuguese", "pt"),
    "rus": ("Russian", "ru"),
    "jpn": ("Japanese", "ja"),
    "chi": ("Chinese", "zh"),
    "dut": ("Dutch", "nl"),
    "pol": ("Polish", "pl"),
    "swe": ("Swedish", "sv"),
    "nor": ("Norwegian", "no"),
    "dan": ("Danish", "da"),
    "fin": ("Finnish", "fi"),
    "kor": ("Korean", "ko"),
    "tur": ("Turkish", "tr"),
    "heb": ("Hebrew", "he"),
    "ara": ("Arabic", "ar"),
    "gre": ("Greek", "el"),
    "cze": ("Czech", "cs"),
    "hun": ("Hungarian", "hu"),
}
_BY_NAME = {name.lower(): code for code, (name, _) in LANGUAGES.items()}
_BY_TAG = {tag: code for code, (_, tag) in LANGUAGES.items()}


def language_name(code: str) -> str:
    return LANGUAGES.get(code, (code, None))[0]


def language_tag(code: str) -> str:
    return LANGUAGES.get(code, (None, code))[1]


def language_code(value: str) -> str:
    """Back to PubMed's code from a name ("English"), a tag ("en", "en-US") or a code."""
    value = value.strip()
    lowered = value.lower()
    if lowered in _BY_NAME:
        return _BY_NAME[lowered]
    primary = lowered.split("-")[0]
    if lowered in LANGUAGES:
        return lowered
    return _BY_TAG.get(primary, value)


def is_book_chapter(article: dict) -> bool:
    """A book record whose own title differs from its book's title is a chapter."""
    return (article.get("record_type") == "book" and bool(article.get("book_title"))
            and bool(article.get("title")) and article["title"] != article["book_title"])


def work_kind(article: dict) -> str:
    """chapter | book | article: the distinction every format draws."""
    if article.get("record_type") == "book":
        return "chapter" if is_book_chapter(article) else "book"
    return "article"


def publication_type_names(article: dict) -> list[str]:
    return [p["name"] for p in article.get("publication_types") or [] if p.get("name")]


# Format type -> (record_type, PubMed publication type) when read back.
RIS_TYPES = {"JOUR": "article", "CHAP": "chapter", "BOOK": "book", "EBOOK": "book",
             "ECHAP": "chapter", "EJOUR": "article", "ABST": "article", "GEN": "article",
             "EDBOOK": "book", "CLSWK": "book", "SER": "book"}
BIBTEX_TYPES = {"article": "article", "incollection": "chapter", "inbook": "chapter",
                "book": "book", "misc": "article"}
CSL_TYPES = {"article-journal": "article", "article": "article", "review": "article",
             "chapter": "chapter", "book": "book"}

# What a kind is called in each format.
RIS_TYPE_OF = {"article": "JOUR", "chapter": "CHAP", "book": "BOOK"}
BIBTEX_TYPE_OF = {"article": "article", "chapter": "incollection", "book": "book"}
# The title of a work whose title nobody knows, in BibTeX (biblatex demands one):
# APA's bracketed description of the work, which claims no title; read back as none.
UNTITLED = {"article": "[Journal article]", "chapter": "[Book chapter]", "book": "[Book]"}
CSL_TYPE_OF = {"article": "article-journal", "chapter": "chapter", "book": "book"}

# Publication types a kind implies when a format cannot say more.
DEFAULT_PUBLICATION_TYPE = {"article": "Journal Article", "chapter": "Book Chapter",
                            "book": "Book"}


# The comma inside a group author's name in RIS (see writers.ris), read back as a comma.
GROUP_COMMA = "\u201a"
_LINE_BREAKS = re.compile(r"[\t\n\v\f\r \x1c-\x1f\x85\u2028\u2029]+")


def fold(text: str) -> str:
    """Whitespace that is line structure as one space; no-break and thin spaces are kept."""
    if "  " not in text and text.isprintable():
        # Nothing to fold (every character folded is unprintable, or a second space):
        # most values of an export, which folds each of its 30,000 values.
        return text.strip(" ")
    return _LINE_BREAKS.sub(" ", text).strip(" ")


# Spellings litbase's BibTeX writer used (until 2026-12) for characters pylatexenc writes as
# a plain space or "-", or reads back as another; it now writes them as themselves (UTF-8),
# since Zotero kept these macros as text. The reader still reads them exactly.
BIBTEX_SPELLINGS = {
    "\u00a0": "{~}", "\u2009": r"{\,}", "\u202f": r"{\nobreak\,}", "\u200a": r"{\hspace{1pt}}",
    "\u2002": r"{\enskip}", "\u2003": r"{\quad}", "\u2004": r"{\hspace{0.33em}}",
    "\u2005": r"{\hspace{0.25em}}", "\u2006": r"{\hspace{0.167em}}", "\u2008": r"{\;}",
    "\u2010": "{-}", "\u2012": r"{\hbox{-}}",
    "\u2212": r"{\ensuremath{-}}", "\u00b7": r"{\textperiodcentered}", "\u02d9": r"{\.{}}",
    "\u22c5": r"{\ensuremath{\cdot}}",
    # pylatexenc writes the Hungarian double acute of u as an acute (\'u).
    "\u0171": r"{\H{u}}", "\u0170": r"{\H{U}}",
}

# A character no LaTeX spelling of which reads back as exactly that character (the
# ligature U+FB01, U+2206 INCREMENT beside Greek Delta, full-width punctuation, CJK, a
# letter with a combining mark) goes out in BibTeX as itself, UTF-8, so that Zotero,
# pandoc, biber and litbase's reader all take the character as it is. For pdflatex the
# file's @preamble says what to print for each such character that LaTeX does not know
# (U+FB01 as "fi", CJK as "?"): \litbaseChar{ﬁ}{fi} defines it as inputenc's own
# \DeclareUnicodeCharacter would (which LaTeX allows only in a document's preamble, and
# a bibliography is read after it), and leaves alone a character LaTeX already knows.
#
# Files litbase wrote before (2026-12) held such a character as {\litbaseU{FB01}fi} and a
# volume biblatex cannot take as {\litbaseVolume{20 Suppl 1}} in the number field: Zotero
# kept that macro text, so they are no longer written; litbase's reader still reads them.
BIBTEX_CHAR_MACRO = "litbaseU"
BIBTEX_VOLUME_MACRO = "litbaseVolume"
BIBTEX_DECLARE_CHAR = "litbaseChar"
# U+201A SINGLE LOW-9 QUOTATION MARK: the comma BibTeX cannot hold as a comma, inside a part
# of a name (a suffix "MSN, MS": biber drops a name with one comma too many, braced or not)
# or a keyword term ("Adaptation, Psychological": Zotero and biblatex split keywords on
# commas). It looks the same; litbase's reader turns it back into the comma.
LOW_COMMA = "\u201a"


def bibtex_preamble(characters: dict[str, str]) -> str:
    """The @preamble that tells pdflatex what to print for each character (char -> LaTeX)."""
    name = BIBTEX_DECLARE_CHAR
    define = (r"\providecommand{\%s}[2]{\expandafter\ifx\csname u8:\detokenize{#1}\endcsname"
              r"\relax\expandafter\def\csname u8:\detokenize{#1}\endcsname{#2}\fi}" % name)
    # Each printed form braced: a '"' in it must not end BibTeX's quoted string.
    return '@preamble{"%s%s"}\n' % (define, "".join(
        "\\%s{%s}{{%s}}" % (name, char, latex) for char, latex in sorted(characters.items())))
