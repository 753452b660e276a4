"""Commands over the citation graph: graph, related, graph-export."""

from __future__ import annotations

import json

import click

from litbase.cli.db_path import EXISTING_DATABASE
from litbase.cli.mirror import mirror_option, open_mirror, say_lacks
from litbase.cli.options import pmid_arguments
from litbase.graph.export import FORMATS, write_graph
from litbase.graph.related import COMPONENTS, related
from litbase.store.frontier import stored_pmids
from litbase.store.schema import open_db


@click.command(name="graph")
@click.argument("db_path", metavar="DB", type=EXISTING_DATABASE)
def graph_command(db_path):
    """Recompute citation counts, PageRank, communities, hops from the seeds,
    co-citation and bibliographic coupling."""
    # networkx and scipy load here, so that other commands start without them.
    from litbase.graph.tables import update_graph

    summary = update_graph(open_db(db_path), force=True)
    click.echo(
        f"{summary['articles']} articles, {summary['citations']} citations between them; "
        f"{summary['cocitation_pairs']} co-cited pairs, {summary['coupling_pairs']} coupled pairs "
        f"({sum(summary['seconds'].values()):.2f} s).",
        err=True,
    )


@click.command(name="related")
@click.argument("db_path", metavar="DB", type=EXISTING_DATABASE)
@click.argument("pmid", metavar="PMID")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1), help="How many to show")
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table")
@mirror_option
def related_command(db_path, pmid, limit, as_json, mirror_path):
    """Articles related to PMID, ranked by co-citation, coupling, PubMed
    similarity and text, with each component shown."""
    (pmid,) = pmid_arguments([pmid])
    db = open_db(db_path)
    client = None
    if mirror_path:
        from litbase.grow.crawl import fetch_neighbourhood, fetch_records

        # The neighbourhood comes from the mirror first, so co-citation and coupling are whole.
        client = open_mirror(mirror_path, db)
        say_lacks(client)
        fetch_neighbourhood(db, client, pmid)
    if pmid not in stored_pmids(db, [pmid]):
        where = f"the mirror {mirror_path}" if mirror_path else db_path
        raise click.ClickException(f"PMID {pmid} is not in {where}; fetch it first")
    rows = related(db, pmid, limit=limit)
    untitled = [r["pmid"] for r in rows if r["title"] is None]
    if client is not None and untitled:
        # Co-cited and coupled articles need not be neighbours: their records come now, for titles.
        fetch_records(db, client, untitled)
        rows = related(db, pmid, limit=limit)
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    headers = ["rank", "pmid", "score", *COMPONENTS, "year", "title"]
    click.echo("\t".join(headers))
    for row in rows:
        title = (row["title"] or "(title not known)")[:80]
        click.echo("\t".join(str(row[h] if h != "title" else title) for h in headers))


@click.command(name="graph-export")
@click.argument("db_path", metavar="DB", type=EXISTING_DATABASE)
@click.argument("path", metavar="PATH", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="graphml", show_default=True,
              help="graphml/gexf for Gephi, vosviewer (PATH_map.txt + PATH_network.txt), csv, json")
def graph_export(db_path, path, fmt):
    """Write the citation graph for Gephi, VOSviewer, a spreadsheet or a browser."""
    from litbase.graph.tables import load_graph

    for written in write_graph(load_graph(open_db(db_path)), path, fmt):
        click.echo(f"wrote {written}", err=True)
