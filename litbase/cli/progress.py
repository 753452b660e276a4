"""Progress on the terminal for long work: items, requests and time left."""

from __future__ import annotations

import sys

from tqdm import tqdm


class CrawlProgress:
    """A tqdm bar per crawl phase, with the running request count beside it.

    The request count comes from the client's ``on_request`` hook, so it
    includes retries; time left is tqdm's estimate from the batches so far.
    """

    def __init__(self, enabled: bool | None = None, stream=None):
        """enabled: True for bars, False for silence, None for bars on a
        terminal and one line per phase in a log."""
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.bars = self.stream.isatty() if enabled is None else enabled
        self.requests = 0
        self.bar: tqdm | None = None

    def on_request(self, request: dict) -> None:
        self.requests += 1
        if self.bar is not None:
            self.bar.set_postfix(requests=self.requests, refresh=True)

    def phase(self, label: str, total: int) -> None:
        self.close()
        if total and self.bars:
            self.bar = tqdm(
                total=total, desc=label, unit="article", file=self.stream, dynamic_ncols=True
            )
            self.bar.set_postfix(requests=self.requests)
        elif total and self.enabled is None:
            print(f"{label}: {total} to fetch ({self.requests} requests so far)", file=self.stream)

    def advance(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
