"""Derived tables that keep the site fast at any size: facet codes, overview counts, the overview network.

A table page with eight facets, the overview's counts and its network drawing
each read every article (and, for the network, every citation) when computed
on request: at 500,000 articles that is seconds per page. They are computed
here once, when the data changes (``litbase graph``, ``build``, ``fetch``,
``import``), and read by the pages in milliseconds:

- ``facet_index``: for each counted facet column, the distinct values and
  every article's value codes (packed arrays, built by
  ``litbase.graph.facets``), so a facet count over the whole table or over
  any filtered set of articles is an array count, not a scan of the table;
- ``site_facts``: article and distinct-link counts, and the ``inputs``
  fingerprint they were computed from;
- ``overview_network`` and ``overview_network_links``: the best-linked
  articles (seeds first), ranked as the overview drawing ranks them, and the
  links between them;
- ``cocited_top``: the co-cited list of every article cited by 500 articles
  or more, as the ``co_cited`` canned query lists it (its first 500 rows,
  with the citing articles of each pair); the article page shows the first 20.

``inputs`` (counts and PMID sums of articles and citations) tells a reader
whether the tables still describe the data; a page that finds them stale
computes on request, as before.
"""

from __future__ import annotations

import json

from litbase.store.rows import table_exists

# Facet columns counted ahead: one value per article ("column") or a JSON array ("array").
COUNTED_FACETS = {
    "year": "column",
    "journal_iso": "column",
    "publication_types": "array",
    "mesh_terms": "array",
    "references_status": "column",
    "record_source": "column",
    "is_research_article": "column",
    "is_clinical": "column",
    "cites_retracted": "column",
}
# The overview drawing shows up to max_network_nodes (300 by default); this many are ranked ahead.
NETWORK_RANKED = 1000

DDL = [
    # value codes: "values" is a JSON list; codes/offsets are packed little-endian arrays.
    'CREATE TABLE IF NOT EXISTS facet_index (facet TEXT PRIMARY KEY, kind TEXT, "values" TEXT,'
    " offsets BLOB, codes BLOB)",
    "CREATE TABLE IF NOT EXISTS site_facts (name TEXT PRIMARY KEY, value)",
    "CREATE TABLE IF NOT EXISTS overview_network (rank INTEGER PRIMARY KEY, pmid INTEGER, title TEXT,"
    " year INTEGER, is_seed INTEGER, links INTEGER)",
    "CREATE TABLE IF NOT EXISTS overview_network_links (citing INTEGER, cited INTEGER,"
    " PRIMARY KEY (citing, cited))",
    "CREATE TABLE IF NOT EXISTS cocited_top (pmid INTEGER, rank INTEGER, other INTEGER, count INTEGER,"
    " cited_together_by TEXT, PRIMARY KEY (pmid, rank))",
]
# Columns a site table gained after bases were built with it: added when the tables are recomputed.
ADDED_COLUMNS = {"cocited_top": {"cited_together_by": "TEXT"}}
SITE_TABLES = {"facet_index", "site_facts", "overview_network", "overview_network_links", "cocited_top"}
# The article page's co-cited list of an article cited by this many articles or more is counted
# here: counted on request it reads every reference list of every citing article (a landmark of
# 8,700 citing articles at 500,000: 260,000 links, a quarter of a second); below it, tens of ms.
COCITED_AHEAD_CITERS = 500
# The rows of a landmark kept ahead: as many as the co_cited canned query lists.
COCITED_AHEAD_ROWS = 500
# Each article cited together with :pmid (by the same citing article), how often and by which
# citing articles, each (co-cited, citing) pair once, counted on the citations indexes alone. The
# co_cited canned query (metadata.yml) holds this text: it counts so when nothing is kept ahead.
CO_CITED_COUNTED_SQL = """select cited as pmid, count(*) as times_cited_together,
    group_concat(citing) as cited_together_by
  from (select distinct other.cited, other.citing
        from citations mine
        join citations other on other.citing = mine.citing and other.cited != mine.cited
        where mine.cited = :pmid)"""
