"""Formatted references in Vancouver, AMA and APA, built as plain strings from CSL-JSON items.

One module a style (vancouver, ama, apa) over the shared joining, name, date and page rules
in common; each prints what its CSL style prints through citeproc-py (the tests hold
citeproc-py as the oracle), at a small fraction of the cost.
"""

from __future__ import annotations

from litbase.formats.writers.styles import ama, apa, vancouver


def bibliography(items: list[dict], style: str) -> list[tuple[str, dict]]:
    """(reference, item) in the style's order: citation order, or APA's sort."""
    if style == "apa":
        return apa.bibliography(items)
    reference = vancouver.reference if style == "vancouver" else ama.reference
    return [(reference(item, number), item) for number, item in enumerate(items, 1)]
