"""NCBI E-utilities client: every rule of NCBI etiquette in one class (STYLE point 9)."""

from __future__ import annotations

import json
import os
import random as _random
import re
import threading
import time
import urllib.parse
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable

import requests
from lxml import etree

DEFAULT_BASE_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
TOOL = "litbase"
# NCBI: long GET URLs fail with 414; POST once a request carries about 200 IDs.
NCBI_MAX_IDS_PER_GET = 200
MAX_GET_QUERY_CHARS = 2000
# NCBI: at most 3 requests/s per IP without an API key, 10/s with one.
REQUESTS_PER_SECOND_NO_KEY = 3
REQUESTS_PER_SECOND_WITH_KEY = 10
# NCBI measures arrival times; a few ms of slack absorbs jitter between our send and their clock.
RATE_WINDOW_SECONDS = 1.0
RATE_WINDOW_MARGIN = 0.025
DEFAULT_TIMEOUT = (10.0, 60.0)
DEFAULT_MAX_ATTEMPTS = 5
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
MAX_RETRY_AFTER = 300.0
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


class EutilsError(Exception):
    """Base class; `retryable` says whether the same request may succeed later."""

    retryable = False

    def __init__(self, endpoint: str, message: str):
        super().__init__(f"{endpoint}: {message}")
        self.endpoint = endpoint


class EutilsHTTPError(EutilsError):
    """A non-200 answer; 429 and 5xx are retryable, other 4xx are not."""

    def __init__(self, endpoint: str, status: int, detail: str = ""):
        super().__init__(endpoint, f"HTTP {status}" + (f": {detail}" if detail else ""))
        self.status = status
        self.retryable = status == 429 or status >= 500


class EutilsResponseError(EutilsError):
    """NCBI reported an error inside an HTTP 200 body (<ERROR>, esearchresult.ERROR)."""

    def __init__(self, endpoint: str, message: str, transient: bool = False):
        super().__init__(endpoint, f"NCBI error: {message}")
        self.ncbi_message = message
        self.retryable = self.transient = transient


class EutilsTransportError(EutilsError):
    """Timeout, reset, dropped connection or a body cut short (XML root not closed)."""

    retryable = True


class EutilsRetriesExhausted(EutilsError):
    """Every attempt failed with a retryable error; `last_error` is the final one."""

    def __init__(self, endpoint: str, attempts: int, last_error: EutilsError):
        super().__init__(endpoint, f"gave up after {attempts} attempts; last error: {last_error}")
        self.attempts = attempts
        self.last_error = last_error


