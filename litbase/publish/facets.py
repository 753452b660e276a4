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
"""

from __future__ import annotations

import re
import sqlite3

from datasette.database import QueryInterrupted
from datasette.facets import Facet
from datasette.utils import path_with_added_args, path_with_removed_args, sqlite_timelimit

from litbase.graph.facets import FacetIndex
from litbase.store import site_counts

# Facet indexes loaded in this process, by database file: (inputs, FacetIndex).
_LOADED: dict[str, tuple[str, FacetIndex]] = {}
# Per read connection: (data_version, valid stored inputs or None), so the
# fingerprint is recomputed only after another connection wrote.
# The connection itself is kept beside its verdict: a closed connection's id may be
# reused by a new one (sqlite3 connections take no weak references).
_CHECKED: dict[int, tuple[sqlite3.Connection, int, str | None]] = {}


def valid_inputs(conn) -> str | None:
    """The inputs of the stored site tables if they describe the data as it is now, else None."""
    version = site_counts.data_version(conn)
    checked = _CHECKED.get(id(conn))
    if checked and checked[0] is conn and checked[1] == version:
        return checked[2]
    stored = site_counts.stored_inputs(conn)
    if stored is not None and stored != site_counts.current_inputs(conn):
        stored = None
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
    return loaded[1]


def indexed_counts(conn, index: FacetIndex, sql: str, params, wanted: list[tuple[str, bool]],
                   size: int) -> dict[str, tuple[list[tuple], bool]]:
    """{column: (first ``size`` values with counts, more?)} of the facets the current index holds.

    Over every article when the page's SQL has no where clause (Datasette adds
    one for any filter, search or ``_where``), else over the PMIDs of its rows.
    Runs in the read thread: numpy work stays off the event loop.
    """
    mask = None
    if params or re.search(r"\bwhere\b", sql, re.I):
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
        if index is not None:
            try:
                counted = await _limited(db, self.ds.setting("sql_time_limit_ms"), indexed_counts,
                                         index, self.sql, self.params, wanted, size)
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
        arg = f"{column}__arraycontains" if kind == "array" else (
            f"{column}__exact" if column.startswith("_") else column)
        values = []
        for value, count in shown:
            selected = (arg, str(value)) in pairs
            path = (path_with_removed_args(self.request, {arg: str(value)}) if selected
                    else path_with_added_args(self.request, {arg: value}))
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
