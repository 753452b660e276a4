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
import unicodedata
from collections.abc import Iterable, Iterator

from pylatexenc.latexencode import UnicodeToLatexEncoder

from litbase.formats.readers.latex import decode
from litbase.formats.vocab import (
    BIBTEX_TYPE_OF,
    MONTHS,
    UNTITLED,
    bibtex_preamble,
    language_name,
    work_kind,
)
from litbase.formats.writers.notes import caution_note
from litbase.formats.writers.pages import expand_pages
from litbase.model.citekeys import UniqueKeys

KEYWORD_COMMA = "\u201a"


def _approximate(char: str, u2lobj=None) -> str:
    """ASCII LaTeX that prints like a character pylatexenc has no name for.

    Its compatibility decomposition ("ﬁ" as "fi", "％" as an escaped "%"), each part on its own
    (pylatexenc recomposes what it is given: Vietnamese "ẩ" came straight back,
    without end); a combining mark with no name is left out, anything else is "?".
    """
    decomposed = unicodedata.normalize("NFKD", char)
    if decomposed == char:
        if char.isspace():
            return " "
        # A mark with no name, or a format character (zero-width space), prints nothing.
        return "" if unicodedata.category(char) in ("Mn", "Me", "Cf") else "?"
    return "".join(_ascii_latex(part) for part in decomposed)


def _ascii_latex(char: str) -> str:
    if char.isascii():
        return _SPECIALS.get(char) or _LONE_BRACES.get(char) or char
    return _ENCODER.unicode_to_latex(char)


_ENCODER = UnicodeToLatexEncoder(
    non_ascii_only=True,
    # {\"u} rather than \"u: BibTeX treats a braced group opening with a
    # backslash as one letter when sorting and changing case.
    replacement_latex_protection="braces-all",
    unknown_char_policy=_approximate,
    unknown_char_warning=False,
)

_DOTLESS = re.compile(r"(\\[`'^\"~=.uvH])\\([ij])(?![a-zA-Z])")

