"""The dataset folder: one JSON-lines file per table, read by ``load_dataset``, written by ``snapshot``.

A folder holds ``dataset.json`` (format name, version and the row count of each
table with rows) and ``TABLE.jsonl`` for each of those tables: one row per
line, keys in the table's column order with NULLs left out, rows sorted by
primary key, UTF-8 text.
Sorting and fixed key order make two snapshots of similar databases differ
only where their rows differ, so ``git diff`` reads like a changelog.
docs/dataset-format.md is the reference.
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from litbase.store.cite_keys import fill_cite_key_bases, forget_cite_key_bases
from litbase.store.schema import DERIVED_TABLES, ensure_db_shape
from litbase.store.sql import placeholders
from litbase.store.schema import TABLES as SCHEMA_TABLES

FORMAT = "litbase-dataset"
FORMAT_VERSION = 1

# Every stored table but the derived ones, which `litbase build` recomputes.
TABLES = {name: spec for name, spec in SCHEMA_TABLES.items() if name not in DERIVED_TABLES}
# Derived columns are left out too: loading recomputes them.
DERIVED_COLUMNS = {"articles": {"cite_key_base"}}

# Text columns holding JSON: written as nested JSON so the files read (and
# diff) as data rather than as escaped strings.
JSON_COLUMNS = {
    "articles": {"publication_types", "mesh_terms", "keywords", "abstract_sections",
                 "related_notices", "field_sources"},
    "articles_mesh_terms": {"qualifiers"},
    "collections": {"seed_pmids"},
    "fetches": {"params"},
    "article_provenance": {"other_sources", "notes", "extra"},
}

# A row group the dataset states in full: rows of the database in the same
# group but absent from the file are stale (the store replaces them the same way).
REPLACED_GROUPS = {
    "articles_authors": ("pmid",),
    "articles_mesh_terms": ("pmid",),
    "article_references": ("citing", "source"),
}


class DatasetError(Exception):
    """The folder is not a litbase dataset, or does not match its manifest."""


def _primary_key(name: str) -> tuple[str, ...]:
    pk = TABLES[name]["pk"]
    return (pk,) if isinstance(pk, str) else tuple(pk)


def _encode(table: str, row: dict) -> dict:
    """A database row as a file row: JSON text columns become nested JSON."""
    out = dict(row)
    for column in JSON_COLUMNS.get(table, ()):
        text = out.get(column)
        if not isinstance(text, str):
            continue
        try:
            value = json.loads(text)
        except ValueError:
            continue
        # Only when loading gives back the very same text; otherwise the
        # string is kept as is, so any database round-trips byte for byte.
        if isinstance(value, (list, dict)) and _dump_json(value) == text:
            out[column] = value
    return out


def _dump_json(value) -> str:
    # The form store._json writes.
    return json.dumps(value, ensure_ascii=False)


def _decode(table: str, row: dict) -> dict:
    return {
        column: _dump_json(value) if isinstance(value, (list, dict)) else value
        for column, value in row.items()
    }


def snapshot(db: sqlite_utils.Database, folder) -> dict:
    """Write every table of ``db`` to ``folder``; returns the manifest written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    counts = {}
    for name in TABLES:
        table = db[name]
        lines = []
        if table.exists():
            order = ", ".join(f"[{c}]" for c in _primary_key(name))
            cursor = db.conn.execute(f"SELECT * FROM [{name}] ORDER BY {order}")
            columns = [d[0] for d in cursor.description]
            for values in cursor:
                # NULLs are left out: a column added to the schema later, or a
                # table with no rows, then changes no committed file.
                row = {c: v for c, v in zip(columns, values)
                       if v is not None and c not in DERIVED_COLUMNS.get(name, ())}
                lines.append(json.dumps(_encode(name, row), ensure_ascii=False) + "\n")
        path = folder / f"{name}.jsonl"
        if lines:
            path.write_text("".join(lines), encoding="utf-8")
            counts[name] = len(lines)
        elif path.exists():
            path.unlink()  # a table emptied since the last snapshot
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "tables": counts}
    (folder / "dataset.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def read_manifest(folder) -> dict:
    path = Path(folder) / "dataset.json"
    if not path.is_file():
        raise DatasetError(f"{folder} is not a litbase dataset: it has no dataset.json")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise DatasetError(f"{path}: format is {manifest.get('format')!r}, not {FORMAT!r}")
    if manifest.get("format_version", 0) > FORMAT_VERSION:
        raise DatasetError(
            f"{path}: format version {manifest['format_version']} is newer than this"
            f" litbase reads ({FORMAT_VERSION}); upgrade litbase"
        )
    unknown = set(manifest.get("tables", {})) - set(TABLES)
    if unknown:
        raise DatasetError(f"{path}: unknown tables {', '.join(sorted(unknown))}")
    return manifest


def read_rows(folder, table: str) -> list[dict]:
    path = Path(folder) / f"{table}.jsonl"
    rows = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                rows.append(_decode(table, json.loads(line)))
            except ValueError as error:
                raise DatasetError(f"{path}:{number}: {error}") from None
    return rows


def load_dataset(db: sqlite_utils.Database, folder) -> dict:
    """Upsert a dataset folder's rows into ``db``; returns rows read per table.

    Rows are written as they are in the files, timestamps included, so a
    database built from a snapshot holds the same rows as the one snapshotted.
    """
    manifest = read_manifest(folder)
    ensure_db_shape(db)
    loaded = {}
    protected = _pubmed_records(db)
    with db.conn:
        for name in TABLES:
            if name not in manifest["tables"]:
                continue
            rows = read_rows(folder, name)
            if len(rows) != manifest["tables"][name]:
                raise DatasetError(
                    f"{folder}/{name}.jsonl has {len(rows)} rows; dataset.json says"
                    f" {manifest['tables'][name]} (a truncated or hand-edited file?)"
                )
            if name == "articles":
                protected -= {r["pmid"] for r in rows if r.get("record_source") == "efetch"}
            elif name in ("articles_authors", "articles_mesh_terms"):
                # The byline and headings of a PubMed record stay PubMed's.
                rows = [r for r in rows if r["pmid"] not in protected]
            _upsert_rows(db, name, rows)
            loaded[name] = len(rows)
            if name in ("articles", "articles_authors"):
                # A title, year or byline written here changes the article's cite key.
                forget_cite_key_bases(db, {r["pmid"] for r in rows})
        fill_cite_key_bases(db)
    return loaded


def _pubmed_records(db: sqlite_utils.Database) -> set[int]:
    if not db["articles"].exists():
        return set()
    return {r[0] for r in db.conn.execute("SELECT pmid FROM articles WHERE record_source = 'efetch'")}


def _upsert_rows(db: sqlite_utils.Database, name: str, rows: list[dict]) -> None:
    if not rows:
        return
    table = db[name]
    known = table.columns_dict
    columns = list(dict.fromkeys(c for row in rows for c in row))
    for column in columns:
        # A snapshot from a newer litbase may carry columns this one lacks;
        # keep them rather than drop data.
        if column not in known:
            sample = next((r[column] for r in rows if r.get(column) is not None), "")
            table.add_column(column, type(sample))
    group = REPLACED_GROUPS.get(name)
    if group:
        where = " AND ".join(f"[{c}] = ?" for c in group)
        keys = {tuple(row.get(c) for c in group) for row in rows}
        db.conn.executemany(f"DELETE FROM [{name}] WHERE {where}", list(keys))
    pk = _primary_key(name)
    names = ", ".join(f"[{c}]" for c in columns)
    marks = placeholders(columns)
    updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c not in pk)
    sql = f"INSERT INTO [{name}] ({names}) VALUES ({marks}) ON CONFLICT({', '.join(pk)}) "
    sql += f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    if name == "articles" and updates:
        # A record PubMed itself sent is never replaced by a dataset's
        # partial facts about the same article (building into a fetched db).
        sql += " WHERE articles.record_source IS NOT 'efetch' OR excluded.record_source = 'efetch'"
    db.conn.executemany(sql, [tuple(row.get(c) for c in columns) for row in rows])
