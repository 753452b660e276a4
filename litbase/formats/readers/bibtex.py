"""Read BibTeX / biblatex files with bibtexparser 2, decoding LaTeX to Unicode.

bibtexparser splits the file into blocks and reports those it could not parse
(unbalanced braces, a missing comma) with their starting line; each is skipped
and reported, and every other entry is read. Its line numbers are zero-based.
Field values are taken raw and resolved here as BibTeX does: ``@string``
macros (case-insensitive, also inside other strings), ``#`` concatenation,
the month macros; ``crossref`` fills fields the entry lacks from its parent.
``@preamble`` and ``@comment`` hold no record.

What litbase's writer puts where a format cannot say it plainly is read back (see
writers.bibtex): a braced group opening the number field after an integer volume
(``volume = {20}``, ``number = {{Suppl 1}, 3}``) is the rest of the volume PubMed wrote
("20 Suppl 1", issue "3"); U+201A inside a part of a person's name, or a keyword, is
the comma the writer could not write there. The macros of files litbase wrote before
(``{\\litbaseU{FB01}fi}``, ``{\\litbaseVolume{20 Suppl 1}}``) are read too (vocab).
"""

from __future__ import annotations

import re

import bibtexparser
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, String
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from pylatexenc.latex2text import (
    LatexNodes2Text,
    MacroTextSpec,
    get_default_latex_context_db,
)

from litbase.formats.vocab import (
    BIBTEX_CHAR_MACRO,
    BIBTEX_SPELLINGS,
    BIBTEX_TYPES,
    BIBTEX_VOLUME_MACRO,
    NAME_COMMA,
    UNTITLED,
    language_code,
)
from litbase.formats.reading import (
    Problem,
    Records,
    as_pmcid,
    date_text,
    day_number,
    doi_in,
    empty_article,
    group,
    month_number,
    number_authors,
    pages_and_number,
    lenient_pmid,
    parse_year,
    person,
    pmcid_in,
    pmid_in,
    publication_types,
    nothing_read_is_an_error,
    read_each,
    split_terms,
)

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
        position = _closing(value, match.start()) + 1 if match.group(1) else match.end()
    return "".join(out) + value[position:]


def verbatim(value: str | None) -> str | None:
    """Identifiers (DOI, PMID) as written, minus protective braces."""
    if value is None:
        return None
    return _NOOPSORT.sub("", value).replace("{", "").replace("}", "").strip() or None


# A bare word (a macro, a number); a stray character of a broken value is taken as it is.
_WORD = re.compile(r"[^\s#{}\"]+|\S")
_NEXT_FIELD = re.compile(r"\s*([\w:.+-]+)\s*=\s*(.*)$", re.S)


def _fields(key: str, raw: str, strings: dict[str, str]) -> list[tuple[str, str]]:
    """(name, value) of a field, and of those a missing comma ran into it.

    ``title = {A}`` followed on the next line by ``file = {...}`` without the
    comma reaches here as one raw value; Zotero reads both fields, so do we.
    """
    found = []
    while True:
        value, rest = _resolve(raw, strings)
        found.append((key.lower(), value))
        following = _NEXT_FIELD.match(rest)
        if not following:
            return found
        key, raw = following.group(1), following.group(2)


def _resolve(raw: str, strings: dict[str, str]) -> tuple[str, str]:
    """A raw field value: {braced} or "quoted" pieces, numbers and macros joined by #.

    Returns the value and whatever follows it without a # (normally nothing).
    """
    pieces, position, raw = [], 0, raw.strip()
    joined = True  # the next piece belongs to the value (start, or after #)
    while position < len(raw):
        char = raw[position]
        if char == "#":
            joined = True
            position += 1
            continue
        if char in " \t\r\n":
            position += 1
            continue
        if not joined:
            return "".join(pieces), raw[position:]
        joined = False
        if char in "{\"":
            end = _closing(raw, position)
            pieces.append(raw[position + 1:end])
            position = end + 1
        else:
            match = _WORD.match(raw, position)
            word = match.group(0)
            # An undefined macro is kept as its name: a month (jan) or a bare year (1942).
            pieces.append(strings.get(word.lower(), word))
            position = match.end()
    return "".join(pieces), ""


def _closing(raw: str, start: int) -> int:
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


