"""The ``counted`` facet: Datasette's column and array facets, counted from the stored facet index.

In metadata.yml a table lists ``- counted: journal_iso`` (or ``- counted:
{column: year, order: value_desc}``) instead of ``- journal_iso``. The facet
looks and links like Datasette's own (a column facet selects ``col=value``, an
array facet ``col__arraycontains=value``), but its counts come from
``facet_index`` (``litbase.store.site_counts``, built at graph/import time):
the unfiltered table reads precomputed totals, a filtered page fetches the
PMIDs of its rows once and counts every facet over them with
``litbase.graph.facets.FacetIndex``. When the index is missing or older than
the data (``site_facts.inputs``), or the column is not indexed, it runs
Datasette's own facet SQL, so a count is never stale.

``order: value_desc`` lists values by value, highest first (years, newest
first); otherwise by count, as Datasette does.

A selection of an array facet (``mesh_terms__arraycontains=Humans``) is read
from the index too. Datasette's own filter parses every article's JSON array
(about 4 s at 500,000 articles, and every facet timed out), so
``array_selection_app`` renames it ``_has_mesh_terms=Humans`` before Datasette
sees it, and ``selection_filters`` (the ``filters_from_request`` hook) turns
that into ``litbase_facet_has(litbase_facet_set('mesh_terms', :value), pmid)``, a set
lookup per article, while the index is current, and into Datasette's own JSON clause when
it is not. A page filtered by facet selections alone (these, and a column
facet's ``year=2021``) counts its facets from the index's own masks, without
running its SQL again.
"""

from __future__ import annotations

import itertools
import os
import re
import sqlite3
from urllib.parse import parse_qsl, urlencode

import numpy as np
from datasette.database import QueryInterrupted, Results
from datasette.facets import Facet
from datasette.filters import FilterArguments
from datasette.utils import path_with_added_args, path_with_removed_args, sqlite_timelimit

from litbase.graph.facets import FacetIndex
from litbase.publish.pages import query_rewriting_app
from litbase.store import site_counts

# Facet indexes loaded in this process, by database file: (inputs, FacetIndex).
_LOADED: dict[str, tuple[str, FacetIndex]] = {}
# Per read connection: (data_version, valid stored inputs or None), so the
# fingerprint is recomputed only after another connection wrote.
# The connection itself is kept beside its verdict: a closed connection's id may be
# reused by a new one (sqlite3 connections take no weak references).
_CHECKED: dict[int, tuple[sqlite3.Connection, int, str | None]] = {}
# The latest verdict of valid_inputs by database file: (file_signature, inputs or None).
_VERIFIED: dict[str, tuple[tuple, str | None]] = {}
# PMIDs holding a value of an array facet, by the loaded index of a database file:
# {path: {facet: {value: PMIDs}}}.
_MEMBERS: dict[str, dict[str, dict[str, frozenset]]] = {}
MEMBER_SETS_KEPT = 8  # a set is about 60 bytes an article: kept for the few latest selections
# Numbers naming (path, facet, value) for litbase_facet_has: a new number when the index changes.
# Forgotten after SET_NUMBERS_KEPT distinct selections (a statement still running on a forgotten
# number fails once; the page asked again gets a new one).
_SET_NUMBERS: dict[tuple, int] = {}
_SET_KEYS: dict[int, tuple[str, str, str]] = {}
_NEXT_NUMBER = itertools.count()
SET_NUMBERS_KEPT = 10_000
# The table the facet index describes, and how a selection of one of its array facets is named
# once renamed (a name starting with _ and without __: Datasette leaves it to the hooks).
INDEXED_TABLE = "articles"
SELECTED = "_has_"
SELECTION_PARAM = "litbase_has_"  # the SQL parameters of the selections: litbase_has_0, ...
ARRAY_FACETS = [column for column, kind in site_counts.COUNTED_FACETS.items() if kind == "array"]
COLUMN_FACETS = [column for column, kind in site_counts.COUNTED_FACETS.items() if kind == "column"]
TABLE_PATH = re.compile(r"/(?P<database>[^/]+)/" + INDEXED_TABLE + r"(?:\.[A-Za-z0-9_]+)?")
# Arguments that do not change which articles a table page selects: with only these beside the
# facet selections, the page's facets are counted from the index's masks.
PRESENTATION_ARGS = {"_size", "_col", "_nocol", "_columns", "_sort", "_sort_desc", "_labels", "_nolabels",
                     "_shape", "_facet", "_facet_array", "_facet_date", "_facet_counted", "_facet_size",
                     "_nofacet", "_nocount", "_nosuggest", "_trace", "_json", "_json_infinity",
                     "_timelimit", "_ttl", "_dl", "_stream", "_extra", "_context"}


