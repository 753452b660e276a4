"""The ``litbase`` command line: a thin layer over the library, database path first.

The group is defined here and adds each command from its own module, so no
command module imports this one.
"""

from __future__ import annotations

import click

from litbase import __version__
from litbase.cli.bibliography import export_command, import_command
from litbase.cli.coverage import coverage_command
from litbase.cli.fetch import fetch_command
from litbase.cli.find import find_command
from litbase.cli.graph import graph_command, graph_export, related_command
from litbase.cli.mirror import mirror_group
from litbase.cli.publish import build, serve, snapshot
from litbase.cli.report import report_command
from litbase.cli.search import collections_group, refresh_command, search_command
from litbase.cli.screen import reviewers_group, screen_command


@click.group(name="litbase")
@click.version_option(__version__, prog_name="litbase")
def cli():
    """Build a PubMed literature and citation knowledge base in SQLite."""


for command in (build, collections_group, coverage_command, export_command, fetch_command,
                graph_command, graph_export, import_command, find_command, refresh_command, related_command,
                report_command, search_command, serve, snapshot):
    cli.add_command(command)
cli.add_command(screen_command)
cli.add_command(reviewers_group)
cli.add_command(mirror_group)
