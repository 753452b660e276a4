"""``litbase fetch``: an article's neighbourhood from PubMed and the link sources."""

from __future__ import annotations

import sys

import click

from litbase import __version__
from litbase.cli.db_path import DATABASE
from litbase.grow.crawl import CrawlPlan, crawl
from litbase.review.report import collection_yield
from litbase.store.runs import finish_run, start_run
from litbase.cli.mirror import mirror_option, open_mirror, say_lacks
from litbase.cli.progress import CrawlProgress
from litbase.store.schema import open_db
from litbase.model.link_sources import DEFAULT_SOURCES, UnknownSource, parse_sources


from litbase.cli.ncbi_options import ncbi_options
from litbase.cli.options import (
    Services,
    command_line,
    source_failures_paragraph,
    left_over_detail,
    listed,
    logs_requests,
    pmid_arguments,
    reports_source_errors,
)


# Unknown options pass through as PMIDs so that "-1" is refused as a PMID
# (with the rule it breaks), not as an option nobody meant to give.
@click.command(name="fetch", context_settings={"ignore_unknown_options": True})
@click.argument("db_path", metavar="DB", type=DATABASE)
@click.argument("pmids", metavar="PMID...", nargs=-1, required=True)
@click.option("--depth", default=1, show_default=True, type=click.IntRange(0, 5),
              help="Hops from the seeds: 1 = their references, citing and similar articles")
@click.option("--similar", default=0, show_default=True, type=click.IntRange(0, 500),
              help="Also take the N articles PubMed ranks most similar to each article")
@click.option("--direction", type=click.Choice(["backward", "forward", "both"]), default="both",
              show_default=True,
              help="Snowball backward (references), forward (citing articles) or both")
@click.option("--no-references", is_flag=True, help="Do not follow reference lists (= --direction forward)")
@click.option("--no-cited-by", is_flag=True, help="Do not follow citing articles (= --direction backward)")
@click.option("--max-articles", type=click.IntRange(1), help="Stop once the collection holds N articles")
@click.option("--collection", help="Collection to record the articles in [default: pmid-SEED]")
@click.option("--retry-missing", is_flag=True,
              help="Ask again for PMIDs PubMed had no record for in an earlier run (seeds always are)")
@click.option("--stop-when-yield-below", type=click.IntRange(1), metavar="K",
              help="Stop snowballing after a hop that brings fewer than K new records (none reached earlier)")
@click.option("--progress/--no-progress", default=None, help="Progress bar [default: when on a terminal]")
@click.option("--sources", default=",".join(DEFAULT_SOURCES), show_default=True,
              help="Citation link sources to merge: pubmed, icite, europepmc (comma-separated);"
                   " records always come from PubMed [env LITBASE_ICITE_URL, LITBASE_EUROPEPMC_URL]")
