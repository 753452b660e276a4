"""``litbase report``: TARCiS and PRISMA 2020 counts, the flow diagram and a methods paragraph."""

from __future__ import annotations

import json
from pathlib import Path

import click

from litbase.cli.db_path import DATABASE
from litbase.review.methods import report_markdown
from litbase.review.prisma_svg import prisma_svg
from litbase.review.report import UnknownCollection, build_report
from litbase.store.schema import open_db


@click.command(name="report")
@click.argument("db_path", metavar="DB", type=DATABASE)
@click.option("--collection", required=True, help="The collection to report on")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "svg"]), default="md", show_default=True,
              help="md: methods paragraph, counts and log; json: the same numbers; svg: the PRISMA 2020 diagram")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to FILE instead of standard output")
@click.option("--adjudicator", metavar="REVIEWER",
              help="A reviewer whose latest decision settles a record, whatever the others decided")
def report_command(db_path, collection, fmt, output, adjudicator):
    """Report a collection's citation searching and screening, from the data alone.

    Records identified per direction, hop and source (TARCiS), duplicates
    removed, records screened, excluded (by reason) and included per stage,
    reviewer agreement (kappa), new records and includes per hop, and the
    commands run. A record counts as included or excluded at a stage when
    every reviewer who decided it agrees (or by --adjudicator); otherwise it
    is reported in conflict.

        litbase report litbase.db --collection pmid-35392492 --format svg -o prisma.svg
    """
    if not Path(db_path).is_file():
        raise click.ClickException(f"{db_path} does not exist")
    db = open_db(db_path)
    try:
        report = build_report(db.conn, collection, adjudicator)
    except UnknownCollection as error:
        raise click.ClickException(str(error))
    reviewers = report["log"]["decisions"]["reviewers"]
    if adjudicator and adjudicator not in reviewers:
        raise click.ClickException(f"--adjudicator {adjudicator!r} has decided nothing in collection"
                                   f" {collection!r} (reviewers: {', '.join(reviewers) or 'none yet'})")
    if fmt == "json":
        text = json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "svg":
        text = prisma_svg(report)
    else:
        text = report_markdown(report)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)
    else:
        click.echo(text, nl=False)