def file_signature(path: str) -> tuple:
    """What changes when a commit reaches the database file: its and its WAL's stat."""
    signature = []
    for name in (path, path + "-wal"):
        try:
            found = os.stat(name)
        except FileNotFoundError:
            signature.append(None)
            continue
        signature.append((found.st_ino, found.st_size, found.st_mtime_ns))
    return tuple(signature)


def valid_inputs(conn) -> str | None:
    """The inputs of the stored site tables if they describe the data as it is now, else None.

    The fingerprint reads every article and link (about 0.2 s at 500,000 articles): each of
    Datasette's read connections reuses the verdict of another while the file's signature
    (size and time of the file and its WAL) is the one it was computed for.
    """
    version = site_counts.data_version(conn)
    checked = _CHECKED.get(id(conn))
    if checked and checked[0] is conn and checked[1] == version:
        return checked[2]
    path = site_counts.database_file(conn)
    signature = file_signature(path) if path else None
    shared = _VERIFIED.get(path) if path else None
    if shared is not None and shared[0] == signature:
        stored = shared[1]
    else:
        stored = site_counts.stored_inputs(conn)
        if stored is not None and stored != site_counts.current_inputs(conn):
            stored = None
        if path:
            _VERIFIED[path] = (signature, stored)
    _CHECKED[id(conn)] = (conn, version, stored)
    return stored


def current_index(conn, path: str) -> FacetIndex | None:
    """The stored facet index if it describes the data as it is now, else None (in the read thread)."""
    inputs = valid_inputs(conn)
    if inputs is None:
        return None
    loaded = _LOADED.get(path)
    if loaded is None or loaded[0] != inputs:
        parts = site_counts.facet_index_parts(conn)
        if "" not in parts:
            return None
        loaded = _LOADED[path] = (inputs, FacetIndex.from_parts(parts))
        _MEMBERS[path] = {}
    return loaded[1]


def value_mask(index: FacetIndex, facet: str, value: str) -> np.ndarray | None:
    """Which articles (positions in ``index.pmids``) hold ``value`` (as the query string gives it)
    in ``facet``; None when no stored value reads as it (SQLite may still match it: ``2021.0``)."""
    spec = index.facets[facet]
    # A column facet's values are stored with their column's affinity (INTEGER or TEXT), so the
    # one SQLite finds equal to the text is the one that prints as it.
    codes = [code for code, stored in enumerate(spec["values"]) if str(stored) == value]
    if not codes:
        return None
    positions = np.flatnonzero(np.isin(spec["codes"], codes))
    mask = np.zeros(len(index.pmids), dtype=bool)
    if spec["kind"] == "column":
        mask[positions] = True
    else:
        # Article i's codes are codes[offsets[i]:offsets[i + 1]].
        mask[np.searchsorted(spec["offsets"], positions, side="right") - 1] = True
    return mask


def members(path: str, facet: str, value: str) -> frozenset:
    """The PMIDs whose array facet ``facet`` holds ``value``, by the index loaded for ``path``."""
    loaded = _LOADED.get(path)
    if loaded is None:  # not loaded in this process: selection_filters asked SQLite's JSON instead
        return frozenset()
    kept = _MEMBERS.setdefault(path, {}).setdefault(facet, {})
    if value not in kept:
        if len(kept) >= MEMBER_SETS_KEPT:
            kept.clear()
        mask = value_mask(loaded[1], facet, value)
        kept[value] = frozenset() if mask is None else frozenset(loaded[1].pmids[mask].tolist())
    return kept[value]


def set_number(path: str, facet: str, value: str) -> int:
    """The number naming the PMIDs that hold ``value`` by the index now loaded for ``path``."""
    loaded = _LOADED.get(path)
    key = (path, loaded[0] if loaded else None, facet, value)
    number = _SET_NUMBERS.get(key)
    if number is None:
        if len(_SET_NUMBERS) >= SET_NUMBERS_KEPT:
            _SET_NUMBERS.clear()
            _SET_KEYS.clear()
        number = _SET_NUMBERS[key] = next(_NEXT_NUMBER)
        _SET_KEYS[number] = (path, facet, value)
    return number


def register_functions(conn, path: str) -> None:
    """``litbase_facet_set(facet, value)``, ``litbase_facet_has(set, pmid)`` and
    ``litbase_site_current()`` on a read connection of the database at ``path``."""
    sets: dict[int, frozenset] = {}  # this connection's latest sets, by number

    def has(number, pmid):
        found = sets.get(number)
        if found is None:
            if len(sets) >= MEMBER_SETS_KEPT:
                sets.clear()
            found = sets[number] = members(*_SET_KEYS[number])
        return pmid in found

    site_counts.register_facet_has(conn, lambda facet, value: set_number(path, facet, value), has)
    site_counts.register_site_current(conn, lambda: valid_inputs(conn) is not None)


