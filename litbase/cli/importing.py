"""``litbase import``: files into a database.

The first PubMed file's parser starts before anything else: this module
loads only click and the parser's launcher, and the command loads the
libraries that store records (sqlite-utils with numpy, the readers, the
clients: about a third of a second) while that parser reads its first
batch on the other core.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from litbase import __version__
from litbase.cli.db_path import DATABASE
from litbase.cli.ncbi_options import ncbi_options
from litbase.imports.pubmed_order import import_order, start_first_parser


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
    paths = import_order(paths)
    first_parser = start_first_parser(db_path, paths)
    try:
        _import_all(db_path, paths, collection, pmid, api_key, email, first_parser)
    finally:
        if first_parser is not None and not first_parser.closed:
            first_parser.close()  # the import failed before bulk_import took it over


def _import_all(db_path, paths, collection, pmid, api_key, email, first_parser) -> None:
    """The import itself: its libraries load here, while the first file's parser is at work."""
    from litbase.cli.options import Services, command_line, ncbi_on_demand
    from litbase.graph.facets import refresh_site_tables
    from litbase.imports.pubmed import bulk_import
    from litbase.store.retractions import update_cites_retracted
    from litbase.store.runs import finish_run, start_run
    from litbase.store.schema import open_db

    db = open_db(db_path)
    # Two attempts, not five: an import should not hang for long when offline.
    ncbi = ncbi_on_demand(Services.from_environment(api_key, email),
                          announce=lambda line: click.echo(line, err=True), max_attempts=2)
    incomplete = False
    line = command_line(click.get_current_context())
    with bulk_import(db, paths, started=first_parser) as parse_ahead:
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
    from litbase.cli.options import failure_sentence, reports_source_errors
    from litbase.imports.files import import_file
    from litbase.model.errors import BibliographyError

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
