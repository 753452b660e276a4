"""NCBI E-utilities client: every rule of NCBI etiquette in one class.

Identity (tool, email, api_key) on every request, one rate limiter per server
and key kind, retries for 429, 5xx and timeouts and never for other 4xx, POST
for long ID lists, repeated ``id=`` for elink; a rule changed here holds for
every caller.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from typing import Any

import requests
from lxml import etree

from litbase.sources.http import (
    PoliteClient,
    RateLimiter,
    ServiceError,
    ServiceHTTPError,
    ServiceRetriesExhausted,
    ServiceTransportError,
    ServiceUnreachable,
    excerpt,
    shared_limiter,
)

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
TOOL = "litbase"
# NCBI: long GET URLs fail with 414; POST once a request carries about 200 IDs.
NCBI_MAX_IDS_PER_GET = 200
MAX_GET_QUERY_CHARS = 2000
# NCBI: at most 3 requests/s per IP without an API key, 10/s with one.
REQUESTS_PER_SECOND_NO_KEY = 3
REQUESTS_PER_SECOND_WITH_KEY = 10
EXPECTED_ROOTS = {
    "efetch": "PubmedArticleSet",
    "elink": "eLinkResult",
    "esearch": "eSearchResult",
    "epost": "ePostResult",
    "esummary": "eSummaryResult",
    "einfo": "eInfoResult",
}
# NCBI reports some back-end hiccups as <ERROR> inside HTTP 200 ("Unable to obtain query #1",
# "Search Backend failed"); the same request usually succeeds a moment later, so those are retried.
# Errors caused by the request itself (a bad query, an empty id list, retstart past 9,998) are not.
_PERMANENT_ERROR = re.compile(r"cannot be larger|invalid|empty|nothing todo|not supported|unknown|syntax", re.I)
_TRANSIENT_ERROR = re.compile(r"unable to obtain|backend failed|temporarily|try again|timed? ?out|busy", re.I)
_API_KEY_IN_URL = re.compile(r"(api_key=)[^&\s'\"]+")
_XML_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True)
_DEFAULT = object()


class EutilsError(ServiceError):
    """Base class for E-utilities failures; `retryable` says whether asking again may help."""


class EutilsHTTPError(EutilsError, ServiceHTTPError):
    """A non-200 answer; 429 and 5xx are retryable, other 4xx are not."""


class EutilsResponseError(EutilsError):
    """NCBI reported an error inside an HTTP 200 body (<ERROR>, esearchresult.ERROR)."""

    def __init__(self, endpoint: str, message: str, transient: bool = False):
        super().__init__(endpoint, f"NCBI error: {message}")
        self.ncbi_message = message
        self.retryable = self.transient = transient


class EutilsTransportError(EutilsError, ServiceTransportError):
    """Timeout, reset, dropped connection or a body cut short (XML root not closed)."""


class EutilsUnreachable(EutilsTransportError, ServiceUnreachable):
    """The E-utilities host name does not resolve or it refuses the connection."""


class EutilsRetriesExhausted(EutilsError, ServiceRetriesExhausted):
    """Every attempt failed with a retryable error; `last_error` is the final one."""


def ncbi_limiter(base_url: str, has_key: bool) -> RateLimiter:
    """NCBI allows 3 requests/s per IP, 10 with a key; one limiter per server and key kind."""
    rate = REQUESTS_PER_SECOND_WITH_KEY if has_key else REQUESTS_PER_SECOND_NO_KEY
    return shared_limiter(("eutils", base_url.rstrip("/"), has_key), rate)


class EutilsClient(PoliteClient):
    """Talks to E-utilities politely: identity, one shared limiter, retries, POST for long lists.

    Keyword arguments after ``base_url`` (session, limiter, timeout,
    max_attempts, backoff_base, backoff_cap, on_request, sleep, random, clock)
    are ``litbase.sources.http.PoliteClient``'s.
    """

    transport_error = EutilsTransportError
    unreachable = EutilsUnreachable
    retries_exhausted = EutilsRetriesExhausted

    def __init__(self, email: str | None = None, api_key: str | None = None,
                 base_url: str | None = None, *, tool: str = TOOL,
                 limiter: RateLimiter | None = None, **manners: Any):
        self.tool = tool
        # The environment is litbase.cli's to read; a library caller says what it wants.
        self.email = email or None
        self._api_key = api_key or None
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/") + "/"
        super().__init__(limiter=limiter or ncbi_limiter(self.base_url, self._api_key is not None),
                         **manners)

    def __repr__(self) -> str:  # never show the key
        return f"EutilsClient(base_url={self.base_url!r}, has_api_key={self._api_key is not None})"

    # --- endpoints -------------------------------------------------------------------------

    def efetch_pubmed(self, pmids: list[int]) -> bytes:
        """PubMed XML for these PMIDs; unknown PMIDs are silently missing (reconcile by PMID)."""
        if not pmids:
            raise ValueError("efetch_pubmed needs at least one PMID")
        params = {"db": "pubmed", "retmode": "xml", "id": ",".join(str(int(p)) for p in pmids)}
        return self.request("efetch", params)

    def elink_pubmed(self, pmids: list[int], cmd: str = "neighbor_score") -> bytes:
        """All pubmed->pubmed link sets (refs, citedin, similar) with one LinkSet per input PMID."""
        if not pmids:
            raise ValueError("elink_pubmed needs at least one PMID")
        # Repeated id= keeps one LinkSet per PMID; a comma list would merge them (NCBI ELink docs).
        # No linkname, so pubmed_pubmed_refs, _citedin and pubmed_pubmed all come in one call.
        params = {"dbfrom": "pubmed", "db": "pubmed", "cmd": cmd, "id": [str(int(p)) for p in pmids]}
        return self.request("elink", params)

    def esearch(self, term: str, **params: Any) -> bytes:
        """ESearch on PubMed; extra parameters (usehistory, retmax, mindate...) pass through."""
        full = {"db": "pubmed", "term": term, **params}
        root = None if str(full.get("retmode", "xml")).lower() == "json" else "eSearchResult"
        return self.request("esearch", full, expect_root=root)

    def efetch_history(self, webenv: str, query_key: str | int, retstart: int, retmax: int) -> bytes:
        """One page of PubMed XML from a history-server result set."""
        params = {"db": "pubmed", "retmode": "xml", "WebEnv": webenv, "query_key": str(query_key),
                  "retstart": str(retstart), "retmax": str(retmax)}
        return self.request("efetch", params)

    # --- machinery -------------------------------------------------------------------------

    def url_for(self, endpoint: str) -> str:
        """The URL of an endpoint; a client for another NCBI service overrides this."""
        return f"{self.base_url}{endpoint}.fcgi"

    def request(self, endpoint: str, params: dict[str, Any], expect_root: Any = _DEFAULT) -> bytes:
        """Send one E-utilities request with retries; return the checked body."""
        endpoint = endpoint.removesuffix(".fcgi")
        if expect_root is _DEFAULT:
            expect_root = EXPECTED_ROOTS.get(endpoint)
        url = self.url_for(endpoint)
        # NCBI asks every request to carry tool and email so they can contact us before blocking.
        public = {k: v for k, v in params.items() if v is not None and k != "api_key"}
        public["tool"] = self.tool
        if self.email:
            public["email"] = self.email
        sent = dict(public, api_key=self._api_key) if self._api_key else public
        method = "POST" if _wants_post(sent) else "GET"

        def check(response: requests.Response) -> tuple[bytes, str]:
            self._check(endpoint, response.status_code, response.content, expect_root)
            return response.content, "ok"

        return self.send(endpoint, method, url, logged_params=public, check=check,
                         params=sent if method == "GET" else None,
                         data=sent if method == "POST" else None)

    def scrub(self, text: str) -> str:
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return _API_KEY_IN_URL.sub(r"\1***", text)

    def _check(self, endpoint: str, status: int, body: bytes, expect_root: str | None) -> None:
        if status != 200:
            raise EutilsHTTPError(endpoint, status, self.scrub(excerpt(body)))
        text = body.strip()
        if text.startswith(b"{"):
            _check_json(endpoint, text)
        elif expect_root is not None:
            _check_xml(endpoint, text, expect_root)


def _check_json(endpoint: str, text: bytes) -> None:
    try:
        doc = json.loads(text)
    except ValueError:
        raise EutilsTransportError(endpoint, "JSON body cut short") from None
    if not isinstance(doc, dict):
        return
    # NCBI sometimes sends the rate-limit JSON with a 200; it means the same as a 429.
    if "rate limit" in str(doc.get("error", "")).lower():
        raise EutilsHTTPError(endpoint, 429, str(doc["error"]))
    inner = doc.get("esearchresult") if isinstance(doc.get("esearchresult"), dict) else doc
    message = inner.get("ERROR") or inner.get("error")
    if message:
        raise EutilsResponseError(endpoint, str(message), _is_transient(str(message)))


def _check_xml(endpoint: str, text: bytes, expect_root: str) -> None:
    # A bytes search is cheap even on megabytes of efetch XML; parse only when an ERROR shows up.
    if b"<ERROR>" in text:
        try:
            root = etree.fromstring(text, _XML_PARSER)
        except etree.XMLSyntaxError:
            raise EutilsTransportError(endpoint, "XML body cut short") from None
        # <ERROR> directly under the root fails the whole request; elink also puts <ERROR> inside
        # a LinkSet for one unknown PMID, which belongs to that PMID only (see parse_elink).
        messages = [(e.text or "").strip() for e in root.findall("ERROR")]
        if messages:
            message = "; ".join(messages)
            raise EutilsResponseError(endpoint, message, _is_transient(message))
    # A proxy's maintenance page or a login wall arrives as HTTP 200 too; say what came,
    # not that XML was cut short. The root's start tag follows at most an XML
    # declaration and a DOCTYPE line, so the first 4 KB hold it.
    if b"<" + expect_root.encode() not in text[:4096]:
        raise EutilsTransportError(
            endpoint, f"the answer is not {expect_root} XML; it begins: {excerpt(text, 80)!r}")
    if not text.endswith(b"</" + expect_root.encode() + b">"):
        raise EutilsTransportError(endpoint, f"XML body cut short (no closing </{expect_root}>)")


def _is_transient(message: str) -> bool:
    return not _PERMANENT_ERROR.search(message) and bool(_TRANSIENT_ERROR.search(message))


def _wants_post(params: dict[str, Any]) -> bool:
    ids = params.get("id")
    n_ids = len(ids) if isinstance(ids, (list, tuple)) else str(ids).count(",") + 1 if ids else 0
    if n_ids >= NCBI_MAX_IDS_PER_GET:
        return True
    return len(urllib.parse.urlencode(params, doseq=True)) > MAX_GET_QUERY_CHARS
