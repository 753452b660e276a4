"""Parse a list of article identifiers: PMIDs, PMCIDs and DOIs, one a line or separated by
commas or spaces, ``#`` starting a comment. Pure, no I/O."""

from __future__ import annotations

import re

from litbase.model.ids import InvalidPmid, parse_pmid
from litbase.model.errors import BibliographyError

# Semicolons are not separators: old SICI DOIs contain them.
_SEPARATORS = re.compile(r"[\s,]+")
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)", re.I)
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_PMCID = re.compile(r"^pmc(\d+)$", re.I)

_SEP = r"(?:[\s,]|#[^\n]*)"
_TOKEN = (r"(?:(?:pmid:)?\d{1,9}(?![^\s,#])|pmc\d+(?![^\s,#])"
          r"|(?:doi:|https?://(?:dx\.)?doi\.org/)?10\.\d{4,9}/[^\s,#]+)")
# For ``import_files``: the file's start is nothing but identifiers (its last one may be cut off).
SNIFF = re.compile(rf"\ufeff?{_SEP}*{_TOKEN}(?:{_SEP}+{_TOKEN})*{_SEP}*[^\s,#]*\Z", re.I)


def classify(token: str) -> tuple[str, str | int] | None:
    """("pmid", 123), ("pmcid", "PMC123") or ("doi", "10.1/x"); None when it is none of them."""
    bare = re.sub(r"^pmid:", "", token, flags=re.I)
    if bare.isdigit():
        return "pmid", parse_pmid(bare)
    pmcid = _PMCID.match(token)
    if pmcid:
        return "pmcid", f"PMC{int(pmcid.group(1))}"
    doi = _DOI_PREFIX.sub("", token).rstrip(".")
    if _DOI.match(doi):
        # DOIs are case-insensitive; lower case matches how unmatched_records keys them.
        return "doi", doi.lower()
    return None


def parse_id_list(text: str, path: str = "<list>") -> list[dict]:
    """Identifiers in file order, each once: {"kind", "value", "line"}."""
    found: dict[tuple[str, object], dict] = {}
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        for token in _SEPARATORS.split(line.split("#", 1)[0].strip()):
            if not token:
                continue
            try:
                kind = classify(token)
            except InvalidPmid as error:
                raise BibliographyError(path, number, str(error)) from None
            if kind is None:
                raise BibliographyError(path, number, f"{token!r} is neither a PMID, a PMCID"
                                        " (PMC123) nor a DOI (10.xxxx/...)")
            found.setdefault(kind, {"kind": kind[0], "value": kind[1], "line": number})
    if not found:
        raise BibliographyError(path, None, "no identifier in the file")
    return list(found.values())
