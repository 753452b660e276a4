"""PubMed's query syntax over the mirror: the shared parser's tree compiled to a DuckDB condition.

``litbase.model.pubmed_query`` reads the query (the same reader as ``litbase
find`` and the site's search page, so the same errors, word for word); this
module compiles its tree as ``litbase.store.search`` compiles it to FTS5:
the same fields search the same parts of a record (``FIELD_PARTS`` is that
module's ``FIELD_COLUMNS``; a test holds them equal), AND, OR and NOT
parenthesised left to right, truncation on the last word, [dp] as a
range of years, and [pmid], [doi] and [sb] as the same facts of the record
(``FILTER_SQL`` here, that module's ``FILTER_SQL`` there).

FTS5 matches tokens (runs of letters and digits, case folded), not
substrings: ``residents`` does not find "residentship" and ``peer support``
finds "peer-support". DuckDB's own full-text extension is downloaded at run
time, which a machine without the internet cannot do, so a term becomes a
regular expression over the lower-cased text with the same token boundaries,
behind a ``contains`` of its longest word that spares most rows the regular
expression. Where the two still differ: FTS5 also folds diacritics ("cafe"
finds "café"; DuckDB's ``strip_accents`` makes a scan of non-ASCII text ten
times slower, docs/scaling.md), and a phrase there may run from one author
or MeSH heading into the next, which here, one row per author or heading,
it cannot.
"""

from __future__ import annotations

import re

from litbase.model.pubmed_query import Filter, Node, Operation, QuerySyntaxError, Term, Years, parse

__all__ = ["FIELD_PARTS", "QuerySyntaxError", "to_condition"]

# Every part a term without a tag searches (FTS_CONFIG's columns of litbase.store.schema).
ALL_PARTS = ["title", "abstract", "keywords", "mesh_terms", "authors", "journal", "journal_iso",
             "publication_types", "year"]
# Field tag -> the parts of a record it searches (None: all of them).
FIELD_PARTS = {
    None: None,
    "ti": ["title"],
    "ab": ["abstract"],
    "tiab": ["title", "abstract", "keywords"],  # PubMed's [tiab] includes author keywords
    "tw": ["title", "abstract", "keywords", "mesh_terms", "publication_types"],
    "au": ["authors"],
    "mh": ["mesh_terms"],
    "ot": ["keywords"],
    "ta": ["journal", "journal_iso"],
    "pt": ["publication_types"],
    "dp": ["year"],
}
# Part -> its lower-cased text for the article ``a``, as the SQLite index holds it.
ROW_TEXT = {
    "title": "lower(coalesce(a.title, ''))",
    "abstract": "lower(coalesce(a.abstract, ''))",
    "keywords": "lower(coalesce(array_to_string(json_extract_string(a.record, '$.keywords[*]'), ' '), ''))",
    "journal": "lower(coalesce(a.journal, ''))",
    "journal_iso": "lower(coalesce(a.iso_abbreviation, ''))",
    "publication_types": ("lower(coalesce(array_to_string("
                          "json_extract_string(a.record, '$.publication_types[*].name'), ' '), ''))"),
    "year": "coalesce(CAST(a.year AS VARCHAR), '')",
}
# Parts held one row per author or heading: (table, its alias, its text), found through the PMID.
TABLE_TEXT = {
    "mesh_terms": ("mesh", "m", "lower(m.descriptor)"),
    # An author's byline as the SQLite base stores it: a group's name, or "Smith JA".
    "authors": ("authors", "u", "lower(coalesce(u.collective_name, concat_ws(' ', u.last_name, u.initials)))"),
}
# A [pmid], [doi] or [sb] filter -> its condition on the article ``a`` ($ is the filter's value);
# the medline status is in the record, as the parser gives it.
FILTER_SQL = {
    "pmid": "a.pmid = $",
    "doi": "lower(a.doi) = $",
    "hasabstract": "coalesce(a.abstract, '') <> ''",
    "pmc": "coalesce(a.pmcid, '') <> ''",
    "medline": "json_extract_string(a.record, '$.medline_status') = 'MEDLINE'",
    "pubmednotmedline": "json_extract_string(a.record, '$.medline_status') = 'PubMed-not-MEDLINE'",
}
# FTS5's unicode61 tokens: letters and digits; anything else separates them.
TOKEN = re.compile(r"[^\W_]+")
NOT_TOKEN = r"[^\pL\pN]"


def to_condition(query: str) -> tuple[str, list]:
    """A PubMed-syntax query -> (DuckDB condition on ``articles a``, its $n parameters).

    Raises ``QuerySyntaxError`` (the shared parser's) for a query it cannot read.
    """
    params: list = []
    return _compile(parse(query), params), params


def _compile(node: Node, params: list) -> str:
    if isinstance(node, Operation):
        left, right = _compile(node.left, params), _compile(node.right, params)
        joined = "AND NOT" if node.operator == "NOT" else node.operator
        return f"({left} {joined} {right})"
    if isinstance(node, Years):
        params += [node.first, node.last]
        return f"a.year BETWEEN ${len(params) - 1} AND ${len(params)}"
    if isinstance(node, Filter):
        sql = FILTER_SQL[node.field if node.field != "sb" else node.value]
        if not sql.endswith("$"):
            return sql
        params.append(int(node.value) if node.field == "pmid" else node.value)
        return f"{sql}{len(params)}"
    tokens = TOKEN.findall(" ".join(node.words).lower())
    params += [max(tokens, key=len), pattern(tokens, node.truncated)]
    word, regex = f"${len(params) - 1}", f"${len(params)}"
    found = [_found(part, word, regex) for part in FIELD_PARTS[node.field] or ALL_PARTS]
    return found[0] if len(found) == 1 else "(" + " OR ".join(found) + ")"


def pattern(tokens: list[str], truncated: bool) -> str:
    """The tokens one after another, whole words, the last one a prefix when truncated."""
    end = "" if truncated else f"({NOT_TOKEN}|$)"
    return f"(^|{NOT_TOKEN})" + f"{NOT_TOKEN}+".join(tokens) + end


def _found(part: str, word: str, regex: str) -> str:
    if part in TABLE_TEXT:
        table, alias, text = TABLE_TEXT[part]
        return (f"a.pmid IN (SELECT {alias}.pmid FROM {table} {alias}"
                f" WHERE contains({text}, {word}) AND regexp_matches({text}, {regex}))")
    text = ROW_TEXT[part]
    return f"(contains({text}, {word}) AND regexp_matches({text}, {regex}))"