class RateLimiter:
    """Sliding window: no `window` (+ margin) seconds ever hold more than `max_requests` starts."""

    # NCBI counts requests per IP address (per key with a key), not per client object, so every
    # client of a process that talks to the same server with the same key kind shares one limiter.
    _shared: dict[tuple[str, bool], "RateLimiter"] = {}
    _shared_lock = threading.Lock()

    def __init__(self, max_requests: int, window: float = RATE_WINDOW_SECONDS,
                 margin: float = RATE_WINDOW_MARGIN, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.max_requests = max_requests
        self.span = window + margin
        self._clock, self._sleep = clock, sleep
        self._starts: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may start; return the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                while self._starts and self._starts[0] + self.span <= now:
                    self._starts.popleft()
                if len(self._starts) < self.max_requests:
                    self._starts.append(now)
                    return waited
                delay = max(self._starts[0] + self.span - now, 1e-6)
            self._sleep(delay)
            waited += delay

    @classmethod
    def shared(cls, base_url: str, has_key: bool) -> "RateLimiter":
        """The process-wide limiter for one server and key kind."""
        with cls._shared_lock:
            key = (base_url.rstrip("/"), has_key)
            if key not in cls._shared:
                rate = REQUESTS_PER_SECOND_WITH_KEY if has_key else REQUESTS_PER_SECOND_NO_KEY
                cls._shared[key] = cls(rate)
            return cls._shared[key]


class EutilsClient:
    """Talks to E-utilities politely: identity, one shared limiter, retries, POST for long lists."""

    def __init__(self, email: str | None = None, api_key: str | None = None,
                 base_url: str | None = None, *, tool: str = TOOL,
                 session: requests.Session | None = None, limiter: RateLimiter | None = None,
                 timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, backoff_base: float = BACKOFF_BASE,
                 backoff_cap: float = BACKOFF_CAP,
                 on_request: Callable[[dict[str, Any]], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 random: Callable[[], float] = _random.random):
        self.tool = tool
        self.email = email or os.environ.get("NCBI_EMAIL") or None
        self._api_key = api_key or os.environ.get("NCBI_API_KEY") or None
        base = base_url or os.environ.get("LITBASE_EUTILS_URL") or DEFAULT_BASE_URL
        self.base_url = base.rstrip("/") + "/"
        self.session = session or requests.Session()
        self.limiter = limiter or RateLimiter.shared(self.base_url, self._api_key is not None)
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.on_request = on_request
        self._sleep, self._random = sleep, random

    def __repr__(self) -> str:  # never show the key
        return f"EutilsClient(base_url={self.base_url!r}, has_api_key={self._api_key is not None})"

    @property
    def has_api_key(self) -> bool:
        return self._api_key is not None

    def close(self) -> None:
        self.session.close()

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
        last_error: EutilsError | None = None
        for attempt in range(1, self.max_attempts + 1):
            self.limiter.acquire()
            started_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
            t0 = time.monotonic()
            status = body = retry_after = error = None
            try:
                response = self.session.request(
                    method, url, timeout=self.timeout,
                    params=sent if method == "GET" else None,
                    data=sent if method == "POST" else None)
                status, body = response.status_code, response.content
                retry_after = _retry_after(response.headers.get("Retry-After"))
                self._check(endpoint, status, body, expect_root)
            except (requests.Timeout, requests.ConnectionError,
                    requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                # requests puts the full URL (with api_key on a GET) into its messages.
                error = EutilsTransportError(endpoint, self._scrub(f"{type(exc).__name__}: {exc}"))
            except EutilsError as exc:
                error = exc
            will_retry = error is not None and error.retryable and attempt < self.max_attempts
            if self.on_request is not None:
                self.on_request({
                    "endpoint": endpoint, "method": method, "params": dict(public),
                    "status": status, "bytes": None if body is None else len(body),
                    "seconds": round(time.monotonic() - t0, 4), "attempt": attempt,
                    "outcome": "ok" if error is None else "retry" if will_retry else "error",
                    "error": None if error is None else self._scrub(str(error)),
                    "started_at": started_at})
            if error is None:
                return body
            if not error.retryable:
                raise error
            last_error = error
            if will_retry:
                self._sleep(self._delay(attempt, retry_after))
        raise EutilsRetriesExhausted(endpoint, self.max_attempts, last_error) from last_error

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        # Full jitter (random in [0, cap]) keeps several clients from retrying in lockstep.
        backoff = self._random() * min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        if retry_after is not None and retry_after > backoff:
            return retry_after
        return backoff

    def _scrub(self, text: str) -> str:
        if self._api_key:
            text = text.replace(self._api_key, "***")
        return _API_KEY_IN_URL.sub(r"\1***", text)

    def _check(self, endpoint: str, status: int, body: bytes, expect_root: str | None) -> None:
        if status != 200:
            raise EutilsHTTPError(endpoint, status, self._scrub(_excerpt(body)))
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


def _retry_after(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:  # an HTTP date; NCBI sends seconds, so fall back to our own backoff
        return None
    return None if seconds is None or seconds < 0 else min(seconds, MAX_RETRY_AFTER)


def _excerpt(body: bytes | None, limit: int = 200) -> str:
    text = re.sub(rb"<[^>]*>", b" ", body or b"").decode("utf-8", "replace")
    return " ".join(text.split())[:limit]
