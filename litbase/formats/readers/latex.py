"""LaTeX in BibTeX field values, decoded to Unicode (pylatexenc, with litbase's additions).

Math is read as text with super- and subscripts as their Unicode letters; ``\\noopsort`` and
protective braces go; whitespace folds as TeX folds it, except the spaces PubMed's text keeps
(no-break, thin); what litbase's writer wrote as a macro of its own before (``\\litbaseU``) is
read as the code points it names. Split from readers.bibtex, which reads entries and fields.
"""

from __future__ import annotations

import re

from pylatexenc.latex2text import (
    LatexNodes2Text,
    MacroTextSpec,
    get_default_latex_context_db,
)

from litbase.formats.vocab import BIBTEX_CHAR_MACRO, BIBTEX_SPELLINGS
from litbase.formats.reading import split_terms

# pylatexenc drops \textbraceleft and turns \textasciicircum into a modifier
# letter; litbase's writer uses all three for literal characters.
_CONTEXT = get_default_latex_context_db()
_CONTEXT.add_context_category(
    "litbase",
    macros=[MacroTextSpec("textbraceleft", "{"), MacroTextSpec("textbraceright", "}"),
            MacroTextSpec("textasciicircum", "^"), MacroTextSpec("textasciitilde", "~"),
            # \mbox{G-Animal's} (BibTeX's own xampl.bib) keeps a word unbroken: its
            # argument is text, which pylatexenc dropped ("Journal" for "G-Animal's Journal").
            MacroTextSpec("mbox", "%s"), MacroTextSpec("hbox", "%s")],
    prepend=True,
)
_LATEX = LatexNodes2Text(latex_context=_CONTEXT, math_mode="text")


