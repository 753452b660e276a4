"""Local search in PubMed's syntax: a query tree compiled to one FTS5 MATCH over ``articles_fts``.

The same SQL (``SEARCH_SQL``) is the ``search`` canned query of the site
(metadata.yml) and ``litbase find``: both call ``pubmed_fts(:q)``, a SQL
function ``register_functions`` adds to a connection (the site's plugin does
it through Datasette's ``prepare_connection``), and checks the query with
``pubmed_query_error(:q)`` before it.

Ranking weighs title over abstract over MeSH terms and keywords: articles whose
title satisfies the whole query come first, then those whose abstract does, then
MeSH terms and keywords (``RANK_TIERS``, ordered as binary digits); within a
tier, FTS5's bm25 with a weight per column. bm25 alone cannot do it: it divides
by the length of the whole record, so the one article with a long abstract (the
seed of the shipped base, which says "peer support" in its title and again in
its abstract) ranked below every short title.

[pmid], [doi] and [sb] ask for facts of the record that the text index does
not hold, so a query with any of them is a condition on ``articles`` instead
(``filtered_search_sql``): each maximal part without them is still one FTS5
MATCH, and the rows rank by the same tiers, then by PMID (bm25 needs the
whole query to be one MATCH). Only ``litbase find`` runs it; the site's
canned query is one fixed statement, so its search page says these are
``litbase find``'s.
"""

from __future__ import annotations

import sqlite3

from litbase.model.pubmed_query import Filter, Node, Operation, QuerySyntaxError, Term, Years, parse
from litbase.store.schema import FTS_CONFIG

# Field tag -> the articles_fts columns it searches (None: every column).
FIELD_COLUMNS = {
    None: None,
    "ti": ["title"],
    "tiab": ["title", "abstract", "keywords"],  # PubMed's [tiab] includes author keywords
    "tw": ["title", "abstract", "keywords", "mesh_terms", "publication_types"],
    "au": ["authors"],
    "mh": ["mesh_terms"],
    "ot": ["keywords"],
    "ta": ["journal", "journal_iso"],
    "pt": ["publication_types"],
    "dp": ["year"],
    "ab": ["abstract"],
}
# A [pmid], [doi] or [sb] filter -> its condition on the article ``a`` (? is the filter's value).
FILTER_SQL = {
    "pmid": "a.pmid = ?",
    "doi": "lower(a.doi) = ?",
    "hasabstract": "coalesce(a.abstract, '') <> ''",
    "pmc": "coalesce(a.pmcid, '') <> ''",
    "medline": "a.medline_status = 'MEDLINE'",
    "pubmednotmedline": "a.medline_status = 'PubMed-not-MEDLINE'",
}
# bm25 weight of each indexed column.
COLUMN_WEIGHTS = {"title": 10.0, "abstract": 3.0, "mesh_terms": 1.5, "keywords": 1.5, "authors": 1.0,
                  "journal": 0.5, "journal_iso": 0.5, "publication_types": 0.5, "year": 0.2}
# An empty phrase: FTS5 matches no row with it, at once.
NOTHING = '""'
# (columns, weight): the whole query found within these columns adds the weight.
RANK_TIERS = [("title", 4), ("abstract", 2), ("mesh_terms keywords", 1)]
# Rows of a search: the best 200, in rank order. is_retracted is 1 for a retracted
# article (the stored flag, or PubMed's "Retracted Publication" type), else the
# stored flag as it is, so a list can mark a retraction.
SEARCH_SQL = """\
select a.pmid, a.title, a.authors, a.journal_iso as journal, a.year,
  case when a.publication_types like '%"Retracted Publication"%' then 1
    else a.is_retracted end as is_retracted,
  a.references_status, a.completeness
from articles_fts
join articles a on a.pmid = articles_fts.rowid
where :q <> '' and pubmed_query_error(:q) is null and articles_fts match pubmed_fts(:q)
order by {tiers} desc,
  bm25(articles_fts, {weights}), a.pmid
limit 200"""


def weights_sql() -> str:
    return ", ".join(f"{COLUMN_WEIGHTS[c]:g}" for c in FTS_CONFIG["articles"])


def tiers_sql() -> str:
    return "\n  + ".join(
        f"{weight} * (articles_fts.rowid in (select rowid from articles_fts"
        f" where articles_fts match pubmed_fts(:q, '{columns}')))" for columns, weight in RANK_TIERS)


def search_sql() -> str:
    """The search's SQL, parameter ``:q`` (the query as typed)."""
    return SEARCH_SQL.format(weights=weights_sql(), tiers=tiers_sql())


def fts_expression(query: str, within: str | None = None) -> str:
    """The FTS5 MATCH expression of a PubMed-syntax query; raises ``QuerySyntaxError``.

    ``within`` (space-separated columns) asks where the query's words are found
    there: each term is looked for in those of its columns that are ``within``.
    A term with none of them there ("jain a[au]" when ranking by title) stays a
    condition on its own columns, true of every row the search returns. When no
    term can be there at all, the tier is the same for every row: ``NOTHING``
    spares the index a second run of the whole query.
    """
    tree = indexed_tree(query)
    if within is None:
        return compile_tree(tree)
    columns = within.split()
    if not any(set(FIELD_COLUMNS[t.field] or FTS_CONFIG["articles"]) & set(columns) for t in _terms(tree)):
        return NOTHING
    return compile_tree(tree, columns)


