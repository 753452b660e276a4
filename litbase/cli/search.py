"""``litbase search``, ``litbase refresh`` and ``litbase collections``: grow and compare collections."""

from __future__ import annotations

import json
import sys

import click
import sqlite_utils

from litbase.cli.db_path import DATABASE, EXISTING_DATABASE
from litbase import __version__
from litbase.cli.ncbi_options import ncbi_options
from litbase.cli.options import Services, command_line, logs_requests, reports_source_errors
from litbase.store.collections import (
    CollectionError,
    collection_summaries,
    compare_collections,
    members,
)
from litbase.sources.eutils import EutilsClient
from litbase.cli.mirror import mirror_option, open_mirror, say_lacks
from litbase.cli.progress import CrawlProgress
from litbase.mirror.query import QuerySyntaxError
from litbase.grow.refresh import refresh
from litbase.store.runs import finish_run, start_run
from litbase.store.schema import open_db
from litbase.grow.search import SearchError, search


def _client(db, api_key, email, bar) -> EutilsClient:
    return Services.from_environment(api_key, email).eutils(on_request=logs_requests(db, bar))


@click.command(name="search")
@click.argument("db_path", metavar="DB", type=DATABASE)
@click.argument("term")
@click.option("--collection", help="Collection to record the hits in [default: search-TERM]")
@click.option("--max", "max_results", type=click.IntRange(1),
              help="Store only the N most recent hits")
@click.option("--progress/--no-progress", default=None, help="Progress bar [default: when on a terminal]")
@mirror_option
@ncbi_options
def search_command(db_path, term, collection, max_results, progress, api_key, email, mirror_path):
    """Store every article a PubMed query finds, in a collection.

    A query with more than 9,999 hits (ESearch's limit) is split by
    publication date, so nothing is silently cut. Records already stored are
    not asked for again.

        litbase search litbase.db "peer support[tiab] AND residency[tiab]" --collection peer
    """
    db = open_db(db_path)
    bar = CrawlProgress(enabled=progress)
    client = _client(db, api_key, email, bar)
    if mirror_path:
        client = open_mirror(mirror_path, db)
        say_lacks(client)
    run_id = start_run(db, "search", command_line(click.get_current_context()), collection, __version__)
    try:
        # NCBI reports a bad query inside HTTP 200: the line says so, and that the query is to check.
        with reports_source_errors(check="the query", before=bar.close):
            report = search(db, client, term, collection=collection, max_results=max_results,
                            progress=bar)
    except QuerySyntaxError as error:  # the line litbase find gives for the same query
        bar.close()
        raise click.ClickException(f"cannot read the search {term!r}: {error}")
    except SearchError as error:
        bar.close()
        raise click.ClickException(str(error))
    finish_run(db, run_id, {"hits": report.query_count, "members": report.members,
                            "records_stored": report.records_stored, "requests": bar.requests},
               "incomplete" if report.missing else "ok", collection=report.collection)
    for warning in report.warnings:
        click.echo(f"PubMed: {warning}", err=True)
    who = f"The mirror {mirror_path}" if mirror_path else "PubMed"
    if not report.query_count:
        click.echo(f"{who} found nothing for {term!r}; no collection was made.", err=True)
        return
    sliced = f" in {len(report.slices)} publication-date slices" if len(report.slices) > 1 else ""
    asked = "no request" if mirror_path else f"{bar.requests} requests"
    click.echo(
        f"{who} reports {report.query_count} hits{sliced}; collection {report.collection!r} holds"
        f" {report.members}, {report.stored_count} of them stored ({report.records_stored} records"
        f" fetched now, {asked}).",
        err=True,
    )
    if report.missing:
        raise click.ClickException(
            "PubMed listed but did not return PMID " + ", ".join(map(str, report.missing))
            + "; run the same command again to retry them.")


