"""Polite JSON over HTTP for the citation sources beside PubMed (iCite, Europe PMC).

The same manners as ``EutilsClient``: one rate limiter per server shared by
every client of the process, retries with full-jitter backoff for 429, 5xx,
timeouts, resets and bodies cut short (never for other 4xx), Retry-After
honoured, timeouts on connect and read, and every attempt reported to
``on_request`` for the ``fetches`` log. Neither service takes a key, so there
is nothing secret to scrub; the contact address goes in the User-Agent.
"""

from __future__ import annotations

import json
import os
import random as _random
import threading
import time
from datetime import datetime, timezone
from typing import Any, Callable

import requests

from . import __version__
from .eutils import RateLimiter, _excerpt, _retry_after

DEFAULT_TIMEOUT = (10.0, 60.0)
DEFAULT_MAX_ATTEMPTS = 5
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0

_shared: dict[str, RateLimiter] = {}
_shared_lock = threading.Lock()


class SourceError(Exception):
    """Base class; `retryable` says whether the same request may succeed later."""

    retryable = False

    def __init__(self, endpoint: str, message: str):
        super().__init__(f"{endpoint}: {message}")
        self.endpoint = endpoint


class SourceHTTPError(SourceError):
    """A non-200 answer; 429 and 5xx are retryable, other 4xx are not."""

    def __init__(self, endpoint: str, status: int, detail: str = ""):
        super().__init__(endpoint, f"HTTP {status}" + (f": {detail}" if detail else ""))
        self.status = status
        self.retryable = status == 429 or status >= 500


class SourceTransportError(SourceError):
    """Timeout, reset, dropped connection or a JSON body cut short."""

    retryable = True


class SourceFormatError(SourceError):
    """Well-formed JSON that is not the shape the protocol promises; asking again will not help."""


class SourceRetriesExhausted(SourceError):
    """Every attempt failed with a retryable error; `last_error` is the final one."""

    def __init__(self, endpoint: str, attempts: int, last_error: SourceError):
        super().__init__(endpoint, f"gave up after {attempts} attempts; last error: {last_error}")
        self.attempts = attempts
        self.last_error = last_error


def shared_limiter(base_url: str, requests_per_second: int) -> RateLimiter:
    """The process-wide limiter for one server: the server counts our requests, not our clients."""
    with _shared_lock:
        key = base_url.rstrip("/")
        if key not in _shared:
            _shared[key] = RateLimiter(requests_per_second)
        return _shared[key]


def base_url_from(env_var: str, default: str, base_url: str | None = None) -> str:
    return (base_url or os.environ.get(env_var) or default).rstrip("/") + "/"


class JsonClient:
    """GET JSON documents from one service; subclasses name the service and its endpoints."""

    service = "json"
    requests_per_second = 3

    def __init__(self, base_url: str, *, email: str | None = None,
                 session: requests.Session | None = None, limiter: RateLimiter | None = None,
                 timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, backoff_base: float = BACKOFF_BASE,
                 backoff_cap: float = BACKOFF_CAP,
                 on_request: Callable[[dict[str, Any]], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 random: Callable[[], float] = _random.random):
        self.base_url = base_url
        self.email = email or os.environ.get("NCBI_EMAIL") or None
        self.session = session or requests.Session()
        self.limiter = limiter or shared_limiter(base_url, self.requests_per_second)
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.on_request = on_request
        self._sleep, self._random = sleep, random

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def close(self) -> None:
        self.session.close()

    @property
    def user_agent(self) -> str:
        # Both services ask heavy users to identify themselves so they can
        # write before they block.
        contact = f"; mailto:{self.email}" if self.email else ""
        return f"litbase/{__version__} (https://pypi.org/project/litbase{contact})"

    def get_json(self, endpoint: str, path: str, params: dict[str, Any],
                 not_found_is_empty: bool = False) -> Any:
        """GET base_url + path with retries; the decoded JSON, or None for a 404 taken as empty."""
        name = f"{self.service}/{endpoint}"
        url = self.base_url + path.lstrip("/")
        last_error: SourceError | None = None
        for attempt in range(1, self.max_attempts + 1):
            self.limiter.acquire()
            started_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
            t0 = time.monotonic()
            status = body = retry_after = error = document = None
            empty = False
            try:
                response = self.session.get(url, params=params, timeout=self.timeout,
                                            headers={"User-Agent": self.user_agent,
                                                     "Accept": "application/json"})
                status, body = response.status_code, response.content
                retry_after = _retry_after(response.headers.get("Retry-After"))
                if status == 404 and not_found_is_empty:
                    empty = True
                elif status != 200:
                    raise SourceHTTPError(name, status, _excerpt(body))
                else:
                    document = _decode(name, body)
            except (requests.Timeout, requests.ConnectionError,
                    requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                error = SourceTransportError(name, f"{type(exc).__name__}: {exc}")
            except SourceError as exc:
                error = exc
            will_retry = error is not None and error.retryable and attempt < self.max_attempts
            if self.on_request is not None:
                self.on_request({
                    "endpoint": name, "method": "GET", "params": {"path": path, **params},
                    "status": status, "bytes": None if body is None else len(body),
                    "seconds": round(time.monotonic() - t0, 4), "attempt": attempt,
                    "outcome": ("empty" if empty else "ok") if error is None
                    else "retry" if will_retry else "error",
                    "error": None if error is None else str(error),
                    "started_at": started_at})
            if error is None:
                return None if empty else document
            if not error.retryable:
                raise error
            last_error = error
            if will_retry:
                self._sleep(self._delay(attempt, retry_after))
        raise SourceRetriesExhausted(name, self.max_attempts, last_error) from last_error

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        # Full jitter (random in [0, cap]) keeps several clients from retrying in lockstep.
        backoff = self._random() * min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return retry_after if retry_after is not None and retry_after > backoff else backoff


def _decode(name: str, body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        # An honest Content-Length with half a document behind it: the
        # server's side of the connection broke; the next attempt may not.
        raise SourceTransportError(name, "JSON body cut short or not JSON") from None