def parse_bibtex(text: str, path: str = "<bibtex>") -> Records:
    """Articles from BibTeX text; unreadable entries are in ``.skipped``."""
    library = bibtexparser.parse_string(text.lstrip("\ufeff"), parse_stack=[])
    # A key used twice is a clash of names, not a broken record: bibtexparser sets
    # the second block aside, and it is read like the others, in file order (a
    # later @string redefines the macro, as in BibTeX).
    duplicates = [b.ignore_error_block for b in library.failed_blocks
                  if isinstance(b, DuplicateBlockKeyBlock)]
    failed = [b for b in library.failed_blocks if not isinstance(b, DuplicateBlockKeyBlock)]
    strings: dict[str, str] = {}
    for string in sorted(library.strings + [d for d in duplicates if isinstance(d, String)],
                         key=lambda s: s.start_line):
        strings[string.key.lower()] = _resolve(string.value, strings)[0]
    read = sorted(library.entries + [d for d in duplicates if isinstance(d, Entry)],
                  key=lambda e: e.start_line)
    own = [(entry, _own_fields(entry, strings)) for entry in read]
    by_key: dict[str, dict] = {}
    for entry, fields in own:
        by_key.setdefault(entry.key.lower(), fields)
    items = [(entry.start_line + 1, (entry, _inherit(fields, by_key))) for entry, fields in own]
    result = read_each(items, _article, path)
    for block in failed:
        error = getattr(block, "error", None)
        reason = f" ({error})" if error and str(error) else ""
        result.skipped.append(Problem(path, block.start_line + 1,
                                      f"cannot read this BibTeX entry{reason}"))
    result.skipped.sort(key=lambda p: p.line or 0)
    if not result and not result.skipped and re.search(r"@\s*\w", text) is None and text.strip():
        result.skipped.append(Problem(path, None, "no BibTeX entry (@type{key, ...}) in this file"))
    return nothing_read_is_an_error(result)


