"""PMID rules and the chunking every batch of identifiers goes through."""

from __future__ import annotations

import re
from collections.abc import Iterator

MAX_PMID = 999_999_999


class InvalidPmid(ValueError):
    pass


def parse_pmid(text) -> int:
    """A PMID as an int, or InvalidPmid naming what is wrong with it."""
    value = str(text).strip()
    if value.startswith("--"):
        raise InvalidPmid(f"{text!r} is neither an option of this command nor a PMID")
    # ASCII digits only: str.isdigit() also accepts "²" (which int() refuses) and "１２３".
    if not re.fullmatch(r"[0-9]+", value):
        raise InvalidPmid(f"{text!r} is not a PMID: PMIDs are positive whole numbers")
    pmid = int(value)
    if not 1 <= pmid <= MAX_PMID:
        raise InvalidPmid(f"{text!r} is not a PMID: PMIDs run from 1 to {MAX_PMID}")
    return pmid


def chunks(items: list, size: int) -> Iterator[list]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
