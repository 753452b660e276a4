"""What several commands share: options, argument checks and the services' clients.

This is the one place litbase reads its environment: ``--api-key`` and
``--email`` come from NCBI_API_KEY and NCBI_EMAIL through click, the base
URLs from LITBASE_*_URL here. The clients in ``litbase.sources`` take all of
it as arguments.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Callable

import click

from litbase.grow.links import make_clients
from litbase.model.ids import InvalidPmid, parse_pmid
from litbase.sources.eutils import EutilsClient
from litbase.sources.idconv import IdconvClient

# Where each service lives when not at its public address (tests point them at local servers).
URL_VARIABLES = {"eutils": "LITBASE_EUTILS_URL", "idconv": "LITBASE_IDCONV_URL",
                 "icite": "LITBASE_ICITE_URL", "europepmc": "LITBASE_EUROPEPMC_URL"}


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


@dataclass(frozen=True)
class Services:
    """Who asks (e-mail, key) and where (a base URL per service, None for the public one)."""

    email: str | None = None
    # repr=False: a Services in a traceback or a log line must not show the key.
    api_key: str | None = field(default=None, repr=False)
    urls: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def from_environment(cls, api_key: str | None = None, email: str | None = None) -> Services:
        """The options' identity and the LITBASE_*_URL base URLs."""
        return cls(email=email or None, api_key=api_key or None,
                   urls={name: os.environ.get(var) or None for name, var in URL_VARIABLES.items()})

    def eutils(self, **manners: Any) -> EutilsClient:
        """An E-utilities client; ``manners`` are PoliteClient's (on_request, max_attempts...)."""
        return EutilsClient(email=self.email, api_key=self.api_key, base_url=self.urls.get("eutils"),
                            **manners)

    def idconv(self, **manners: Any) -> IdconvClient:
        """A client for NCBI's ID converter, with the same identity and manners."""
        return IdconvClient(email=self.email, api_key=self.api_key, base_url=self.urls.get("idconv"),
                            **manners)

    def link_sources(self, names: Iterable[str], **manners: Any) -> dict:
        """A client for each named source beside PubMed (iCite, Europe PMC); neither takes a key."""
        return make_clients(names, base_urls=self.urls, email=self.email, **manners)


@dataclass
class NcbiClients:
    """What an import that must ask NCBI gets: E-utilities and the ID converter."""

    eutils: EutilsClient
    idconv: IdconvClient


def ncbi_on_demand(services: Services, announce: Callable[[str], None],
                   **manners: Any) -> Callable[[str], NcbiClients]:
    """``ask(reason)``: say why NCBI is about to be asked, then the clients, built on first use.

    An import hands this to the importers, so a file that needs no look-up
    builds no client and sends nothing.
    """
    built: list[NcbiClients] = []

    def ask(reason: str) -> NcbiClients:
        announce(reason)
        if not built:
            built.append(NcbiClients(services.eutils(**manners), services.idconv(**manners)))
        return built[0]

    return ask


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