# The rows kept for a landmark, in the canned query's order (most often first, then newest).
LANDMARK_CO_CITED_SQL = f"""
with counted as ({CO_CITED_COUNTED_SQL}
  group by cited)
select g.pmid, g.times_cited_together, g.cited_together_by from counted g
left join articles a on a.pmid = g.pmid
order by g.times_cited_together desc, a.year desc, g.pmid
limit :shown
"""
# Articles cited by at least :citers articles (the index on cited, citing: no table read).
LANDMARKS_SQL = """
select cited from citations
group by cited having count(distinct citing) >= :citers
order by cited
"""

# Cheap enough to check when a page finds the file written since it last looked (index
# scans, no table scan); a field corrected in place is caught by the recomputation that
# every writing command (import, fetch, build, graph) ends with.
INPUTS_SQL = [
    "SELECT count(*), total(pmid) FROM articles",
    "SELECT count(*), total(citing), total(cited) FROM citations",
]
# Links between two stored articles, each once: a join, not ``IN (SELECT ...)`` probes. It goes
# from each stored article to the links citing it (CROSS JOIN keeps that order): most links of
# PubMed records cite articles not stored, and every one has its citing article stored, so from
# the citing side it reads every link (pubmed21n1298 into the knowledge base: 31 ms; so 3 ms).
STORED_LINKS_SQL = """
SELECT DISTINCT c.citing, c.cited FROM articles b
CROSS JOIN citations c ON c.cited = b.pmid
JOIN articles a ON a.pmid = c.citing
"""
RANKED_SQL = f"""
WITH links AS ({STORED_LINKS_SQL}),
degree AS (
  SELECT pmid, sum(n) AS links FROM (
    SELECT citing AS pmid, count(*) AS n FROM links GROUP BY citing
    UNION ALL SELECT cited, count(*) FROM links GROUP BY cited)
  GROUP BY pmid),
seeds AS (SELECT DISTINCT pmid FROM collections_articles WHERE role = 'seed'),
-- ranked on PMIDs alone (an index scan), the titles read for the :limit kept only
ranked AS (
  SELECT a.pmid, a.pmid IN (SELECT pmid FROM seeds) AS is_seed, coalesce(d.links, 0) AS links
  FROM articles a LEFT JOIN degree d ON d.pmid = a.pmid
  ORDER BY is_seed DESC, links DESC, a.pmid
  LIMIT :limit)
SELECT r.pmid, a.title, a.year, r.is_seed, r.links
FROM ranked r CROSS JOIN articles a ON a.pmid = r.pmid
ORDER BY r.is_seed DESC, r.links DESC, r.pmid
"""


# Datasette's facet SQL (0.65), for a facet the index does not hold; {sql} is the page's own.
LIVE_FACET_SQL = {
    "column": "SELECT {col} AS value, count(*) AS count FROM ({sql}) WHERE {col} IS NOT NULL GROUP BY {col}",
    # each value once per row, as Datasette's array facet counts
    "array": "WITH inner AS ({sql}), items AS (SELECT DISTINCT j.value, inner.* FROM json_each(inner.{col}) j"
             " JOIN inner) SELECT value, count(*) AS count FROM items GROUP BY value",
}


def ensure_site_tables(conn) -> None:
    """Create the site tables, empty, or give them the columns they gained since (run by
    ``open_db`` too, so a canned query may name them in any database litbase opened)."""
    for statement in DDL:
        conn.execute(statement)
    for table, columns in ADDED_COLUMNS.items():
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for column, kind in columns.items():
            if column not in present:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                # Rows of the older shape lack it: the pages count on request until the next refresh.
                conn.execute(f"DELETE FROM {table}")


def current_inputs(conn) -> str:
    """What the site tables are computed from, in one line (JSON)."""
    return json.dumps([value for sql in INPUTS_SQL for value in conn.execute(sql).fetchone()])


def stored_inputs(conn) -> str | None:
    """The ``inputs`` the site tables were computed from, or None before the first computation."""
    if not table_exists(conn, "site_facts"):
        return None
    row = conn.execute("SELECT value FROM site_facts WHERE name = 'inputs'").fetchone()
    return None if row is None else row[0]


def data_version(conn) -> int:
    """Changes whenever another connection commits (SQLite's PRAGMA data_version)."""
    return conn.execute("PRAGMA data_version").fetchone()[0]