def indexed_tree(query: str) -> Node:
    """The query's tree when the text index alone can answer it (the site's search page), else
    ``QuerySyntaxError`` naming the problem."""
    tree = parse(query)
    if has_filter(tree):
        raise QuerySyntaxError("[pmid], [doi], [sb] and hasabstract are searched by `litbase find`, not by this"
                               " page, which searches the text index only")
    return tree


def has_filter(node: Node) -> bool:
    """Whether the tree asks for a [pmid], [doi] or [sb] fact anywhere."""
    if isinstance(node, Operation):
        return has_filter(node.left) or has_filter(node.right)
    return isinstance(node, Filter)


def filtered_condition(node: Node, params: list, within: list[str] | None = None) -> str:
    """A tree holding filters as a condition on ``articles a`` (its ? values appended to ``params``):
    each maximal part without filters one FTS5 MATCH, parenthesised left to right as PubMed reads."""
    if isinstance(node, Filter):
        sql = FILTER_SQL[node.field if node.field != "sb" else node.value]
        if "?" in sql:
            params.append(int(node.value) if node.field == "pmid" else node.value)
        return sql
    if isinstance(node, Operation) and has_filter(node):
        left = filtered_condition(node.left, params, within)
        right = filtered_condition(node.right, params, within)
        return f"({left} {'AND NOT' if node.operator == 'NOT' else node.operator} {right})"
    params.append(compile_tree(node, within))
    return "a.pmid in (select rowid from articles_fts where articles_fts match ?)"


def filtered_search_sql(tree: Node) -> tuple[str, list]:
    """The search's SQL and parameters for a tree with filters: the same columns, ranked by tier, then PMID."""
    params: list = []
    where = filtered_condition(tree, params)  # before the tiers: the ? values follow the text's order
    tiers = [f"{weight} * ({filtered_condition(tree, params, columns.split())})" for columns, weight in RANK_TIERS]
    select = SEARCH_SQL.split("from articles_fts", 1)[0]
    return (f"{select}from articles a\nwhere {where}\norder by " + "\n  + ".join(tiers) + " desc, a.pmid\nlimit 200",
            params)


def _terms(node: Node) -> list[Term]:
    if isinstance(node, Operation):
        return _terms(node.left) + _terms(node.right)
    return [node] if isinstance(node, Term) else []


def compile_tree(node: Node, within: list[str] | None = None) -> str:
    """A query tree as FTS5 syntax, every operation parenthesised (FTS5's own precedence
    is NOT > AND > OR; PubMed's is left to right)."""
    if isinstance(node, Operation):
        return f"({compile_tree(node.left, within)} {node.operator} {compile_tree(node.right, within)})"
    if isinstance(node, Years):
        years = " OR ".join(f'"{y}"' for y in range(node.first, node.last + 1))
        return f"{_columns(FIELD_COLUMNS['dp'])}({years})"
    columns = FIELD_COLUMNS[node.field]
    if within:
        columns = [c for c in (columns or FTS_CONFIG["articles"]) if c in within] or columns
    return _columns(columns) + _phrase(node)


def _phrase(term: Term) -> str:
    # Quoted, so FTS5 reads no syntax in what was typed and tokenises it as it
    # tokenised the text ("covid-19" is the phrase covid 19); * after the closing
    # quote makes its last token a prefix.
    text = " ".join(term.words).replace('"', '""')
    return f'"{text}"' + (" *" if term.truncated else "")


def _columns(columns: list[str] | None) -> str:
    return "" if columns is None else "{" + " ".join(columns) + "} : "


def pubmed_fts(query: str | None, within: str | None = None) -> str:
    """The SQL function: ``articles_fts MATCH pubmed_fts(:q)`` (or ``pubmed_fts(:q, 'title')``)."""
    return fts_expression(query or "", within)


def pubmed_query_error(query: str | None) -> str | None:
    """The SQL function: what is wrong with a query, or NULL when it can be read.

    The search checks it first, so an unreadable query gives no rows (the
    page and the JSON say why) rather than SQLite's bare "user-defined
    function raised exception" and a traceback in the server's log.
    """
    try:
        fts_expression(query or "")
    except QuerySyntaxError as error:
        return str(error)
    return None


def register_functions(conn: sqlite3.Connection) -> None:
    """Add ``pubmed_fts(query)``, ``pubmed_fts(query, columns)`` and ``pubmed_query_error(query)``."""
    conn.create_function("pubmed_query_error", 1, pubmed_query_error, deterministic=True)
    conn.create_function("pubmed_fts", 1, pubmed_fts, deterministic=True)
    conn.create_function("pubmed_fts", 2, pubmed_fts, deterministic=True)


def search(conn: sqlite3.Connection, query: str) -> list[dict]:
    """The search's rows, best first; raises ``QuerySyntaxError`` for a query it cannot read."""
    tree = parse(query)  # the error itself, not SQLite's "user-defined function raised exception"
    if has_filter(tree):
        cursor = conn.execute(*filtered_search_sql(tree))
    else:
        register_functions(conn)
        cursor = conn.execute(search_sql(), {"q": query})
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]