def array_selections(pairs) -> list[tuple[str, str]]:
    """(facet, value) of each renamed array selection among query-string ``pairs``."""
    return [(key[len(SELECTED):], value) for key, value in pairs
            if key.startswith(SELECTED) and key[len(SELECTED):] in ARRAY_FACETS]


def facet_selections(pairs) -> list[tuple[str, str]] | None:
    """(facet, value) of each selection when the page's rows are exactly the articles holding
    them all (renamed array selections, a column facet's ``col=value`` or ``col__exact=value``,
    beside arguments that select nothing), else None."""
    found = []
    for key, value in pairs:
        column = key[:-len("__exact")] if key.endswith("__exact") else key
        if key.startswith(SELECTED) and key[len(SELECTED):] in ARRAY_FACETS:
            found.append((key[len(SELECTED):], value))
        elif column in COLUMN_FACETS:
            found.append((column, value))
        elif key not in PRESENTATION_ARGS:
            return None
    return found


def renamed_selections(path: str, query_string: str, databases) -> str:
    """The query string with each ``<array facet>__arraycontains`` renamed ``_has_<array facet>``."""
    found = TABLE_PATH.fullmatch(path)
    if not found or found["database"] not in databases or "__arraycontains" not in query_string:
        return query_string
    pairs = parse_qsl(query_string, keep_blank_values=True)
    renamed = [(f"{SELECTED}{key[:-len('__arraycontains')]}"
                if key.endswith("__arraycontains") and key[:-len("__arraycontains")] in ARRAY_FACETS
                else key, value) for key, value in pairs]
    return urlencode(renamed) if renamed != pairs else query_string


def array_selection_app(app, datasette):
    """ASGI wrapper: array facet selections of the indexed table reach Datasette renamed."""
    return query_rewriting_app(app, lambda path, query: renamed_selections(path, query, datasette.databases))


async def selection_filters(request, database, table, datasette):
    """The ``filters_from_request`` hook: where clauses for the renamed array selections."""
    if table != INDEXED_TABLE:
        return None
    selections = array_selections((key, value) for key in request.args for value in request.args.getlist(key))
    if not selections:
        return None
    db = datasette.get_database(database)
    index = await db.execute_fn(lambda conn: current_index(conn, db.path))
    clauses, params, described = [], {}, []
    for number, (facet, value) in enumerate(selections):
        param = f"{SELECTION_PARAM}{number}"
        clauses.append(site_counts.array_selection_sql(facet, param, index is not None and facet in index.facets))
        params[param] = value
        described.append(f'{facet} contains "{value}"')
    return FilterArguments(clauses, params, described)


# Datasette's count of a table page (0.65: views/table.py), when its where clause is array facet
# selections alone: counted from the index's masks instead of one Python call per article
# (a quarter of a second for "Humans" at 500,000 articles).
SELECTION_CLAUSE = re.compile(site_counts.FACET_HAS_FUNCTION + r"\(" + site_counts.FACET_SET_FUNCTION
                              + r"\('(?P<facet>\w+)', :(?P<param>" + SELECTION_PARAM + r"\d+)\), pmid\)")


def counted_selections(sql: str, params) -> list[tuple[str, str]] | None:
    """(facet, value) of each array selection when ``sql`` is Datasette's count of the indexed
    table filtered by those alone (in the form selection_filters writes), else None."""
    if not params or site_counts.FACET_HAS_FUNCTION not in sql:  # most SQL Datasette runs
        return None
    found = [(m["facet"], m["param"]) for m in SELECTION_CLAUSE.finditer(sql)]
    if not found or any(facet not in ARRAY_FACETS or param not in params for facet, param in found):
        return None
    if sql != site_counts.selections_count_sql(INDEXED_TABLE, found):
        return None
    return [(facet, str(params[param])) for facet, param in found]


def selection_count(conn, path: str, selections: list[tuple[str, str]]) -> int | None:
    """How many articles hold every selected value, by the current index; None without one."""
    index = current_index(conn, path)
    if index is None or any(facet not in index.facets for facet, _ in selections):
        return None
    masks = [value_mask(index, facet, value) for facet, value in selections]
    if any(mask is None for mask in masks):
        return 0  # no stored value reads as it: litbase_facet_has matches no article either
    return int(np.count_nonzero(np.logical_and.reduce(masks)))