def database_file(conn) -> str | None:
    """The file of the connection's main database; None in memory."""
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return file or None
    return None


def facet_rows(conn):
    """(pmid, one value per counted facet...) of every article, by PMID; arrays as JSON text."""
    columns = ", ".join(COUNTED_FACETS)
    return conn.execute(f"SELECT pmid, {columns} FROM articles ORDER BY pmid")


def site_facts(conn) -> dict:
    """{name: value} of site_facts (empty before the first computation)."""
    if not table_exists(conn, "site_facts"):
        return {}
    return {name: value for name, value in conn.execute("SELECT name, value FROM site_facts")}


def replace_site_tables(conn, index: dict[str, dict], inputs: str, computed_at: str) -> None:
    """Rewrite every site table in one transaction: the facet index given, counts, the ranked network.

    ``index`` maps a facet to {kind, values, offsets, codes} (bytes), the
    article PMIDs under the facet ''. The caller commits.
    """
    ensure_site_tables(conn)
    for table in SITE_TABLES:
        conn.execute(f"DELETE FROM {table}")
    conn.executemany(
        'INSERT INTO facet_index (facet, kind, "values", offsets, codes) VALUES (?, ?, ?, ?, ?)',
        [(facet, p["kind"], json.dumps(p["values"]), p["offsets"], p["codes"]) for facet, p in index.items()])
    ranked = conn.execute(RANKED_SQL, {"limit": NETWORK_RANKED}).fetchall()
    conn.executemany(
        "INSERT INTO overview_network (rank, pmid, title, year, is_seed, links) VALUES (?, ?, ?, ?, ?, ?)",
        [(rank, *row) for rank, row in enumerate(ranked)])
    conn.execute(
        "INSERT INTO overview_network_links (citing, cited) SELECT DISTINCT c.citing, c.cited"
        " FROM citations c JOIN overview_network a ON a.pmid = c.citing"
        " JOIN overview_network b ON b.pmid = c.cited")
    facts = {
        "inputs": inputs,  # no time here: a rerun on the same data leaves the same rows
        "articles_count": conn.execute("SELECT count(*) FROM articles").fetchone()[0],
        "citations_count": conn.execute(
            "SELECT count(*) FROM (SELECT DISTINCT citing, cited FROM citations)").fetchone()[0],
    }
    conn.executemany("INSERT INTO site_facts (name, value) VALUES (?, ?)", facts.items())
    for (pmid,) in conn.execute(LANDMARKS_SQL, {"citers": COCITED_AHEAD_CITERS}).fetchall():
        pairs = conn.execute(LANDMARK_CO_CITED_SQL, {"pmid": pmid, "shown": COCITED_AHEAD_ROWS}).fetchall()
        conn.executemany(
            "INSERT INTO cocited_top (pmid, rank, other, count, cited_together_by) VALUES (?, ?, ?, ?, ?)",
            [(pmid, rank, *row) for rank, row in enumerate(pairs)])


def refresh_planner_statistics(conn) -> None:
    """Sampled ANALYZE: without statistics SQLite reads ``journal_iso = ? AND year = ?`` through the
    year index (a whole year's rows) instead of the journal's; 400 rows an index keeps it quick."""
    conn.execute("PRAGMA analysis_limit = 400")
    # articles only: the table pages filter; the same rows whatever else a rerun has filled.
    conn.execute("ANALYZE articles")


def facet_index_parts(conn) -> dict[str, dict]:
    """{facet: {kind, values, offsets, codes}} as stored (bytes), '' holding the PMIDs."""
    if not table_exists(conn, "facet_index"):
        return {}
    return {facet: {"kind": kind, "values": json.loads(values), "offsets": offsets, "codes": codes}
            for facet, kind, values, offsets, codes in conn.execute(
                'SELECT facet, kind, "values", offsets, codes FROM facet_index')}