_SPECIALS = {
    "\\": r"\textbackslash{}",
    "%": r"\%",
    "&": r"\&",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_PAIRED_BRACES = {"{": r"\{", "}": r"\}"}
# The math delimiters, which LaTeX, pybtex and pandoc all read (pandoc drops \textbraceright).
_LONE_BRACES = {"{": r"$\lbrace$", "}": r"$\rbrace$"}
# TeX sets "--" as an en dash and `` '' as curly quotes: ASCII doubles written with {}
# between them ("obstetricians--in", "2```", "SPIE--the") keep each character.
_LIGATURES = "-`'"
# Commands pdflatex with the T1 font encoding does not know, and a .bib cannot load
# the package: Cyrillic (T2A), amsmath's \nobreakdash, \textnrleg. pylatexenc writes
# them; the macro keeps such a character, LaTeX prints what is left, else "?".
_NOT_IN_LATEX = re.compile(r"\\(?:CYR[A-Z]+|cyr[a-z]+|nobreakdash|textnrleg)(?![A-Za-z])")
# amssymb's relations and script letters, as the nearest of LaTeX's own.
_AMS_IN_LATEX = {"leqslant": r"\leq", "geqslant": r"\geq", "leqq": r"\leq", "geqq": r"\geq",
                 "lesssim": r"<\sim", "gtrsim": r">\sim", "smallsetminus": r"\setminus",
                 "mathscr": r"\mathcal"}
_AMS = re.compile(r"\\(%s)(?![A-Za-z])" % "|".join(_AMS_IN_LATEX))
# A math letter pylatexenc writes bare ({\varepsilon} for U+025B): outside math, an error.
_MATH_LETTER = re.compile(r"(?<!ensuremath)\{(\\var(?:epsilon|theta|phi|pi|rho|sigma))\}")
# Line breaks other than \n (U+2028, U+0085, \v, \f, \r) and a tab: whitespace to BibTeX,
# which folds it, and to Zotero; pdflatex cannot take \f or \x1c raw. Written as a space.
LINE_STRUCTURE = frozenset("\t\r\v\f\x1c\x1d\x1e\x1f\x85\u2028\u2029")


_BRACE = re.compile(r"[{}]")
# A run of ASCII that stands for itself: no special, brace, ligature character or
# folded whitespace. Written in one piece (a 1,000-record export is 600,000 characters).
_PLAIN = re.compile("[^\\x00-\\x09\\x0b-\\x1f\\x7f-\\U0010ffff%s]+" % re.escape(
    "".join(_SPECIALS) + "{}" + _LIGATURES))


def braces_pair(text: str) -> bool:
    if "{" not in text and "}" not in text:
        return True
    depth = 0
    for brace in _BRACE.findall(text):
        depth += 1 if brace == "{" else -1
        if depth < 0:
            return False
    return depth == 0


@functools.lru_cache(maxsize=None)
def spelling(cluster: str) -> str:
    """How a non-ASCII character (and its combining marks) is written in the ASCII export.

    A Latin letter with one of BibTeX's classic accents (é, ü, ř, ç, ø, ß) as LaTeX
    ({\\'e}), which classic BibTeX sorts and abbreviates as a letter and which Zotero's
    import reads back, when litbase's reader turns it back into the same code points.
    Anything else (Greek, math, spaces, dashes, CJK, ﬁ) as itself, UTF-8: Zotero kept
    ``{\\ensuremath{\\alpha}}`` as that text, and every reader takes the character as it
    is. For pdflatex the file's @preamble says what to print (``approximation``).
    """
    if cluster in LINE_STRUCTURE:
        return " "  # a line break or control character is whitespace to every reader
    if cluster == KEYWORD_COMMA:
        return r"{\quotesinglbase}"  # a comma no reader splits on (Zotero maps it to U+201A)
    if _LATIN_LETTER.fullmatch(unicodedata.normalize("NFD", cluster)):
        latex = _DOTLESS.sub(r"\1\2", _ENCODER.unicode_to_latex(cluster))
        if decode(latex) == cluster:
            return latex
    # A mark on an ASCII special ("%" + U+0301) keeps the special escaped.
    return "".join(_ascii_latex(c) if c.isascii() else c for c in cluster)


# An ASCII letter under the accents BibTeX's own documentation and every reader know
# (grave, acute, circumflex, tilde, macron, breve, diaeresis, ring, caron, ogonek), a
# cedilla under the letters Zotero reads it on, or one of LaTeX's own letters (ø, ß, æ,
# ł, dotless ı). Zotero reads \H{o}, \.{e} and \c{e} as text: those go out as themselves.
_LATIN_LETTER = re.compile(r"[A-Za-z][\u0300-\u0304\u0306\u0308\u030a\u030c\u0328]+"
                           r"|[CcGgKkLlNnRrSsTtDdHh]\u0327|[\u00f8\u00d8\u00df\u00e6\u00c6\u0142\u0141\u0131]")
# Text Zotero's BibTeX import replaces wherever it stands ("TEL" by U+2121, "!!" by
# U+203C): a {} between its letters keeps it apart for Zotero; LaTeX prints the same.
_ZOTERO_SIGNS = re.compile(r"TEL|!!|\?!|!\?")


@functools.lru_cache(maxsize=None)
def approximation(char: str) -> str:
    """What pdflatex prints for a character the file holds as UTF-8 and LaTeX may not know.

    LaTeX's own name when it has one (Cyrillic's needs T2A, amssymb's relations the
    nearest of LaTeX's own), else the compatibility decomposition ("ﬁ" as "fi", "％"
    as "\\%"), LaTeX's nearest symbol, else "?"; a combining mark with no name prints nothing.
    """
    latex = _MATH_LETTER.sub(r"{\\ensuremath{\1}}",
                             _DOTLESS.sub(r"\1\2", _ENCODER.unicode_to_latex(char)))
    if _NOT_IN_LATEX.search(latex) or _AMS.search(latex):
        latex = _AMS.sub(lambda m: _AMS_IN_LATEX[m.group(1)], latex)
        left = _NOT_IN_LATEX.sub("", latex)  # {\nobreakdash-} prints as {-}
        latex = latex if left == latex else left if "\\" not in left and left.strip("{} ") else "?"
    if char.isspace() and not latex.strip():
        latex = " "
    if latex.startswith("{") and latex.endswith("}") and braces_pair(latex[1:-1]):
        latex = latex[1:-1]  # the @preamble braces each one
    return latex


def latex_escape(text: str, unicode: bool = False) -> str:
    """Text as a BibTeX field value: specials escaped, braces balanced, ASCII in full.

    ASCII text reads back through litbase's reader as exactly ``text``.
    """
    if unicode:
        # Line breaks other than \n (U+2028, U+2029, U+0085...) are
        # nothing pdflatex can set; as \n they are whitespace BibTeX folds.
        text = "\n".join(text.splitlines())
    if _PLAIN.fullmatch(text) and "TEL" not in text and "!" not in text:
        return text  # most values (names, terms, journals): nothing to escape
    braces = _PAIRED_BRACES if braces_pair(text) else _LONE_BRACES
    out, position, length = [], 0, len(text)
    while position < length:
        plain = _PLAIN.match(text, position)
        end = plain.end() if plain else position
        if end < length and unicodedata.combining(text[end]):
            end -= 1  # the last character takes the marks that follow it: one cluster
        if end > position:
            out.append(text[position:end])
            position = end
            continue
        # One character with the combining marks that follow it ("V" + U+0307).
        end = position + 1
        while end < length and unicodedata.combining(text[end]):
            end += 1
        cluster, position = text[position:end], end
        if cluster in _SPECIALS or cluster in braces:
            out.append(_SPECIALS.get(cluster) or braces[cluster])
        elif (cluster.isascii() and cluster not in LINE_STRUCTURE) or unicode:
            out.append(cluster)
        else:
            out.append(spelling(cluster))
        if cluster in _LIGATURES and text[position:position + 1] == cluster:
            out.append("{}")
    written = "".join(out)
    if "TEL" in written or "!" in written:
        written = _ZOTERO_SIGNS.sub(lambda m: m.group()[0] + "{}" + m.group()[1:], written)
    return written


def raw_value(text: str) -> str:
    """Identifiers (DOI, URL) stay verbatim, as biblatex reads them; only braces are tamed."""
    return text if braces_pair(text) else text.replace("{", "%7B").replace("}", "%7D")


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
# and litbase's reader reads U+201A in a name as the comma (vocab.NAME_COMMA).
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
    return "{;}".join(latex_escape(piece.replace(",", KEYWORD_COMMA), unicode) for piece in term.split(";"))


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
