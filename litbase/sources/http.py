"""The manners every litbase HTTP client shares (E-utilities, iCite, Europe PMC).

One rate limiter per server for the whole process, retries with full-jitter
backoff for 429, 5xx, timeouts, resets and bodies cut short (never for other
4xx), Retry-After honoured, connect and read timeouts, and every attempt
reported to an injected ``on_request`` hook for the ``fetches`` log. Each
service's client says how to check an answer and which errors it raises.
"""

from __future__ import annotations

import random as _random
import re
import socket
import threading
import time
from collections import deque
from datetime import datetime, timezone
from typing import Any, Callable

import requests
from urllib.parse import urlsplit

DEFAULT_TIMEOUT = (10.0, 60.0)
DEFAULT_MAX_ATTEMPTS = 5
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
MAX_RETRY_AFTER = 300.0
# Servers measure arrival times; a few ms of slack absorbs jitter between our send and their clock.
RATE_WINDOW_SECONDS = 1.0
RATE_WINDOW_MARGIN = 0.025
# A host that does not resolve or refuses the connection is not busy: it is tried a few
# times, quickly (a flaky resolver, a server restarting), and then named as unreachable.
UNREACHABLE_ATTEMPTS = 3
UNREACHABLE_DELAY = 0.2


class ServiceError(Exception):
    """Base class; `retryable` says whether the same request may succeed later."""

    retryable = False

    def __init__(self, endpoint: str, message: str):
        super().__init__(f"{endpoint}: {message}")
        self.endpoint = endpoint


class ServiceHTTPError(ServiceError):
    """A non-200 answer; 429 and 5xx are retryable, other 4xx are not."""

    def __init__(self, endpoint: str, status: int, detail: str = ""):
        super().__init__(endpoint, f"HTTP {status}" + (f": {detail}" if detail else ""))
        self.status = status
        self.retryable = status == 429 or status >= 500


class ServiceTransportError(ServiceError):
    """Timeout, reset, dropped connection or a body cut short."""

    retryable = True


class ServiceUnreachable(ServiceTransportError):
    """The host's name does not resolve or it refuses the connection; `reason` says which."""

    def __init__(self, endpoint: str, host: str, reason: str):
        super().__init__(endpoint, f"{host} could not be reached: {reason}")
        self.host, self.reason = host, reason


NAME_DOES_NOT_RESOLVE = "the name does not resolve"
CONNECTION_REFUSED = "the connection was refused"


