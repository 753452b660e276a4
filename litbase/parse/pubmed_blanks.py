"""Parse PubMed XML without its layout whitespace, and still lose no space.

PubMed files are indented: every element sits on its own line, so half the
nodes libxml2 would build are whitespace-only text. ``parse_pubmed`` asks
libxml2 to drop them (``remove_blank_text``): the 2020 baseline file then
parses in about 15 % less time. Without a DTD, libxml2 decides what to drop
by a rule of thumb: a whitespace-only run is dropped at any gap of an element
whose first child is not text. That is right for containers and wrong for
the rare inline markup that opens with a tag, such as
``<ArticleTitle><i>Escherichia coli</i> <i>fimH</i> ...`` (it would read
"Escherichia colifimH").

So text flattening (``parse_pubmed_fields.text_of``) notes each such gap.
A gap at either end of the text, or beside layout whitespace, changes
nothing; any other raises ``BlankMayBeLost``, and the parser reads that
record again from the bytes it has just parsed, this time keeping every
blank. In the 2021 update file that is 40 records of 20,788 (one of them
really had the space); in the 2020 baseline file, none.
"""

from __future__ import annotations

import copy
import re
from collections import deque
from typing import BinaryIO

from lxml import etree

__all__ = ["BlankMayBeLost", "BLANKS_KEPT_ROOT", "RecentBytes", "record_with_blanks"]

# Root tag of a tree whose whitespace is complete. Flattening inside it never
# raises BlankMayBeLost.
BLANKS_KEPT_ROOT = "litbase-blanks-kept"

# The reader keeps this many of its latest chunks: the record just parsed
# ends in the newest one, and a record is rarely larger than a chunk.
_CHUNKS_KEPT = 4
# After this many records of one document could not be found again, the rest
# are read as parsed: a hostile file of such records costs no more than a
# normal one.
_MISSES_ALLOWED = 16


class BlankMayBeLost(Exception):
    """Flattening reached a gap where libxml2 may have dropped a space."""


def blanks_are_kept(el) -> bool:
    """Whether ``el`` belongs to a tree parsed with every blank kept."""
    return el.getroottree().getroot().tag == BLANKS_KEPT_ROOT


class RecentBytes:
    """A binary reader that remembers the last few chunks it returned."""

    def __init__(self, stream: BinaryIO):
        self._stream = stream
        self._chunks: deque[bytes] = deque(maxlen=_CHUNKS_KEPT)
        self.records_missed = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if data:
            self._chunks.append(data)
        return data

    def latest(self, chunks: int) -> bytes:
        """The last ``chunks`` chunks read, joined."""
        kept = list(self._chunks)
        return b"".join(kept[-chunks:])

    def chunk_count(self) -> int:
        return len(self._chunks)


def record_with_blanks(elem, recent: RecentBytes):
    """``elem`` (a record parsed without blanks) read again with them kept.

    The record's bytes are found by its PMID among the recent chunks and
    confirmed by parsing them the way ``elem`` was parsed and comparing the
    two. When they cannot be found (a record larger than the chunks kept, a
    document that is not UTF-8 or declares entities), the record is read as
    parsed: a space between two inline elements may then be missing.
    """
    if recent.records_missed < _MISSES_ALLOWED:
        found = _RecordBytes(elem)
        # The record ends in the newest chunk; widen the search only as needed.
        for chunks in sorted({1, 2, recent.chunk_count()}):
            exact = found.in_window(recent.latest(chunks))
            if exact is not None:
                return exact
        recent.records_missed += 1
    holder = etree.Element(BLANKS_KEPT_ROOT, nsmap=_prefixed(elem.nsmap))
    holder.append(copy.deepcopy(elem))
    return holder[0]


class _RecordBytes:
    """Finds one record's bytes in a window of the document and re-parses them."""

    def __init__(self, elem):
        self.expected = etree.tostring(elem, with_tail=False)
        self.namespaces = _prefixed(elem.nsmap)
        self.encoding = elem.getroottree().docinfo.encoding or "UTF-8"
        tag = elem.tag.encode()
        pmid = (elem.findtext("MedlineCitation/PMID")
                or elem.findtext("BookDocument/PMID") or "").strip().encode()
        self.tag_start = b"<" + tag
        self.pmid_end = b">" + pmid + b"</PMID>"
        # PMID is the first child of MedlineCitation or BookDocument.
        self.opening = re.compile(
            re.escape(self.tag_start) + rb"\s*>\s*<(?:MedlineCitation|BookDocument)\b[^>]*>"
            rb"\s*<PMID\b[^>]*" + re.escape(self.pmid_end))
        self.closing = re.compile(rb"</" + re.escape(tag) + rb"\s*>")
        self.holder_open, self.holder_close = _holder_tags(self.namespaces)

    def in_window(self, window: bytes):
        """The record re-parsed with blanks kept, or None if not in ``window``."""
        end = len(window)
        while True:
            # rfind runs at memory speed; a regex scan of the window would
            # cost ten times as much.
            hit = window.rfind(self.pmid_end, 0, end)
            if hit < 0:
                return None
            end = hit
            start = window.rfind(self.tag_start, 0, hit)
            if start < 0:
                return None
            if not self.opening.match(window, start):
                continue  # the PMID of a cited or corrected article
            closing = self.closing.search(window, hit)
            if closing is None:
                continue
            exact = self._parse(window[start:closing.end()])
            if exact is not None:
                return exact

    def _parse(self, piece: bytes):
        document = self.holder_open + piece + self.holder_close
        try:
            stripped = etree.fromstring(document, _parser(self.encoding, keep_blanks=False))
            if etree.tostring(stripped[0], with_tail=False) != self.expected:
                return None
            return etree.fromstring(document, _parser(self.encoding, keep_blanks=True))[0]
        except etree.XMLSyntaxError:
            return None


def _prefixed(namespaces: dict) -> dict:
    """The prefixed namespaces only: a default one would put BLANKS_KEPT_ROOT in it.

    (A record under a default namespace is not read at all: its tags do not
    match the parser's.)
    """
    return {prefix: uri for prefix, uri in namespaces.items() if prefix is not None}


def _holder_tags(namespaces: dict) -> tuple[bytes, bytes]:
    """Start and end tags of a BLANKS_KEPT_ROOT declaring ``namespaces``."""
    empty = etree.tostring(etree.Element(BLANKS_KEPT_ROOT, nsmap=namespaces))
    return empty[:-2] + b">", b"</" + BLANKS_KEPT_ROOT.encode() + b">"


def _parser(encoding: str, keep_blanks: bool) -> etree.XMLParser:
    # The same guards as the streaming parser: untrusted input.
    return etree.XMLParser(
        encoding=encoding,
        remove_blank_text=not keep_blanks,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
    )