def _own_fields(entry, strings: dict[str, str]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for field in entry.fields:
        for name, value in _fields(field.key, field.value, strings):
            fields.setdefault(name, value)
    return fields


def _inherit(fields: dict, by_key: dict[str, dict]) -> dict:
    """The entry's fields, completed from its crossref parent (a proceedings, a book)."""
    parent = by_key.get((fields.get("crossref") or "").strip().lower())
    if not parent or parent is fields:
        return fields
    fields = dict(fields)
    for name, value in parent.items():
        fields.setdefault(name, value)
    if parent.get("title"):
        fields.setdefault("booktitle", parent["title"])
    return fields


def _name(raw: str) -> dict:
    parts = parse_single_name_into_parts(raw.strip())
    if not parts.first and not parts.von and not parts.jr and len(parts.last) == 1 \
            and parts.last[0].startswith("{") and parts.last[0].endswith("}"):
        # {COVID Study Group}: braces make a whole group one name.
        return group(decode(parts.last[0][1:-1]))
    last, first, suffix = (_name_text(" ".join(p)) for p in (
        parts.von + parts.last, parts.first, parts.jr))
    return person(last, first, suffix)


def _name_text(raw: str) -> str | None:
    text = decode(raw)
    return text.replace(NAME_COMMA, ",") if text else text


def _article(item, line: int, path: str, warn) -> dict:
    entry, fields = item
    kind = BIBTEX_TYPES.get(entry.entry_type.lower(), "article")
    article = empty_article(kind)
    article["authors"] = [_name(n) for n in split_multiple_persons_names(fields.get("author", ""))
                          if n.strip()]
    title = decode(fields.get("title"))
    if entry.entry_type.lower() == "misc" and title in UNTITLED.values():
        title = None  # litbase's writer says so of a work whose title nobody knows
    if kind == "chapter":
        article["title"], article["book_title"] = title, decode(fields.get("booktitle"))
    elif kind == "book":
        article["title"] = article["book_title"] = title
    else:
        article["title"] = title
    # MathSciNet writes the abbreviation as journal and the full title as fjournal.
    journal = decode(fields.get("journal") or fields.get("journaltitle"))
    full = decode(fields.get("fjournal"))
    article["journal"]["title"] = full or journal
    article["journal"]["iso_abbreviation"] = decode(fields.get("shortjournal")) or (
        journal if full and journal != full else None)
    article["journal"]["issn"] = verbatim(fields.get("issn"))
    article["publisher"] = decode(fields.get("publisher"))
    date = (verbatim(fields.get("date")) or "").split("-")
    written = verbatim(fields.get("year")) or verbatim(fields.get("date"))
    article["year"] = parse_year(written)
    article["month"] = month_number(date[1] if len(date) > 1 else verbatim(fields.get("month")))
    article["day"] = day_number(date[2]) if len(date) > 2 else day_number(fields.get("day"))
    date_text(article, written)
    article["volume"], article["issue"] = _volume_and_issue(
        fields.get("volume"), fields.get("number") or fields.get("issue"))
    pages = verbatim(fields.get("pages"))
    pages = pages.replace("--", "-") if pages else None
    article["pages"], article["article_number"] = pages_and_number(
        pages, verbatim(fields.get("eid")))
    _identifiers(article, fields, warn)
    languages = decode(fields.get("language") or fields.get("langid")) or ""
    article["languages"] = [language_code(v) for v in languages.split(" and ") if v.strip()]
    article["publication_types"] = publication_types([], kind)
    # litbase's BibTeX writer turns the comma inside a MeSH term ("Adaptation,
    # Psychological") into U+201A so that Zotero and biblatex, which split keywords
    # on commas, keep the term whole; reading it back restores the comma.
    # litbase writes a ";" inside a term braced, {;}: it does not separate terms.
    held = (fields.get("keywords") or "").replace("{;}", "\ue0ff") or None
    article["keywords"] = [term.replace("\u201a", ",").replace("\ue0ff", ";")
                           for term in decode_terms(held)]
    article["abstract"] = decode(fields.get("abstract"), lines=True)
    article["source_line"] = line
    return number_authors(article)


def _volume_and_issue(volume: str | None, number: str | None) -> tuple[str | None, str | None]:
    r"""The volume and the issue. ``volume = {20}``, ``number = {{Suppl 1}, 3}`` is litbase's
    writer's: volume "20 Suppl 1", issue "3" (a group of digits alone is only braced)."""
    marker = _VOLUME_MACRO.search(number or "")
    if not marker:
        return _volume_rest(volume, number) or (decode(volume), decode(number))
    return _old_volume_macro(volume, number, marker)


def _volume_rest(volume: str | None, number: str | None) -> tuple[str | None, str | None] | None:
    raw = (number or "").strip()
    lead = verbatim(volume)
    if not raw.startswith("{") or (lead and not lead.isdigit()):
        return None
    end = _closing(raw, 0)
    rest, after = decode(raw[1:end]), raw[end + 1:].strip()
    if not rest or rest.isdigit() or (after and not after.startswith(",")):
        return None
    return (f"{lead} {rest}" if lead else rest), decode(after.removeprefix(","))


def _old_volume_macro(volume: str | None, number: str, marker: re.Match) -> tuple:
    r"""{\litbaseVolume{20 Suppl 1}}Suppl 1, 3: the volume as PubMed wrote it, its printed
    rest, then the issue (litbase's writer until 2026-12)."""
    argument = marker.end() - 1
    end = _closing(number, argument)
    whole = decode(number[argument + 1:end]) or ""
    printed = decode(number[:marker.start()] + number[_closing(number, marker.start()) + 1:]) or ""
    lead = decode(volume) or ""
    rest = whole[len(lead):].strip() if whole.startswith(lead) else whole
    after = printed[len(rest):] if printed.startswith(rest) else printed
    return whole or decode(volume), after.removeprefix(",").strip() or None


_VOLUME_MACRO = re.compile(r"\{\\" + BIBTEX_VOLUME_MACRO + r"\s*\{")


def _identifiers(article: dict, fields: dict, warn) -> None:
    """DOI, PMID, PMCID from their own fields, biblatex's eprint, else the note or URL."""
    free = [verbatim(fields.get(f)) or "" for f in ("note", "annote", "annotation", "url",
                                                     "addendum", "howpublished")]
    eprint_type = (verbatim(fields.get("eprinttype")) or "").lower()
    article["doi"] = (doi_in(verbatim(fields.get("doi"))) or verbatim(fields.get("doi"))
                      or next((d for v in free if (d := doi_in(v))), None))
    pmid = verbatim(fields.get("pmid"))
    if not pmid and eprint_type == "pubmed":
        pmid = verbatim(fields.get("eprint"))
    article["pmid"] = (lenient_pmid(pmid, warn) if pmid
                       else next((p for v in free if (p := pmid_in(v))), None))
    pmcid = verbatim(fields.get("pmcid"))
    if not pmcid and eprint_type == "pmc":
        pmcid = verbatim(fields.get("eprint"))
    article["pmcid"] = as_pmcid(pmcid) or next((p for v in free if (p := pmcid_in(v))), None)
