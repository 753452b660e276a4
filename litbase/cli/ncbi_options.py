"""--api-key and --email, the options of every command that may ask NCBI.

A module of its own, with nothing but click, so that defining a command
with them loads no client library (``litbase.cli.importing``); the rest of
what the commands share is in ``litbase.cli.options``.
"""

from __future__ import annotations

import click


def ncbi_options(command):
    """--api-key and --email, read from NCBI_API_KEY and NCBI_EMAIL."""
    command = click.option(
        "--email",
        envvar="NCBI_EMAIL",
        help="Contact address NCBI asks every client to send [env NCBI_EMAIL]",
    )(command)
    command = click.option(
        "--api-key",
        envvar="NCBI_API_KEY",
        help="NCBI API key: 10 requests/s instead of 3; never stored [env NCBI_API_KEY]",
    )(command)
    return command