_SUPERSCRIPT = dict(zip("0123456789+-=()in", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁱⁿ"))
_SUBSCRIPT = dict(zip("0123456789+-=()aeoxhklmnpstijruv", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼᵣᵤᵥ"))
_SCRIPT = re.compile(r"([\^_])(?:\{([^{}$]*)\}|([^{}\\$\s]))")
_TEXT_SCRIPT = re.compile(r"\\text(super|sub)script\s*\{([^{}]*)\}")
_ROMAN = re.compile(r"\\(?:textrm|mathrm|text|rm|textnormal)\s*\{([^{}]*)\}")
# \noopsort{1973b} only steers BibTeX's sorting; its argument is not text.
_NOOPSORT = re.compile(r"\\noopsort\s*\{[^{}]*\}")


def _script(table: dict, body: str) -> str:
    """Unicode super/subscript characters when each has one, else the text itself.

    "4^{ème}" becomes "4ème" rather than "4^ème": the raised letters are read
    as text, as a reader of the printed title would.
    """
    return "".join(table[c] for c in body) if body and all(c in table for c in body) else body


def _math(math: re.Match) -> str:
    """$\\Sigma^{0}$ -> $\\Sigma⁰$, H$_2$O -> H₂O."""
    def one(script: re.Match) -> str:
        body = script.group(2) if script.group(2) is not None else script.group(3)
        return _script(_SUPERSCRIPT if script.group(1) == "^" else _SUBSCRIPT, body)
    return "$" + _SCRIPT.sub(one, _ROMAN.sub(r"\1", math.group(1))) + "$"


def decode(value: str | None, lines: bool = False) -> str | None:
    """LaTeX to plain Unicode text; None for an empty field."""
    if value is None:
        return None
    held: list[str] = []
    return _restore(_decode_held(value, lines, held), held) or None


def decode_terms(value: str | None) -> list[str]:
    """A keyword list, split where the text separates terms: a term's own characters
    (a no-break space at its edge, written {~}) are held until it is split off."""
    if value is None:
        return []
    held: list[str] = []
    return [_restore(term, held) for term in split_terms(_decode_held(value, False, held))]


def _decode_held(value: str, lines: bool, held: list[str]) -> str:
    """The text, each character litbase's writer spelled exactly held as a placeholder."""
    value = _hold_macros(value, held)
    # litbase's writer's spellings of spaces and dashes (vocab), held through
    # pylatexenc and the whitespace folding.
    value = _SPELLED.sub(lambda m: _hold(_SPELLED_CHAR[m.group()], held), value)
    value = _RAW_SPACE.sub(lambda m: _hold(m.group(), held), value)
    value = _NOOPSORT.sub("", value)
    # An accent with nothing to sit on ("tilde operator: \~") is the character itself.
    value = re.sub(r"\\~(?=$|[\s,.;:)])", r"\\textasciitilde{}", value)
    # A bare & is an alignment tab to LaTeX and pylatexenc drops it; in a
    # title or journal ("Oil & Gas Journal") it is meant as the character.
    value = re.sub(r"(?<!\\)&", r"\\&", value)
    value = _TEXT_SCRIPT.sub(lambda m: _script(
        _SUPERSCRIPT if m.group(1) == "super" else _SUBSCRIPT, m.group(2)), value)
    value = _INLINE_MATH.sub(_math, value)
    # ``lines``: each line break is one (an abstract's sections, as litbase writes them).
    parts = re.split(r"[ \t\r]*\n[\t\n\v\f\r ]*" if lines else r"\n[ \t\r]*\n",
                     _LATEX.latex_to_text(value))
    text = "\n".join(p for p in (_FOLD.sub(_folded, part).strip(" ") for part in parts) if p)
    return text if lines else " ".join(text.split("\n"))


# $...$ whose dollars are not escaped (\$ is the character itself).
_INLINE_MATH = re.compile(r"(?<!\\)\$((?:[^$\\]|\\.)*)(?<!\\)\$", re.S)
# Whitespace is line structure, folded to one space; a no-break or thin space standing
# alone between words ("16~weeks") is text, kept. Beside other whitespace it folds too,
# as in Zotero. A Unicode space the file holds as itself (litbase writes U+2005 so) is
# a character BibTeX passes through, held as it is.
_FOLD = re.compile(r"\s+")
_KEPT_SPACES = frozenset("\u00a0\u2009\u202f")
_RAW_SPACE = re.compile(r"[^\S\t\n\v\f\r \x1c-\x1f\x85\u2028\u2029]")
_SPELLED_CHAR = {spelled: char for char, spelled in BIBTEX_SPELLINGS.items()}
_SPELLED = re.compile("|".join(re.escape(s) for s in sorted(_SPELLED_CHAR, key=len, reverse=True)))
def _folded(run: re.Match) -> str:
    return run.group() if set(run.group()) <= _KEPT_SPACES else " "


_PLACEHOLDER = 0xF0000  # supplementary private use, which no PubMed text holds
_HELD = re.compile("[\U000f0000-\U000ffffd]")
_MACRO = re.compile(r"(\{)?\\" + BIBTEX_CHAR_MACRO + r"\s*\{([0-9A-Fa-f ]*)\}")


def _hold(chars: str, held: list[str]) -> str:
    held.append(chars)
    return chr(_PLACEHOLDER + len(held) - 1)


def _restore(text: str, held: list[str]) -> str:
    return _HELD.sub(lambda m: held[ord(m.group()) - _PLACEHOLDER], text)


def _hold_macros(value: str, held: list[str]) -> str:
    r"""{\litbaseU{FB01}fi} -> the code points it names; what LaTeX prints after it goes."""
    out, position = [], 0
    for match in _MACRO.finditer(value):
        if match.start() < position:
            continue  # inside a group already taken
        try:
            chars = "".join(chr(int(point, 16)) for point in match.group(2).split())
        except (ValueError, OverflowError):
            continue  # not code points: left to pylatexenc, as any unknown macro
        out.append(value[position:match.start()] + _hold(chars, held))
        position = closing(value, match.start()) + 1 if match.group(1) else match.end()
    return "".join(out) + value[position:]


def verbatim(value: str | None) -> str | None:
    """Identifiers (DOI, PMID) as written, minus protective braces."""
    if value is None:
        return None
    return _NOOPSORT.sub("", value).replace("{", "").replace("}", "").strip() or None


def closing(raw: str, start: int) -> int:
    """Where the {group} or "string" opening at start ends; braces nest in both."""
    closer = "}" if raw[start] == "{" else "\""
    depth, position = 0, start + 1
    while position < len(raw):
        char = raw[position]
        if char == "\\":
            position += 1  # \{ \} \" are characters, not delimiters
        elif char == "{":
            depth += 1
        elif char == "}" and depth:
            depth -= 1
        elif char == closer and depth == 0:
            return position
        position += 1
    return len(raw)