@click.command(name="refresh")
@click.argument("db_path", metavar="DB", type=EXISTING_DATABASE)
@click.option("--collection", help="Refresh this collection's members [default: every article]")
@click.option("--progress/--no-progress", default=None, help="Progress bar [default: when on a terminal]")
@ncbi_options
def refresh_command(db_path, collection, progress, api_key, email):
    """Ask PubMed again for what can change, and log each change in the changes table.

    New citing articles, new similar articles (top 20), corrected records and
    retractions. Members without a PubMed record yet (an imported ID list, a
    page's references) get one. Browse the changes in Datasette; new citing
    articles are also an Atom feed at /-/changes/DB.atom.

    \b
        litbase refresh litbase.db --collection pmid-35392492
    """
    db = open_db(db_path)
    if collection:
        try:
            members(db, collection)
        except CollectionError as error:
            raise click.ClickException(str(error))
    bar = CrawlProgress(enabled=progress)
    # A refresh of every article belongs to no one collection: its run has none.
    run_id = start_run(db, "refresh", command_line(click.get_current_context()), collection, __version__)
    with reports_source_errors(check="the collection's PMIDs", before=bar.close):
        report = refresh(db, _client(db, api_key, email, bar), collection, progress=bar)
    finish_run(db, run_id, {**report.changes, "articles_asked": report.articles, "requests": bar.requests,
                            "records_stored": report.records_added},
               "incomplete" if report.missing else "ok")
    # A retraction or a new citing article changes facet counts (cites_retracted among them)
    # that the fingerprint of the stored counts cannot see: count them again.
    from litbase.graph.facets import refresh_site_tables

    refresh_site_tables(db)
    found = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in sorted(report.changes.items()))
    click.echo(
        f"Asked PubMed again about {report.articles} articles ({bar.requests} requests):"
        f" {found or 'no changes'}; {report.records_added} records stored for the first time.",
        err=True,
    )
    if report.missing:
        raise click.ClickException(
            "PubMed has no record for PMID " + ", ".join(map(str, report.missing))
            + ". Everything else is stored.")


class _ListByDefault(click.Group):
    """`litbase collections DB` lists; `litbase collections compare DB A B` compares."""

    def parse_args(self, ctx, args):
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group(name="collections", cls=_ListByDefault)
def collections_group():
    """List and compare collections (export one with litbase export --collection).

    In Datasette each collection browses as collection_members?collection=NAME.
    """


@collections_group.command(name="list")
@click.argument("db_path", metavar="DB", type=EXISTING_DATABASE)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of lines of text")
def list_command(db_path, as_json):
    """Every collection: members, how many are stored, roles, where it came from."""
    summaries = collection_summaries(sqlite_utils.Database(db_path))
    if as_json:
        click.echo(json.dumps(summaries, indent=2))
        return
    for c in summaries:
        roles = ", ".join(f"{n} {role}" for role, n in c["roles"].items())
        query = f"; query {c['query']!r}, {c['query_count']} hits at PubMed" if c["query"] else ""
        click.echo(f"{c['name']}: {c['members']} articles ({roles}), {c['stored']} stored;"
                   f" {c['source'] or 'source not recorded'}{query}")


@collections_group.command(name="compare")
@click.argument("db_path", metavar="DB", type=EXISTING_DATABASE)
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="JSON with the PMIDs of each part")
@click.option("--show", type=click.Choice(["only-a", "only-b", "both"]),
              help="Also print these PMIDs, one a line (to feed fetch or import)")
def compare_command(db_path, a, b, as_json, show):
    """Which articles two collections share and which only one of them holds.

    \b
        litbase collections compare litbase.db pmid-35392492 search-peer-support --show only-b
    """
    try:
        result = compare_collections(sqlite_utils.Database(db_path), a, b)
    except CollectionError as error:
        raise click.ClickException(str(error))
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    click.echo(f"{len(result['both'])} in both, {len(result['only_a'])} only in {a!r},"
               f" {len(result['only_b'])} only in {b!r}; Jaccard similarity {result['jaccard']}")
    if show:
        for pmid in result[show.replace("-", "_")]:
            click.echo(pmid)
    sys.stdout.flush()
