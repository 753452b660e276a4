"""Options and argument checks that several commands share."""

from __future__ import annotations

import click

from litbase.model.ids import InvalidPmid, parse_pmid


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


def pmid_arguments(values) -> list[int]:
    """Check every PMID before any request is sent."""
    try:
        return list(dict.fromkeys(parse_pmid(v) for v in values))
    except InvalidPmid as error:
        raise click.BadParameter(str(error), param_hint="PMID")


def left_over_detail(counts: dict) -> str:
    """What a budget left out, as "30 citing articles at depth 2, 12 references at depth 2"."""
    nouns = {"reference": "references", "citing": "citing articles", "similar": "similar articles"}
    parts = []
    for key, n in sorted(counts.items(), key=lambda kv: (kv[0].split(" at ")[1], -kv[1])):
        role, depth = key.split(" at ")
        parts.append(f"{n} {nouns.get(role, role)} at {depth}")
    return ", ".join(parts)
