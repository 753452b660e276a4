"""The DB argument every command takes: checked before SQLite sees it.

SQLite's own answers to a wrong path ("unable to open database file", "file is
not a database") come as tracebacks from deep inside the first query; a click
type turns them into one line that names the path and what is wrong with it.
"""

from __future__ import annotations

import os

import click

SQLITE_HEADER = b"SQLite format 3\x00"


class DatabasePath(click.Path):
    """A litbase database: an SQLite file, or (unless ``exists``) one to create in a folder that exists."""

    name = "database"

    def __init__(self, exists: bool = False):
        super().__init__(exists=exists, dir_okay=False)

    def convert(self, value, param, ctx):
        path = super().convert(value, param, ctx)
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            self.fail(f"folder '{folder}' does not exist; make it first", param, ctx)
        if os.path.isfile(path) and os.path.getsize(path) > 0:
            with open(path, "rb") as handle:
                if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                    self.fail(f"'{path}' is not an SQLite database (a litbase database is one SQLite file)",
                              param, ctx)
        return path


EXISTING_DATABASE = DatabasePath(exists=True)
DATABASE = DatabasePath()