def unreachable_reason(exc: BaseException) -> str | None:
    """Why a connection was never made (name, refusal), from the chain requests and urllib3 build."""
    seen, todo = set(), [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen or not isinstance(e, BaseException):
            continue
        seen.add(id(e))
        if isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError":
            return NAME_DOES_NOT_RESOLVE
        if isinstance(e, ConnectionRefusedError):
            return CONNECTION_REFUSED
        todo += [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
    return None


class ServiceRetriesExhausted(ServiceError):
    """Every attempt failed with a retryable error; `last_error` is the final one."""

    def __init__(self, endpoint: str, attempts: int, last_error: ServiceError):
        super().__init__(endpoint, f"gave up after {attempts} attempts; last error: {last_error}")
        self.attempts = attempts
        self.last_error = last_error


class RateLimiter:
    """Sliding window: no `window` (+ margin) seconds ever hold more than `max_requests` starts."""

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


# A server counts our requests per IP address (per key where there is one),
# not per client object: every client of a process shares the server's limiter.
_shared_limiters: dict[tuple, RateLimiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(key: tuple, requests_per_second: int) -> RateLimiter:
    """The process-wide limiter for one server (and key kind)."""
    with _shared_lock:
        if key not in _shared_limiters:
            _shared_limiters[key] = RateLimiter(requests_per_second)
        return _shared_limiters[key]


def retry_after_seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:  # an HTTP date; these services send seconds, so fall back to our backoff
        return None
    return None if seconds is None or seconds < 0 else min(seconds, MAX_RETRY_AFTER)


def excerpt(body: bytes | None, limit: int = 200) -> str:
    """The start of an error page as one line of text, markup removed."""
    text = re.sub(rb"<[^>]*>", b" ", body or b"").decode("utf-8", "replace")
    return " ".join(text.split())[:limit]


class PoliteClient:
    """The retry loop and its bookkeeping; subclasses send and check their own requests."""

    # The error family a subclass raises for a broken connection and for giving up.
    transport_error: type[ServiceError] = ServiceTransportError
    unreachable: type[ServiceUnreachable] = ServiceUnreachable
    retries_exhausted: type[ServiceError] = ServiceRetriesExhausted

    def __init__(self, *, limiter: RateLimiter, session: requests.Session | None = None,
                 timeout: tuple[float, float] | float = DEFAULT_TIMEOUT,
                 max_attempts: int = DEFAULT_MAX_ATTEMPTS, backoff_base: float = BACKOFF_BASE,
                 backoff_cap: float = BACKOFF_CAP,
                 on_request: Callable[[dict[str, Any]], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 random: Callable[[], float] = _random.random,
                 clock: Callable[[], float] = time.monotonic):
        self.session = session or requests.Session()
        self.limiter = limiter
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.on_request = on_request
        # Injected so tests can check each wait and each logged duration exactly.
        self._sleep, self._random, self._clock = sleep, random, clock

    def close(self) -> None:
        self.session.close()

    def scrub(self, text: str) -> str:
        """Remove secrets from text that may be logged; nothing to remove by default."""
        return text

    def send(self, endpoint: str, method: str, url: str, *, logged_params: dict,
             check: Callable[[requests.Response], tuple[Any, str]], **request_args) -> Any:
        """One request with retries. ``check(response)`` returns (result, outcome) or
        raises a ServiceError; ``logged_params`` is what the fetch log may see."""
        last_error: ServiceError | None = None
        for attempt in range(1, self.max_attempts + 1):
            self.limiter.acquire()
            started_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
            t0 = self._clock()
            status = body = retry_after = error = result = None
            outcome = "ok"
            try:
                response = self.session.request(method, url, timeout=self.timeout, **request_args)
                status, body = response.status_code, response.content
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                result, outcome = check(response)
            except requests.ConnectionError as exc:
                reason = unreachable_reason(exc)
                if reason is not None:
                    error = self.unreachable(endpoint, urlsplit(url).hostname or url, reason)
                else:
                    error = self.transport_error(endpoint, self.scrub(f"{type(exc).__name__}: {exc}"))
            except (requests.Timeout,
                    requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                # requests puts the full URL (with any key on a GET) into its messages.
                error = self.transport_error(endpoint, self.scrub(f"{type(exc).__name__}: {exc}"))
            except ServiceError as exc:
                error = exc
            unreachable = isinstance(error, ServiceUnreachable)
            will_retry = (error is not None and error.retryable and attempt < self.max_attempts
                          and not (unreachable and attempt >= UNREACHABLE_ATTEMPTS))
            if self.on_request is not None:
                self.on_request({
                    "endpoint": endpoint, "method": method, "params": dict(logged_params),
                    "status": status, "bytes": None if body is None else len(body),
                    "seconds": round(self._clock() - t0, 4), "attempt": attempt,
                    "outcome": outcome if error is None else "retry" if will_retry else "error",
                    "error": None if error is None else self.scrub(str(error)),
                    "started_at": started_at})
            if error is None:
                return result
            if not error.retryable:
                raise error
            if unreachable and not will_retry:
                raise self.retries_exhausted(endpoint, attempt, error) from error
            last_error = error
            if will_retry:
                self._sleep(UNREACHABLE_DELAY if unreachable else self._delay(attempt, retry_after))
        raise self.retries_exhausted(endpoint, self.max_attempts, last_error) from last_error

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        # Full jitter (random in [0, cap]) keeps several clients from retrying in lockstep.
        backoff = self._random() * min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        return retry_after if retry_after is not None and retry_after > backoff else backoff
