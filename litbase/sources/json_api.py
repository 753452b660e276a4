"""Polite JSON over HTTP for the citation sources beside PubMed (iCite, Europe PMC).

The manners are http_client.PoliteClient's, as for ``EutilsClient``. Neither
service takes a key, so there is nothing secret to scrub; the contact
address goes in the User-Agent.
"""

from __future__ import annotations

import json
from typing import Any

import requests

from litbase import __version__
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


class SourceError(ServiceError):
    """Base class for iCite and Europe PMC failures; `retryable` says whether asking again may help."""


class SourceHTTPError(SourceError, ServiceHTTPError):
    """A non-200 answer; 429 and 5xx are retryable, other 4xx are not."""


class SourceTransportError(SourceError, ServiceTransportError):
    """Timeout, reset, dropped connection or a JSON body cut short."""


class SourceUnreachable(SourceTransportError, ServiceUnreachable):
    """The service's host name does not resolve or it refuses the connection."""


class SourceFormatError(SourceError):
    """Well-formed JSON that is not the shape the protocol promises; asking again will not help."""


class SourceRetriesExhausted(SourceError, ServiceRetriesExhausted):
    """Every attempt failed with a retryable error; `last_error` is the final one."""


class JsonClient(PoliteClient):
    """GET JSON documents from one service; subclasses name the service and its endpoints.

    Keyword arguments after ``email`` are http_client.PoliteClient's.
    """

    service = "json"
    requests_per_second = 3
    transport_error = SourceTransportError
    retries_exhausted = SourceRetriesExhausted
    unreachable = SourceUnreachable

    def __init__(self, base_url: str, *, email: str | None = None,
                 limiter: RateLimiter | None = None, **manners: Any):
        self.base_url = base_url.rstrip("/") + "/"
        self.email = email or None
        limiter = limiter or shared_limiter((self.service, base_url.rstrip("/")), self.requests_per_second)
        super().__init__(limiter=limiter, **manners)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

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

        def check(response: requests.Response) -> tuple[Any, str]:
            if response.status_code == 404 and not_found_is_empty:
                return None, "empty"
            if response.status_code != 200:
                raise SourceHTTPError(name, response.status_code, excerpt(response.content))
            return _decode(name, response.content), "ok"

        return self.send(name, "GET", self.base_url + path.lstrip("/"),
                         logged_params={"path": path, **params}, check=check, params=params,
                         headers={"User-Agent": self.user_agent, "Accept": "application/json"})


def _decode(name: str, body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        # An honest Content-Length with half a document behind it: the
        # server's side of the connection broke; the next attempt may not.
        raise SourceTransportError(name, "JSON body cut short or not JSON") from None
