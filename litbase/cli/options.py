"""What several commands share: options, argument checks, the services' clients and their errors.

This is the one place litbase reads its environment: ``--api-key`` and
``--email`` come from NCBI_API_KEY and NCBI_EMAIL through click
(``ncbi_options``, kept in ``litbase.cli.ncbi_options``), the base URLs from
LITBASE_*_URL here. The clients in ``litbase.sources`` take all of
it as arguments.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Callable

import click
from lxml import etree

from litbase.grow.answers import IDENTITY, without_identity
from litbase.grow.links import make_clients
from litbase.model.ids import InvalidPmid, parse_pmid
from litbase.parse.europepmc import EuropePmcParseError
from litbase.parse.eutils import EutilsReplyError
from litbase.parse.icite import IciteParseError
from litbase.parse.idconv import IdconvParseError
from litbase.parse.idlists import classify
from litbase.parse.pubmed import PubmedParseError
from litbase.sources.eutils import EutilsClient, EutilsResponseError
from litbase.sources.http import ServiceError, ServiceHTTPError, ServiceRetriesExhausted, ServiceUnreachable
from litbase.sources.idconv import IdconvClient
from litbase.sources.json_api import SourceFormatError
from litbase.store.articles import record_fetch

# Where each service lives when not at its public address (tests point them at local servers).
URL_VARIABLES = {"eutils": "LITBASE_EUTILS_URL", "idconv": "LITBASE_IDCONV_URL",
                 "icite": "LITBASE_ICITE_URL", "europepmc": "LITBASE_EUROPEPMC_URL"}


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


def logs_requests(db, progress) -> Callable[[dict], None]:
    """``on_request`` for a command's clients: each attempt into ``fetches`` and the progress bar."""
    def on_request(request: dict) -> None:
        # The key and the e-mail go to NCBI only, never into the log.
        params = {k: v for k, v in (request.get("params") or {}).items() if k not in IDENTITY}
        error = request.get("error")
        record_fetch(db, {**request, "params": params, "error": error and without_identity(error)})
        progress.on_request(request)

    return on_request


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


# The human name of the service behind an endpoint; efetch, elink and esearch are PubMed's.
SOURCE_NAMES = {"idconv": "NCBI's ID converter", "icite": "iCite", "europepmc": "Europe PMC"}
# Parser errors, by the service whose answer they read. read_answer and the link fetchers
# turn them into the service's error; these catch one that reaches a command some other way.
PARSE_ERRORS = {PubmedParseError: "PubMed", EutilsReplyError: "PubMed", etree.XMLSyntaxError: "PubMed",
                IdconvParseError: "NCBI's ID converter", IciteParseError: "iCite",
                EuropePmcParseError: "Europe PMC"}
RESUME = "run the same command again to resume"


def source_name(endpoint: str) -> str:
    return SOURCE_NAMES.get(endpoint.split("/")[0], "PubMed")


def _detail(error: ServiceError) -> str:
    # ServiceError's text starts with its endpoint, which the line names once, beside the service.
    return str(error).removeprefix(f"{error.endpoint}: ")


def source_error_line(error: Exception, stored: str, check: str) -> str:
    """One line: which service failed and how, what is stored, and what to do."""
    todo = RESUME
    if isinstance(getattr(error, "last_error", error), ServiceUnreachable):
        return f"{failure_sentence(error)} {stored}; {todo}."
    if not isinstance(error, ServiceError):
        source = next(name for kind, name in PARSE_ERRORS.items() if isinstance(error, kind))
        what = f"sent an answer litbase cannot read: {error}"
        return " ".join(f"{source} {what.rstrip('.')}. {stored}; {todo}.".split())
    if isinstance(error, ServiceRetriesExhausted):
        endpoint = error.endpoint
        what = (f"gave no usable answer in {error.attempts} attempts, the last one"
                f" {_detail(error.last_error)}")
    elif isinstance(error, EutilsResponseError):
        endpoint, what = error.endpoint, f"answered with an error: {error.ncbi_message}"
        if not error.transient:
            todo = f"asking again will not help: check {check}"
    elif isinstance(error, SourceFormatError):
        endpoint, what = error.endpoint, f"sent an answer litbase cannot read: {_detail(error)}"
    else:
        endpoint, what = error.endpoint, f"failed: {_detail(error)}"
        if isinstance(error, ServiceHTTPError) and not error.retryable:
            todo = f"asking again will not help: check {check}"
    # Error pages and parser messages may carry line breaks and end with their own full stop;
    # the report is one line of sentences.
    line = f"{source_name(endpoint)} ({endpoint}) {what.rstrip('.')}. {stored}; {todo}."
    return without_identity(" ".join(line.split()))