def overview_network(conn, max_nodes: int) -> tuple[list[dict], list[tuple[int, int]]] | None:
    """The ``max_nodes`` best-ranked articles and the links between them; None when not ranked that far."""
    stored = conn.execute("SELECT count(*) FROM overview_network").fetchone()[0]
    total = site_facts(conn).get("articles_count")
    if total is None or (stored < max_nodes and stored < total):
        return None
    nodes = [{"pmid": pmid, "title": title, "year": year, "is_seed": bool(is_seed)}
             for pmid, title, year, is_seed in conn.execute(
                 "SELECT pmid, title, year, is_seed FROM overview_network WHERE rank < ? ORDER BY rank",
                 [max_nodes])]
    links = conn.execute(
        "SELECT l.citing, l.cited FROM overview_network_links l"
        " JOIN overview_network a ON a.pmid = l.citing AND a.rank < :n"
        " JOIN overview_network b ON b.pmid = l.cited AND b.rank < :n", {"n": max_nodes}).fetchall()
    return nodes, [(a, b) for a, b in links]


# A selection of a counted array facet (``mesh_terms__arraycontains=Humans``). Datasette's own
# filter, ``:p in (select value from json_each(col))``, parses every article's JSON (seconds at
# 500,000 articles). With a current facet index the page asks instead
# ``litbase_facet_has(litbase_facet_set('mesh_terms', :p), pmid)``: the inner call, constant,
# runs once a statement and names the set of PMIDs the index says hold the value; the outer,
# once an article, is a set lookup (two integers in: strings passed on every row cost as much).
FACET_SET_FUNCTION = "litbase_facet_set"
FACET_HAS_FUNCTION = "litbase_facet_has"


def array_selection_sql(column: str, param: str, indexed: bool) -> str:
    """The where clause selecting articles whose array ``column`` holds ``:param``."""
    if column not in COUNTED_FACETS:
        raise ValueError(f"{column} is not a counted facet")
    if indexed:
        return f"{FACET_HAS_FUNCTION}({FACET_SET_FUNCTION}('{column}', :{param}), pmid)"
    return f':{param} in (select value from json_each("{column}"))'


# ``litbase_site_current()``: 1 while the site tables describe the data as it is (their ``inputs``
# fingerprint holds), so a canned query reads ``cocited_top`` only then.
SITE_CURRENT_FUNCTION = "litbase_site_current"


def selections_count_sql(table: str, selections: list[tuple[str, str]]) -> str:
    """The count Datasette 0.65 runs for a page of ``table`` filtered by these indexed array
    selections alone ((column, parameter) each), as its table view writes it."""
    return f"select count(*) from {table} where " + " and ".join(
        array_selection_sql(column, param, True) for column, param in selections) + " "


def register_site_current(conn, current) -> None:
    """Add ``litbase_site_current()``, answered by ``current()`` (true or false)."""
    # Deterministic: computed once a statement, before the rows are read.
    conn.create_function(SITE_CURRENT_FUNCTION, 0, lambda: 1 if current() else 0, deterministic=True)


def register_facet_has(conn, facet_set, has) -> None:
    """Add ``litbase_facet_set(facet, value)`` (a number naming a set of PMIDs) and
    ``litbase_facet_has(set, pmid)``, answered by ``facet_set`` and ``has``."""
    # Deterministic: SQLite computes a call with constant arguments once a statement.
    conn.create_function(FACET_SET_FUNCTION, 2, facet_set, deterministic=True)
    conn.create_function(FACET_HAS_FUNCTION, 2, has)


# Read pages straight from the file's memory map (SQLite caps it at about 2 GB) instead of copying
# each into a 2 MB page cache: a count over citations or the full-text index's blocks, which
# Datasette's database page makes for every table on every request, takes a third as long.
READ_MMAP_BYTES = 1 << 33


def tune_reader(conn) -> None:
    """Settings of a connection that serves pages."""
    conn.execute(f"PRAGMA mmap_size = {READ_MMAP_BYTES}")


def selected_pmids(conn, sql: str, params) -> list[int]:
    """PMIDs of the rows of a table page's own SQL (Datasette's, already allowed), for its facet counts."""
    return [row[0] for row in conn.execute(f"SELECT pmid FROM ({sql})", params)]


def live_facet_counts(conn, kind: str, column: str, sql: str, params) -> list[tuple]:
    """(value, rows) of ``column`` over a table page's own SQL, counted now ("column" or "array")."""
    quoted = '"' + column.replace('"', '""') + '"'
    return [(value, count) for value, count in conn.execute(
        LIVE_FACET_SQL[kind].format(col=quoted, sql=sql), params)]
