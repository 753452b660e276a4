"""Read BibTeX / biblatex files with bibtexparser 2, decoding LaTeX to Unicode.

bibtexparser reports blocks it could not parse (unbalanced braces, a missing
comma, a duplicate key) with their starting line, instead of skipping them
silently, which is what an all-or-nothing import needs. Its line numbers are
zero-based.
"""

from __future__ import annotations

import bibtexparser
from bibtexparser.middlewares.names import (
    parse_single_name_into_parts,
    split_multiple_persons_names,
)
from pylatexenc.latex2text import (
    LatexNodes2Text,
    MacroTextSpec,
    get_default_latex_context_db,
)

from litbase.formats.vocab import BIBTEX_TYPES, language_code
from litbase.formats.reading import (
    BibliographyError,
    day_number,
    empty_article,
    group,
    month_number,
    number_authors,
    pages_and_number,
    parse_pmid,
    parse_year,
    person,
    publication_types,
    split_terms,
)

# pylatexenc drops \textbraceleft and turns \textasciicircum into a modifier
# letter; litbase's writer uses all three for literal characters.
_CONTEXT = get_default_latex_context_db()
_CONTEXT.add_context_category(
    "litbase",
    macros=[MacroTextSpec("textbraceleft", "{"), MacroTextSpec("textbraceright", "}"),
            MacroTextSpec("textasciicircum", "^"), MacroTextSpec("textasciitilde", "~")],
    prepend=True,
)
_LATEX = LatexNodes2Text(latex_context=_CONTEXT, math_mode="text")


def decode(value: str | None) -> str | None:
    """LaTeX to plain Unicode text; None for an empty field."""
    if value is None:
        return None
    text = " ".join(_LATEX.latex_to_text(value).split())
    return text or None


def verbatim(value: str | None) -> str | None:
    """Identifiers (DOI, PMID) as written, minus protective braces."""
    if value is None:
        return None
    return value.replace("{", "").replace("}", "").strip() or None


def parse_bibtex(text: str, path: str = "<bibtex>") -> list[dict]:
    """Articles from BibTeX text."""
    library = bibtexparser.parse_string(text)
    if library.failed_blocks:
        block = library.failed_blocks[0]
        error = getattr(block, "error", None)
        reason = f" ({error})" if error and str(error) else ""
        raise BibliographyError(path, block.start_line + 1,
                                f"cannot read this BibTeX entry{reason}: {type(block).__name__}")
    return [_article(entry, path) for entry in library.entries]


def _name(raw: str) -> dict:
    parts = parse_single_name_into_parts(raw.strip())
    if not parts.first and not parts.von and not parts.jr and len(parts.last) == 1 \
            and parts.last[0].startswith("{") and parts.last[0].endswith("}"):
        # {COVID Study Group}: braces make a whole group one name.
        return group(decode(parts.last[0][1:-1]))
    last = decode(" ".join(parts.von + parts.last))
    return person(last, decode(" ".join(parts.first)), decode(" ".join(parts.jr)))


def _article(entry, path: str) -> dict:
    fields = {field.key.lower(): field.value for field in entry.fields}
    line = entry.start_line + 1
    kind = BIBTEX_TYPES.get(entry.entry_type.lower(), "article")
    article = empty_article(kind)
    article["authors"] = [_name(n) for n in split_multiple_persons_names(fields.get("author", ""))
                          if n.strip()]
    title = decode(fields.get("title"))
    if kind == "chapter":
        article["title"], article["book_title"] = title, decode(fields.get("booktitle"))
    elif kind == "book":
        article["title"] = article["book_title"] = title
    else:
        article["title"] = title
    article["journal"]["title"] = decode(fields.get("journal") or fields.get("journaltitle"))
    article["journal"]["iso_abbreviation"] = decode(fields.get("shortjournal"))
    article["journal"]["issn"] = verbatim(fields.get("issn"))
    article["publisher"] = decode(fields.get("publisher"))
    date = (verbatim(fields.get("date")) or "").split("-")
    article["year"] = parse_year(fields.get("year") or date[0], path, line)
    article["month"] = month_number(date[1] if len(date) > 1 else verbatim(fields.get("month")))
    article["day"] = day_number(date[2]) if len(date) > 2 else day_number(fields.get("day"))
    article["volume"] = decode(fields.get("volume"))
    article["issue"] = decode(fields.get("number") or fields.get("issue"))
    pages = verbatim(fields.get("pages"))
    pages = pages.replace("--", "-") if pages else None
    article["pages"], article["article_number"] = pages_and_number(
        pages, verbatim(fields.get("eid")))
    article["doi"] = verbatim(fields.get("doi"))
    pmid = fields.get("pmid")
    if not pmid and (verbatim(fields.get("eprinttype")) or "").lower() == "pubmed":
        pmid = fields.get("eprint")
    article["pmid"] = parse_pmid(verbatim(pmid), path, line)
    article["pmcid"] = verbatim(fields.get("pmcid"))
    languages = decode(fields.get("language") or fields.get("langid")) or ""
    article["languages"] = [language_code(v) for v in languages.split(" and ") if v.strip()]
    article["publication_types"] = publication_types([], kind)
    article["keywords"] = split_terms(decode(fields.get("keywords")))
    article["abstract"] = decode(fields.get("abstract"))
    article["source_line"] = line
    return number_authors(article)
