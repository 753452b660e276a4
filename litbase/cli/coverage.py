"""``litbase coverage``: which citation source knows which reference and citing lists."""

from __future__ import annotations

import json
from pathlib import Path

import click

from litbase.cli.db_path import DATABASE
from litbase.graph.coverage import COLUMNS, UnknownCollection, coverage, differences, format_table
from litbase.store.schema import open_db
from litbase.model.link_sources import SOURCES


@click.command(name="coverage")
@click.argument("db_path", metavar="DB", type=DATABASE)
@click.option("--collection", help="Only the articles of this collection (and links touching them)")
@click.option("--has", "has", type=click.Choice(SOURCES + ("seed_page",)),
              help="List the links this source reports ...")
@click.option("--lacks", "lacks", type=click.Choice(SOURCES + ("seed_page",)),
              help="... that this source does not (needs --has)")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table")
def coverage_command(db_path, collection, has, lacks, as_json):
    """Per source: articles asked, with a reference list, with a citing list, links, links only it has.

    With --has and --lacks, the links one source reports and the other does
    not, each marked "gap" (the other has no list for either article) or
    "disagreement" (its list exists and leaves the link out).

        litbase coverage litbase.db --has icite --lacks pubmed
    """
    if not Path(db_path).is_file():
        raise click.ClickException(f"{db_path} does not exist")
    if bool(has) != bool(lacks):
        raise click.UsageError("--has and --lacks go together")
    if has and has == lacks:
        raise click.UsageError("--has and --lacks name the same source")
    db = open_db(db_path)
    try:
        if has:
            rows = differences(db.conn, has, lacks, collection)
            columns = ["citing", "cited", "verdict", "reported_by"]
        else:
            rows = coverage(db.conn, collection)
            columns = list(COLUMNS)
    except UnknownCollection as error:
        raise click.ClickException(str(error))
    if as_json:
        click.echo(json.dumps(rows, indent=2))
    elif rows:
        click.echo(format_table(rows, columns))
    else:
        click.echo("No links." if has else "No citation data yet.", err=True)
