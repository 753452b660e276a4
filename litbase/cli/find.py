"""``litbase find``: search the local database in PubMed's syntax, as the site's search page does."""

from __future__ import annotations

import json

import click

from litbase.cli.db_path import EXISTING_DATABASE
from litbase.model.pubmed_query import QuerySyntaxError, details, parse
from litbase.store.schema import open_db
from litbase.store.search import search

COLUMNS = ["pmid", "year", "journal", "title"]


@click.command(name="find")
@click.argument("db_path", metavar="DB", type=EXISTING_DATABASE)
@click.argument("query", metavar="QUERY")
@click.option("--json", "as_json", is_flag=True, help="JSON rows (those of /DB/search.json) instead of a table")
def find_command(db_path, query, as_json):
    """Search the stored articles in PubMed's syntax, most relevant first.

    AND, OR, NOT (left to right), (), "phrases", residen*, and the tags [ti], [tiab],
    [tw], [au], [mh], [ot], [ta]/[jour], [pt], [dp] (2020 or 2019:2021). The same
    search as the site's /DB/search, which lacks only what find adds: [pmid]/[uid],
    [doi]/[aid] and the subsets hasabstract, pubmed pmc[sb], free full text[sb]
    (a PMC copy), medline[sb], pubmednotmedline[sb]. `litbase search` asks PubMed."""
    try:
        understood = details(parse(query))
        rows = search(open_db(db_path).conn, query)
    except QuerySyntaxError as error:
        raise click.ClickException(f"cannot read the search {query!r}: {error}")
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    click.echo(f"{len(rows)} article{'s' if len(rows) != 1 else ''} for {understood}", err=True)
    click.echo("\t".join(["rank", *COLUMNS, "retracted"]))
    for rank, row in enumerate(rows, 1):
        cells = [rank, row["pmid"], row["year"], row["journal"], row["title"] or "(title not known)",
                 "RETRACTED" if row["is_retracted"] else ""]
        click.echo("\t".join("" if c is None else str(c) for c in cells))
