"""The store is the one door to the database: its ID-list helpers, and no SQL anywhere else."""

from __future__ import annotations

import ast
import sqlite3
from pathlib import Path

import sqlite_utils

import litbase
from litbase.store.sql import execute_in, placeholders, select_in

PACKAGE = Path(litbase.__file__).parent
# What runs SQL: sqlite3's and Datasette's execute family, sqlite-utils' table writers and
# counters, and any table reached as db[name].
SQL_CALLS = {"execute", "executemany", "executescript", "query", "insert", "insert_all", "upsert",
             "upsert_all", "count_where", "delete_where"}
# Modules outside store/ allowed to run SQL of their own: none. Should one ever be needed
# for a while, name it here; the test below fails for an entry that runs no SQL, so the
# list cannot go stale.
NOT_YET_MOVED: set[str] = set()


def sql_sites(tree: ast.AST) -> list[str]:
    """Line and expression of every SQL call or ``db[table]`` in a module."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SQL_CALLS:
            found.append((node.lineno, ast.unparse(node.func)))
        elif isinstance(node, ast.Subscript):
            owner = node.value
            name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
            if name == "db":
                found.append((node.lineno, ast.unparse(node)))
    return [f"line {line}: {code}" for line, code in sorted(found)]


def sql_outside_store() -> dict[str, list[str]]:
    """Module path (relative to litbase/) -> its SQL sites, for every module outside store/."""
    sites = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = path.relative_to(PACKAGE).as_posix()
        if module.startswith(("store/", "mirror/")):  # mirror/: DuckDB over Parquet, its own store
            continue
        found = sql_sites(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if found:
            sites[module] = found
    return sites


def test_only_the_store_runs_sql():
    offenders = {m: s for m, s in sql_outside_store().items() if m not in NOT_YET_MOVED}
    assert offenders == {}, "SQL outside litbase/store/ (move it into a store function): " + "; ".join(
        f"{module} {', '.join(sites)}" for module, sites in offenders.items())


def test_the_list_of_modules_not_yet_moved_holds_only_modules_that_run_sql():
    moved = sorted(NOT_YET_MOVED - set(sql_outside_store()))
    assert moved == [], f"these run no SQL any more; take them off NOT_YET_MOVED: {moved}"


def test_the_check_sees_sql_in_its_usual_forms():
    tree = ast.parse(
        "db.conn.execute('SELECT 1')\n"
        "conn.executemany('INSERT INTO t VALUES (?)', rows)\n"
        "db.query('SELECT 1')\n"
        "db['articles'].count_where('pmid = ?', [1])\n"
        "self.db['fetches'].insert(row)\n"
        "counts.update(more)\n")
    assert [site.split(":")[0] for site in sql_sites(tree)] == [
        "line 1", "line 2", "line 3", "line 4", "line 4", "line 5", "line 5"]


def capped_db(rows: int) -> sqlite_utils.Database:
    """An in-memory table of ``rows`` numbers, on a connection that takes at most 999 parameters
    a statement (SQLite's cap before 3.32), so that a statement over a long list would fail."""
    conn = sqlite3.connect(":memory:")
    conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)
    db = sqlite_utils.Database(conn)
    conn.execute("CREATE TABLE numbers (n INTEGER PRIMARY KEY, kind TEXT)")
    conn.executemany("INSERT INTO numbers VALUES (?, ?)",
                     [(n, "even" if n % 2 == 0 else "odd") for n in range(rows)])
    return db


def test_placeholders_mark_one_parameter_per_value():
    assert placeholders([7, 8, 9]) == "?,?,?"
    assert placeholders(("a",)) == "?"


def test_select_in_takes_more_ids_than_one_statement_may_bind():
    db = capped_db(3000)
    ids = list(range(0, 5000, 2))  # 2,500 IDs, half of them not in the table
    found = select_in(db, "SELECT n FROM numbers WHERE n IN ({ids}) AND kind = ?", ids, ["even"])
    assert sorted(r[0] for r in found) == list(range(0, 3000, 2))
    # One statement over the whole list is what the helper spares its callers.
    try:
        db.conn.execute(f"SELECT n FROM numbers WHERE n IN ({placeholders(ids)})", ids)
    except sqlite3.OperationalError as error:
        assert "too many SQL variables" in str(error)
    else:
        raise AssertionError("the connection was meant to refuse 2,500 parameters")


def test_execute_in_writes_over_every_chunk():
    db = capped_db(3000)
    execute_in(db, "DELETE FROM numbers WHERE n IN ({ids})", range(1000, 3000))
    assert db.conn.execute("SELECT count(*), max(n) FROM numbers").fetchone() == (1000, 999)
