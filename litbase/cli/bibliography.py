"""``litbase export``: a bibliography out of a database (``litbase import`` is in ``litbase.cli.importing``)."""

from __future__ import annotations

import itertools

import click
import sqlite_utils

from litbase.cli.db_path import EXISTING_DATABASE
from litbase.cli.options import listed, plural, pmid_arguments
from litbase.formats.registry import FORMATS, export, format_for_file
from litbase.store.load import SelectionError, load_articles, select_pmids
from litbase.formats.writers.text import STYLES


@click.command(name="export")
@click.argument("db_path", metavar="DB", type=EXISTING_DATABASE)
@click.argument("pmids", metavar="[PMID...]", nargs=-1)
@click.option("--collection", help="Export the articles of this collection")
@click.option("--sql", help="Export the articles a read-only SELECT returns (it needs a pmid column)")
@click.option("-f", "--format", "format_name", type=click.Choice(list(FORMATS)),
              help="Output format [default: the one -o's suffix names (.bib .ris .json .nbib .txt"
                   " .csv), else bibtex]")
@click.option("--style", type=click.Choice(list(STYLES)), default="vancouver",
              show_default=True, help="Reference style for --format text")
@click.option("--spreadsheet-safe", is_flag=True,
              help="CSV: prefix cells that a spreadsheet would run as a formula with '")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file [default: standard output]")
def export_command(db_path, pmids, collection, sql, format_name, style, spreadsheet_safe,
                   output):
    """Export articles as BibTeX, RIS, CSL-JSON, MEDLINE, formatted text or CSV.

    Choose articles by PMID, --collection and/or --sql (their union, in order):

        litbase export litbase.db 35392492 --format ris
        litbase export litbase.db --collection peer-support --format text --style apa
        litbase export litbase.db --sql "select pmid from articles where year >= 2020"

    Without --format, the output file's suffix chooses (refs.ris is RIS).
    Records without a PMID that were imported into the collection are exported
    with it. Standard error says how many records were written and which chosen
    PMIDs are not stored (skipped); an export that would write nothing writes no
    file and fails with the reason.
    """
    format_name = _chosen_format(format_name, output)
    if not (pmids or collection or sql):
        raise click.UsageError("Choose articles: PMIDs, --collection NAME or --sql SELECT"
                               " (all of them: --sql 'select pmid from articles')")
    db = sqlite_utils.Database(db_path)
    try:
        chosen = select_pmids(db, pmid_arguments(pmids), collection, sql, db_path)
    except SelectionError as error:
        raise click.ClickException(str(error))
    loaded: list = []

    def counted():
        for article in load_articles(db, chosen):
            loaded.append(article.get("pmid") or article.get("unmatched_id"))
            yield article

    articles = counted()
    first = next(articles, None)
    if first is None:
        raise click.ClickException("Nothing exported: " + _nothing_chosen(chosen, collection, sql))
    chunks = export(itertools.chain([first], articles), format_name, style=style,
                    spreadsheet_safe=spreadsheet_safe)
    # newline="" so RIS and CSV keep the CR LF their specifications ask for.
    stream = open(output, "w", encoding="utf-8", newline="") if output else None
    try:
        for chunk in chunks:
            if stream:
                stream.write(chunk)
            else:
                click.echo(chunk, nl=False)
    finally:
        if stream:
            stream.close()
    click.echo(_export_summary(len(loaded), format_name, output, set(chosen) - set(loaded)),
               err=True)


def _nothing_chosen(chosen: list, collection, sql) -> str:
    if chosen:
        return (f"none of the {plural(len(chosen), 'chosen PMID')} is stored"
                f" ({listed(sorted(chosen, key=str))}).")
    named = ([f"collection {collection!r} has no members"] if collection else []) + (
        ["--sql returned no PMIDs"] if sql else [])
    return (" and ".join(named) or "no PMID was chosen") + "."


def _chosen_format(format_name, output) -> str:
    named = format_for_file(output) if output else None
    if format_name is None:
        return named or "bibtex"
    if named and named != format_name:
        # Explicit wins, but a .bib holding RIS is worth a line: reference managers trust suffixes.
        click.echo(f"Note: writing {format_name} to {output}, whose suffix usually means {named}.",
                   err=True)
    return format_name


def _export_summary(written: int, format_name: str, output, skipped: set) -> str:
    line = f"Wrote {plural(written, format_name + ' record')} to {output or 'standard output'}"
    if skipped:
        line += (f"; skipped {plural(len(skipped), 'PMID')} not stored:"
                 f" {listed(sorted(skipped, key=str))}")
    return line + "."
