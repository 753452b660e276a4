"""Text as a BibTeX field value: LaTeX escapes where LaTeX has them, balanced braces.

Split from writers.bibtex (which writes entries, names and fields; its docstring says why each
character goes out as it does). Every character written here comes back through
readers.latex as exactly itself: a LaTeX spelling is kept only when it decodes to the same
character, else the character goes out as itself (UTF-8) and the file's ``@preamble`` tells
pdflatex what to print for it.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from pylatexenc.latexencode import UnicodeToLatexEncoder

from litbase.formats.readers.latex import decode
from litbase.formats.vocab import LOW_COMMA


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
    if cluster == LOW_COMMA:
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