@mirror_option
@ncbi_options
def fetch_command(db_path, pmids, depth, similar, direction, no_references, no_cited_by, max_articles,
          collection, retry_missing, stop_when_yield_below, progress, sources, api_key, email, mirror_path):
    """Fetch articles, their references, citing and similar articles from PubMed.

    Breadth-first from the seeds. Only what is not stored yet is asked for, so
    an interrupted fetch resumes when run again, and a larger --max-articles
    continues where a smaller one stopped.

        litbase fetch litbase.db 35392492 --similar 20
    """
    plan = CrawlPlan(
        seeds=pmid_arguments(pmids, hint=True),
        depth=depth,
        similar=similar,
        references=direction != "forward" and not no_references,
        cited_by=direction != "backward" and not no_cited_by,
        max_articles=max_articles,
        collection=collection,
        retry_missing=retry_missing,
        stop_when_yield_below=stop_when_yield_below,
    )
    try:
        plan.sources = parse_sources(sources)
    except UnknownSource as error:
        raise click.BadParameter(str(error), param_hint="--sources")
    db = open_db(db_path)
    bar = CrawlProgress(enabled=progress)
    on_request = logs_requests(db, bar)
    services = Services.from_environment(api_key, email)
    client = services.eutils(on_request=on_request)
    source_clients = services.link_sources(plan.sources, on_request=on_request)
    run_id = start_run(db, "fetch", command_line(click.get_current_context()), plan.collection_name(), __version__)
    if mirror_path:
        # The mirror answers for PubMed and holds iCite's links: no other source is asked.
        client, source_clients, plan.sources = open_mirror(mirror_path, db), {}, ("pubmed",)
        say_lacks(client)
    try:
        with reports_source_errors(check="the PMIDs", before=bar.close):
            report = crawl(db, client, plan, progress=bar, source_clients=source_clients)
    except KeyboardInterrupt:
        bar.close()
        click.echo("\nInterrupted. Everything fetched so far is stored; run the same command"
                   " again to resume.", err=True)
        sys.exit(130)
    # networkx and scipy load here, so that other commands start without them.
    from litbase.graph.tables import update_graph

    update_graph(db)
    finish_run(db, run_id, {"records_stored": report.records_stored, "articles_linked": report.articles_linked,
                            "requests": bar.requests, "new_records_per_hop": report.hop_yield},
               "incomplete" if report.missing or report.links_unknown or report.source_failures.errors else "ok")
    kept = (f"collection {report.collection!r}" if report.collection
            else "no collection made, as PubMed knows none of the PMIDs given")
    asked = f"from the mirror {mirror_path}, no request" if mirror_path else f"{bar.requests} requests"
    click.echo(
        f"{report.records_stored} records stored, {report.articles_linked} articles linked, "
        f"{asked} in {report.seconds:.1f} s; {kept}.",
        err=True,
    )
    if report.collection:
        click.echo(yield_summary(collection_yield(db.conn, report.collection), report.stopped_after_hop), err=True)
    if report.left_over:
        click.echo(
            f"Stopped at --max-articles {max_articles}: {report.left_over} more articles were"
            f" found and not fetched ({left_over_detail(report.left_over_by)})."
            " Run again with a larger budget to continue.",
            err=True,
        )
    problems = []
    if report.source_failures.errors:
        click.echo(source_failures_paragraph(report.source_failures,
                                             command_line(click.get_current_context())), err=True)
    if report.missing and mirror_path:
        problems.append("The mirror has no record for PMID " + listed(report.missing)
                        + f" ({client.missing_detail}; fetch without --mirror to ask PubMed).")
    elif report.missing:
        problems.append("PubMed has no record for PMID " + listed(report.missing)
                        + " (a rerun with --retry-missing asks again).")
    # PMIDs PubMed had no record for in an earlier run were reported then; a rerun with nothing
    # else left to do is complete (exit 0), so a cron job does not fail forever on one deleted record.
    if report.links_unknown and mirror_path:
        problems.append("The mirror has no links for PMID " + listed(report.links_unknown)
                        + ": it is not among the mirror's current records.")
    elif report.links_unknown:
        # Not fatal for the crawl, but the user must know: these articles' links are absent.
        problems.append("elink did not know PMID " + listed(report.links_unknown)
                        + ": its citing and similar articles are not stored.")
    if problems:
        raise click.ClickException(" ".join(problems) + " Everything else is stored.")
    if report.source_failures.errors:
        sys.exit(1)


def yield_summary(figures: dict, stopped_after_hop: int | None) -> str:
    """New records per hop and, once screening has started, how many were included: is a further hop worth it?

    The figures are the collection's (``litbase report``'s yield per hop), not this run's alone.
    """
    parts = []
    for hop in figures["hops"]:
        text = f"hop {hop['hop']}: {hop['new_records']} new"
        if figures["screening_started"]:
            included = hop["included"]
            text += (f" ({hop['screened']} screened, {included['title_abstract']} included at title/abstract,"
                     f" {included['full_text']} at full text)")
        parts.append(text)
    line = "Records per hop (0: seeds): " + "; ".join(parts) + "."
    if stopped_after_hop is not None:
        line += (f" Stopped after hop {stopped_after_hop}:"
                 " it brought fewer new records than --stop-when-yield-below.")
    return line