def count_from_index(db) -> None:
    """Answer ``db``'s table-page counts of array facet selections from the facet index."""
    if getattr(db, "litbase_counts", False) or db.is_memory or not db.path:
        return
    execute = db.execute

    async def counting_execute(sql, params=None, *args, **kwargs):
        selections = counted_selections(sql, params) if isinstance(sql, str) else None
        if selections:
            count = await db.execute_fn(lambda conn: selection_count(conn, db.path, selections))
            if count is not None:
                return Results([(count,)], False, [("count(*)", None, None, None, None, None, None)])
        return await execute(sql, params, *args, **kwargs)

    db.execute = counting_execute
    db.litbase_counts = True


def indexed_counts(conn, index: FacetIndex, sql: str, params, wanted: list[tuple[str, bool]],
                   size: int, selections: list[tuple[str, str]] | None = None) -> dict[str, tuple[list[tuple], bool]]:
    """{column: (first ``size`` values with counts, more?)} of the facets the current index holds.

    Over every article when the page's SQL has no where clause (Datasette adds
    one for any filter, search or ``_where``); over the articles holding every
    value of ``selections`` when those alone select the page's rows (and each
    reads as a stored value); else over
    the PMIDs of its rows. Runs in the read thread: numpy work stays off the
    event loop.
    """
    mask = None
    masks = [value_mask(index, facet, value) for facet, value in selections or ()]
    if masks and all(m is not None for m in masks):
        mask = np.logical_and.reduce(masks)
    elif params or re.search(r"\bwhere\b", sql, re.I):
        mask = index.mask(site_counts.selected_pmids(conn, sql, params))
    return {column: index.top(column, size, mask, by_value)
            for column, by_value in wanted if column in index.facets}


async def _limited(db, limit_ms: int, fn, *args):
    """``fn(conn, *args)`` in Datasette's read thread under a time limit; QueryInterrupted past it."""

    def in_thread(conn):
        with sqlite_timelimit(conn, limit_ms):
            try:
                return fn(conn, *args)
            except sqlite3.OperationalError as error:
                if error.args == ("interrupted",):
                    raise QueryInterrupted(error, fn.__name__, args)
                raise

    return await db.execute_fn(in_thread)


class CountedFacet(Facet):
    type = "counted"

    async def facet_results(self):
        configs = [(c["config"].get("column") or c["config"]["simple"], c["config"], c["source"])
                   for c in self.get_configs()]
        if not configs:
            return [], []
        db = self.ds.get_database(self.database)
        size = self.get_facet_size()
        wanted = [(column, config.get("order") == "value_desc") for column, config, _ in configs]
        # Loading (once per process and data version) is not the page's query: no time limit.
        index = await db.execute_fn(lambda conn: current_index(conn, db.path))
        counted = {}
        pairs = self.get_querystring_pairs()
        selections = facet_selections(pairs)
        if index is not None and all(facet in index.facets for facet, _ in selections or ()):
            try:
                counted = await _limited(db, self.ds.setting("sql_time_limit_ms"), indexed_counts,
                                         index, self.sql, self.params, wanted, size, selections)
            except QueryInterrupted:
                pass
        results, timed_out = [], []
        for (column, by_value), (_, _, source) in zip(wanted, configs):
            kind = site_counts.COUNTED_FACETS.get(column, "column")
            if column in counted:
                shown, truncated = counted[column]
            else:
                try:
                    counts = await self._live_counts(db, column, kind)
                except QueryInterrupted:
                    timed_out.append(column)
                    continue
                ordered = (sorted(counts, key=lambda vc: vc[0], reverse=True) if by_value
                           else sorted(counts, key=lambda vc: (-vc[1], vc[0])))
                shown, truncated = ordered[:size], len(ordered) > size
            results.append(self._result(column, kind, shown, truncated, source))
        return results, timed_out

    async def _live_counts(self, db, column: str, kind: str) -> list[tuple]:
        return await _limited(db, self.ds.setting("facet_time_limit_ms"),
                              site_counts.live_facet_counts, kind, column, self.sql, self.params)

    def _result(self, column: str, kind: str, shown: list[tuple], truncated: bool, source: str) -> dict:
        pairs = self.get_querystring_pairs()
        # An array selection arrives renamed (array_selection_app); a link adds it in Datasette's form.
        arg = f"{SELECTED}{column}" if kind == "array" else (
            f"{column}__exact" if column.startswith("_") else column)
        adding = f"{column}__arraycontains" if kind == "array" else arg
        values = []
        for value, count in shown:
            selected = (arg, str(value)) in pairs
            path = (path_with_removed_args(self.request, {arg: str(value)}) if selected
                    else path_with_added_args(self.request, {adding: value}))
            values.append({"value": value, "label": value, "count": count, "selected": selected,
                           "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path))})
        return {
            "name": column,
            "type": kind,
            "hideable": source != "metadata",
            "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_counted": column})),
            "results": values,
            "truncated": truncated,
        }
