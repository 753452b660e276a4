"""``litbase export`` and ``litbase import``: bibliographies out of and into a database."""

from __future__ import annotations

import itertools
import shlex
import sys
from pathlib import Path

import click
import sqlite_utils

from litbase import __version__
from litbase.cli.db_path import DATABASE, EXISTING_DATABASE
from litbase.cli.options import (
    Services,
    command_line,
    failure_sentence,
    listed,
    ncbi_on_demand,
    ncbi_options,
    plural,
    pmid_arguments,
    reports_source_errors,
)
from litbase.formats.registry import FORMATS, export, format_for_file
from litbase.store.load import SelectionError, load_articles, select_pmids
from litbase.formats.writers.text import STYLES
from litbase.imports.files import import_file
from litbase.imports.pubmed import bulk_import, import_order
from litbase.model.errors import BibliographyError
from litbase.store.retractions import update_cites_retracted
from litbase.store.runs import finish_run, start_run
from litbase.store.schema import open_db


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


@click.command(name="import")
@click.argument("db_path", metavar="DB", type=DATABASE)
@click.argument("paths", metavar="PATH...", nargs=-1, required=True,
                type=click.Path(exists=True, dir_okay=False))
@click.option("--collection", help="Collection to record the articles in"
              " [default: the file name; none for PubMed XML files]")
@click.option("--pmid", help="PubMed page text: the PMID of the page's article"
              " [default: a PMID in the file name, else PubMed by the page's title]")
@ncbi_options
def import_command(db_path, paths, collection, pmid, api_key, email):
    """Import MEDLINE/.nbib, RIS, BibTeX, CSL-JSON, PubMed XML, page text or ID lists.

    PubMed XML is PubMed's baseline and update files (.xml.gz) or saved
    efetch answers (.xml).

    PubMed page text (copied from an article's page) becomes the article,
    its numbered references and citation links (source seed_page). A list of
    PMIDs, DOIs and PMCIDs (one a line, or separated by commas or spaces)
    becomes a collection; DOIs and PMCIDs are resolved through NCBI's ID
    converter and ESearch, and those that cannot be are kept and reported;
    the records not stored yet are fetched from PubMed, and a PMID PubMed
    does not know is named and not stored. Offline, the list's articles wait
    for `litbase refresh DB --collection NAME`. Only those lists and page
    text without its PMID ask NCBI (and say so first); every other file is
    read without a network request.

    Records with a PMID are merged with what is stored (stored fields win,
    the file fills gaps); records without one wait in unmatched_records, each
    its own record (one per DOI, in any case, else one per record of the file),
    are in the collection and its exports, and join their article once one
    with the same DOI is stored. A record that
    cannot be read is skipped and named (file, line, why) and the rest of the
    file is stored; a file none of whose records can be read stores nothing.

    PubMed XML files are streamed and committed 5,000 records at a time, in
    NLM's numbering order (baseline before updatefiles/), each parsed while the
    one before it is stored; DeleteCitation removes articles. A rerun skips
    files already imported and resumes one that was interrupted; the
    pubmed_files table tracks them.

    \b
        litbase import litbase.db my-library.ris references.bib
        litbase import litbase.db baseline/pubmed25n*.xml.gz updatefiles/pubmed25n*.xml.gz
    """
    db = open_db(db_path)
    paths = import_order(paths)
    # Two attempts, not five: an import should not hang for long when offline.
    ncbi = ncbi_on_demand(Services.from_environment(api_key, email),
                          announce=lambda line: click.echo(line, err=True), max_attempts=2)
    incomplete = False
    line = command_line(click.get_current_context())
    with bulk_import(db, paths) as parse_ahead:
        for path in paths:
            # One run a file: each file makes its own collection (named after it by default).
            run_id = start_run(db, "import", line, collection, __version__)
            try:
                left_something, report = _import_one(db, db_path, path, collection, pmid, ncbi, parse_ahead)
            except click.ClickException:
                # The file was refused whole: the log says it was tried and stored nothing.
                finish_run(db, run_id, {"file": Path(path).name, "records_stored": 0}, "refused")
                raise
            finish_run(db, run_id, {"file": Path(path).name, **run_counts(report)},
                       "incomplete" if left_something else "ok", collection=report.get("collection"))
            incomplete |= left_something
    # An update file may retract an article (or bring one citing retracted work).
    update_cites_retracted(db)
    # The site's facet counts and overview network follow the new records (litbase.graph.facets).
    from litbase.graph.facets import refresh_site_tables

    refresh_site_tables(db)
    sys.stdout.flush()
    if incomplete:
        sys.exit(1)


def run_counts(report: dict) -> dict:
    """The figures of an import's report that the runs log keeps: its counts, and how many were skipped."""
    counts = {key: value for key, value in report.items()
              if isinstance(value, int) and not isinstance(value, bool)}
    if isinstance(report.get("skipped"), list):
        counts["skipped"] = len(report["skipped"])
    # A reference file says "stored", PubMed XML "articles"; the runs log says records_stored for both.
    stored = counts.pop("stored", counts.pop("articles", None))
    if stored is not None:
        counts["records_stored"] = stored
    return counts


def _import_one(db, db_path, path, collection, pmid, ncbi, parse_ahead) -> tuple[bool, dict]:
    """Import one file; returns whether it left something a rerun or a refresh could get, and its report."""
    options = {"ncbi": ncbi, **({"pmid": pmid} if pmid else {})}
    try:
        with reports_source_errors(stored=f"Nothing from {path} was stored",
                                   check="the identifiers in the file"):
            report = import_file(db, Path(path), collection, parse_ahead=parse_ahead, **options)
    except BibliographyError as error:
        kept = getattr(error, "stored", None) or f"Nothing from {path} was stored."
        raise click.ClickException(f"{error}\n{kept}")
    if report.get("summary"):
        click.echo(report["summary"], err=True)
        if report.get("offline") is not None:
            click.echo(f"{failure_sentence(report['offline'])} Nothing more could be fetched:"
                       f" {len(report['waiting'])} articles of collection {report['collection']!r}"
                       f" wait for their records; when the network is back, run: litbase refresh"
                       f" {shlex.quote(str(db_path))} --collection {shlex.quote(report['collection'])}",
                       err=True)
        return bool(report.get("offline") is not None or report.get("unknown")), report
    else:
        skipped = report.get("skipped") or []
        click.echo(
            f"{path}: {report['records']} {report['format']} records; {report['stored']} stored"
            f" by PMID ({report['merged']} merged with stored articles),"
            f" {report['unmatched']} without PMID kept in unmatched_records"
            + (f" ({report['same_record']} of them the same record as one kept before:"
               " the same DOI or the same record of this file, merged with it)"
               if report.get("same_record") else "")
            + ","
            f" {report['matched_by_doi']} matched by DOI"
            + (f"; {len(skipped)} skipped (below)." if skipped else "."),
            err=True,
        )
        for problem in skipped:
            click.echo(f"  skipped: {problem}", err=True)
        for problem in report.get("warnings") or []:
            click.echo(f"  warning: {problem}", err=True)
    return False, report
