"""``litbase screen``: record screening decisions, move them in and out as CSV, show agreement;
``litbase reviewers add``: who may screen on the web."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import click

from litbase.cli.db_path import EXISTING_DATABASE
from litbase.cli.options import pmid_arguments
from litbase.model.screening import STAGES, Decision, ScreeningError, check_reason
from litbase.publish.auth import ReviewersError, add_reviewer
from litbase.review.agreement import screening_summary
from litbase.review.screening_csv import export_decisions, import_decisions
from litbase.store.schema import open_db
from litbase.store.screening import (collection_member_pmids, record_decisions, screening_reasons,
                                     set_screening_reasons)


def default_reviewer() -> str | None:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return None


@click.command(name="screen")
@click.argument("db_path", metavar="DB", type=EXISTING_DATABASE)
@click.argument("pmids", metavar="[PMID]...", nargs=-1)
@click.option("--collection", required=True, help="The collection being screened")
@click.option("--include", "decision", flag_value="include", help="Include the PMIDs")
@click.option("--exclude", "decision", flag_value="exclude", help="Exclude the PMIDs")
@click.option("--maybe", "decision", flag_value="maybe", help="Mark the PMIDs maybe (decide later)")
@click.option("--reason", help="Why excluded (or maybe); one of the collection's reasons when it has a list")
@click.option("--note", help="Free-text note kept with the decision")
@click.option("--reviewer", envvar="LITBASE_REVIEWER", default=default_reviewer,
              help="Who decides [default: $LITBASE_REVIEWER, else the login name]")
@click.option("--stage", type=click.Choice(STAGES), default="title_abstract", show_default=True,
              help="Screening stage")
@click.option("--import", "import_path", type=click.Path(dir_okay=False, exists=True),
              help="Decisions CSV to store (pmid, decision, reason, note, reviewer; ASReview's included"
                   " 1/0 and Rayyan's articles.csv read too)")
@click.option("--export", "export_path", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write each reviewer's current decisions as CSV (- for standard output)")
@click.option("--reasons", "reasons", multiple=True,
              help="Set the collection's list of exclusion reasons (repeat for each, in order)")
@click.option("--agreement", is_flag=True, help="Show decisions per reviewer, kappa and conflicts per stage")
@click.option("--json", "as_json", is_flag=True, help="With --agreement: JSON")
def screen_command(db_path, pmids, collection, decision, reason, note, reviewer, stage, import_path,
                   export_path, reasons, agreement, as_json):
    """Record screening decisions (include, exclude, maybe) on a collection's articles.

    Every decision is kept with its time (a new one never overwrites the
    last); the same decision given again is not stored twice.

    \b
        litbase screen litbase.db --collection peer-support 4071206 --exclude --reason "wrong design"
        litbase screen litbase.db --collection peer-support --import decisions.csv
        litbase screen litbase.db --collection peer-support --export decisions.csv
        litbase screen litbase.db --collection peer-support --agreement
    """
    jobs = [bool(pmids or decision), bool(import_path), bool(export_path), bool(reasons), agreement]
    if sum(jobs) > 1:
        raise click.UsageError("give one of: PMIDs with --include/--exclude/--maybe, --import, --export,"
                               " --reasons, --agreement")
    if pmids and not decision:
        raise click.UsageError("say --include, --exclude or --maybe for the PMIDs")
    if decision and not pmids:
        raise click.UsageError(f"--{decision} needs one or more PMIDs")
    db = open_db(db_path)
    try:
        if collection_member_pmids(db.conn, collection) is None:
            raise ScreeningError(f"no collection named {collection!r}")
        if reasons:
            set_screening_reasons(db, collection, list(reasons))
            click.echo(f"{collection}: reasons {'; '.join(screening_reasons(db.conn, collection))}", err=True)
        elif import_path:
            _import(db, collection, import_path, reviewer, stage)
        elif export_path:
            text = export_decisions(db.conn, collection)
            if export_path == "-":
                click.echo(text, nl=False)
            else:
                Path(export_path).write_text(text, encoding="utf-8")
                click.echo(f"{export_path}: {text.count(chr(10)) - 1} current decisions", err=True)
        elif pmids:
            reason = check_reason(reason, screening_reasons(db.conn, collection), collection)
            decisions = [Decision(collection, pmid, reviewer or "", decision, stage, reason, note)
                         for pmid in pmid_arguments(pmids)]
            written = record_decisions(db, decisions)
            click.echo(f"{collection}: {written} decision(s) recorded by {reviewer} at {stage}"
                       + (f", {len(decisions) - written} unchanged" if written < len(decisions) else ""), err=True)
        else:
            _show_agreement(db, collection, as_json)
    except ScreeningError as error:
        raise click.ClickException(str(error))


def _import(db, collection, path, reviewer, stage):
    report = import_decisions(db, path, collection, reviewer, stage)
    for problem in report.problems:
        click.echo(f"skipped: {problem}", err=True)
    click.echo(f"{path}: {report.written} decision(s) recorded, {report.unchanged} unchanged,"
               f" {report.not_screened} not screened, {len(report.problems)} skipped", err=True)
    if report.problems:
        sys.exit(1)


def _show_agreement(db, collection, as_json):
    summary = screening_summary(db.conn, collection)
    if as_json:
        click.echo(json.dumps({"collection": collection, "stages": summary}, indent=2))
        return
    if not summary:
        click.echo(f"{collection}: no decisions yet")
    for stage in summary:
        click.echo(f"{collection}, {stage['stage']}:")
        for name, counts in stage["reviewers"].items():
            click.echo(f"  {name}: " + ", ".join(f"{n} {d}" for d, n in counts.items()))
        a = stage["agreement"]
        if a is None:
            click.echo("  agreement: needs two reviewers")
        else:
            kappa = "undefined" if a["kappa"] is None else f"{a['kappa']:.3f}"
            name = "Cohen's" if a["method"] == "cohen" else "Fleiss'"
            click.echo(f"  {name} kappa {kappa}"
                       f" over {a['records']} records decided by all ({', '.join(a['reviewers'])});"
                       f" observed agreement {a['observed']}, expected by chance {a['expected']}")
        click.echo(f"  conflicts: {len(stage['conflicts'])}"
                   + (f" (PMIDs {', '.join(map(str, stage['conflicts']))})" if stage["conflicts"] else ""))


@click.group(name="reviewers")
def reviewers_group():
    """Manage who may screen on the web (`litbase serve --reviewers FILE`)."""


@reviewers_group.command(name="add")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False))
@click.argument("name")
@click.password_option(help="The reviewer's password (asked for when not given; at least 8 characters)")
def reviewers_add(path, name, password):
    """Add a reviewer to FILE (or set their password): a salted scrypt hash, never the password.

        litbase reviewers add reviewers.txt ana
    """
    try:
        new = add_reviewer(path, name, password)
    except ReviewersError as error:
        raise click.ClickException(str(error))
    click.echo(f"{path}: {'added' if new else 'new password for'} {name}", err=True)