def failure_sentence(error: ServiceError) -> str:
    """One sentence: which service failed and how ("iCite (icite.od.nih.gov) could not be reached: ...")."""
    if isinstance(error, ServiceUnreachable):
        return f"{source_name(error.endpoint)} ({error.host}) could not be reached: {error.reason}."
    if isinstance(error, ServiceRetriesExhausted):
        last = error.last_error
        if isinstance(last, ServiceUnreachable):
            return failure_sentence(last)
        what = f"gave no usable answer in {error.attempts} attempts, the last one {_detail(last)}"
    elif isinstance(error, SourceFormatError):
        what = f"sent an answer litbase cannot read: {_detail(error)}"
    else:
        what = f"failed: {_detail(error)}"
    line = f"{source_name(error.endpoint)} ({error.endpoint}) {what.rstrip('.')}."
    return without_identity(" ".join(line.split()))


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def listed(values, shown: int = 20) -> str:
    """The first values and how many more: a one-line message stays one readable line."""
    values = list(values)
    text = ", ".join(str(v) for v in values[:shown])
    return text + (f" and {len(values) - shown} more" if len(values) > shown else "")


def source_failures_paragraph(failures, command: str) -> str:
    """What the sources beside PubMed that failed cost, and the command that finishes the job."""
    lines = [f"{failure_sentence(error)} Its links are missing for"
             f" {plural(len(failures.pmids.get(name, [])), 'article')}."
             for name, error in failures.errors.items()]
    lines.append("Everything PubMed gave is stored. To ask "
                 + " and ".join(SOURCE_NAMES[name] for name in failures.errors)
                 + f" again for just those articles, run: {command}")
    return "\n".join(lines)


def command_line(ctx: click.Context) -> str:
    """The command as the user could type it again: its arguments, and the options not at their default."""
    import shlex

    words = ["litbase", ctx.info_name]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if isinstance(param, click.Argument):
            words += [str(v) for v in (value if isinstance(value, (list, tuple)) else [value])]
        elif param.name not in ("api_key", "email", "progress") and value != param.default \
                and value not in (None, False):
            words += [param.opts[0]] if param.is_flag else [param.opts[0], str(value)]
    return " ".join(shlex.quote(w) for w in words)


@contextlib.contextmanager
def reports_source_errors(stored: str = "Everything fetched so far is stored",
                          check: str = "the PMIDs",
                          before: Callable[[], None] = lambda: None) -> Iterator[None]:
    """Turn any error of a source or of reading its answer into one line and exit status 1.

    ``stored`` says what the failed run kept, ``check`` what to correct when
    asking again cannot help, ``before`` runs first (closing a progress bar).
    """
    try:
        yield
    except (ServiceError, *PARSE_ERRORS) as error:
        before()
        raise click.ClickException(source_error_line(error, stored, check)) from None


_PUBMED_URL = re.compile(r"^https?://(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/"
                         r"(\d{1,9})/?(?:[?#].*)?$", re.I)
IMPORT_HINT = ("litbase import DB FILE takes a file of PMIDs, DOIs and PMCIDs (one a line),"
               " resolves them and fetches their records")


def not_a_pmid(value: str) -> str | None:
    """What a value given for a PMID is, when it is another identifier, and which command takes it."""
    text = str(value).strip()
    url = _PUBMED_URL.match(text)
    if url:
        return (f"{value!r} is a PubMed address, not a PMID: its PMID is {int(url.group(1))};"
                f" give that instead")
    try:
        kind = classify(text)
    except InvalidPmid:
        return None
    if kind and kind[0] in ("doi", "pmcid"):
        name = {"doi": "a DOI", "pmcid": "a PMCID"}[kind[0]]
        return f"{value!r} is {name}, not a PMID: {IMPORT_HINT}"
    return None


def pmid_arguments(values, hint: bool = False) -> list[int]:
    """Check every PMID before any request is sent; ``hint``: name a DOI, PMCID or PubMed URL
    given instead, and the command that takes it."""
    pmids = []
    for value in values:
        try:
            pmids.append(parse_pmid(value))
        except InvalidPmid as error:
            other = not_a_pmid(value) if hint else None
            raise click.BadParameter(other or str(error), param_hint="PMID")
    return list(dict.fromkeys(pmids))


def left_over_detail(counts: dict) -> str:
    """What a budget left out, as "30 citing articles at depth 2, 12 references at depth 2"."""
    nouns = {"reference": "references", "citing": "citing articles", "similar": "similar articles"}
    parts = []
    for key, n in sorted(counts.items(), key=lambda kv: (kv[0].split(" at ")[1], -kv[1])):
        role, depth = key.split(" at ")
        parts.append(f"{n} {nouns.get(role, role)} at {depth}")
    return ", ".join(parts)
