"""``litbase build``, ``snapshot`` and ``serve``: offline building and publishing."""

from __future__ import annotations

import os

import click
import sqlite_utils

from litbase.cli.db_path import DATABASE, EXISTING_DATABASE
from litbase.store.dataset import DatasetError
from litbase.store.schema import open_db
from litbase.store.dataset import snapshot as snapshot_database
from litbase.publish.auth import ReviewersError
from litbase.publish.serve import DEFAULT_HOST, DEFAULT_PORT, DEFAULT_WORKERS
from litbase.publish.serve import serve as serve_datasette

DEFAULT_DATASET = "datasets/peer-support"


@click.command()
@click.argument("db_path", metavar="DB", type=DATABASE)
@click.argument("dataset", metavar="[DATASET]", default=DEFAULT_DATASET,
                type=click.Path(file_okay=False, exists=True))
def build(db_path, dataset):
    """Build a ready database from a dataset folder, offline; safe to run twice.

        litbase build litbase.db datasets/peer-support
    """
    try:
        # The graph step's networkx and scipy load here, not for every command.
        from litbase.imports.build import build as build_database

        loaded = build_database(db_path, dataset)
    except DatasetError as error:
        raise click.ClickException(str(error))
    click.echo(
        f"{db_path}: {loaded.get('articles', 0)} articles, {loaded.get('citations', 0)} citations,"
        f" {loaded.get('article_references', 0)} reference lines from {dataset}",
        err=True,
    )


@click.command()
@click.argument("db_path", metavar="DB", type=EXISTING_DATABASE)
@click.argument("folder", metavar="DIR", type=click.Path(file_okay=False))
def snapshot(db_path, folder):
    """Write a database as a dataset folder (the format `litbase build` reads).

        litbase snapshot litbase.db datasets/my-review
    """
    manifest = snapshot_database(sqlite_utils.Database(db_path), folder)
    rows = sum(manifest["tables"].values())
    click.echo(f"{folder}: {rows} rows in {len(manifest['tables'])} tables", err=True)


@click.command()
@click.argument("db_path", metavar="DB", type=EXISTING_DATABASE)
@click.option("--host", default=DEFAULT_HOST, show_default=True,
              help="Interface to listen on; 0.0.0.0 makes the site reachable from other machines")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port)")
@click.option("--public", is_flag=True,
              help="Read-only and immutable, SQL time limits, no arbitrary SQL, no database download")
@click.option("--reviewers", type=click.Path(dir_okay=False),
              help="File of reviewers who may sign in and screen (litbase reviewers add); not with --public")
# No default shown: it depends on the machine (the README's help text must not).
@click.option("--workers", type=click.IntRange(1, 64),
              help="Server processes answering at once  [default: one per CPU, at most 4]")
def serve(db_path, host, port, public, reviewers, workers):
    """Browse a database in Datasette with litbase's metadata and plugin.

        litbase serve litbase.db
        litbase serve litbase.db --reviewers reviewers.txt   # screening at /-/screen/litbase
    """
    if not public and os.path.isfile(db_path):
        # A database made by an older litbase gets today's shape (tables, indexes, the
        # search index's columns) before Datasette opens it; --public never writes.
        open_db(db_path)
    try:
        serve_datasette([db_path], host=host, port=port, public=public, reviewers=reviewers,
                        workers=workers or DEFAULT_WORKERS)
    except ReviewersError as error:
        raise click.ClickException(str(error))
