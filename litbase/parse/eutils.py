"""Pure parsers for ELink and ESearch XML: bytes in, plain dicts out, no I/O."""

from __future__ import annotations

from lxml import etree


# Entity resolution, DTD loading and network access stay off: every NCBI document names a DTD URL.
_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True, huge_tree=True)

class EutilsReplyError(ValueError):
    """NCBI reported an error inside an answer that arrived as HTTP 200."""

    def __init__(self, endpoint: str, message: str):
        self.endpoint, self.message = endpoint, message
        super().__init__(f"{endpoint}: NCBI error: {message}")


LINKNAME_FIELDS = {
    "pubmed_pubmed_refs": "refs",
    "pubmed_pubmed_citedin": "cited_by",
    "pubmed_pubmed": "similar",
}


def _root(xml: bytes | str, expected: str) -> etree._Element:
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    root = etree.fromstring(xml, _PARSER)
    if root.tag != expected:
        raise ValueError(f"expected <{expected}>, got <{root.tag}>")
    return root


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isdigit() else None


def _top_level_error(root: etree._Element, endpoint: str) -> None:
    messages = [(e.text or "").strip() for e in root.findall("ERROR")]
    if messages:
        raise EutilsReplyError(endpoint, "; ".join(messages))


def parse_elink(xml: bytes) -> list[dict]:
    """One dict per LinkSet: pmid, refs, cited_by, similar [(pmid, score)], other, error.

    `pmids` lists every IdList/Id of the LinkSet: more than one only when the request used a
    comma-separated id list, which makes NCBI merge the input IDs into one LinkSet.
    """
    root = _root(xml, "eLinkResult")
    _top_level_error(root, "elink")
    out = []
    for linkset in root.iterfind("LinkSet"):
        pmids = [p for p in (_int(i.text) for i in linkset.iterfind("IdList/Id")) if p is not None]
        errors = [(e.text or "").strip() for e in linkset.iterfind("ERROR")]
        record: dict = {
            "pmid": pmids[0] if pmids else None, "pmids": pmids,
            "refs": [], "cited_by": [], "similar": [], "other": {},
            "error": "; ".join(errors) if errors else None,
        }
        inputs = set(pmids)
        for linksetdb in linkset.iterfind("LinkSetDb"):
            name = (linksetdb.findtext("LinkName") or "").strip()
            links = [(_int(link.findtext("Id")), _int(link.findtext("Score")))
                     for link in linksetdb.iterfind("Link")]
            links = [(pmid, score) for pmid, score in links if pmid is not None]
            field = LINKNAME_FIELDS.get(name)
            if field == "similar":
                # NCBI lists the query article first among its own neighbours (highest score).
                record["similar"] = [(p, s) for p, s in links if p not in inputs]
            elif field:
                record[field] = [p for p, _ in links]
            else:
                record["other"][name] = [p for p, _ in links]
        out.append(record)
    return out


def parse_esearch(xml: bytes) -> dict:
    """Count, paging, IDs, history keys, translation, and NCBI's ErrorList/WarningList.

    A top-level <ERROR> (an invalid query, retstart past PubMed's 9,999 cap) raises
    EutilsReplyError. ErrorList entries such as PhraseNotFound do not: NCBI still ran the
    search (with the phrase dropped), so they are returned in `errors`/`phrases_not_found` for
    the caller to log or act on.
    """
    root = _root(xml, "eSearchResult")
    _top_level_error(root, "esearch")

    def listed(path: str) -> list[tuple[str, str]]:
        return [(child.tag, (child.text or "").strip()) for child in root.iterfind(path)
                if isinstance(child.tag, str)]

    error_items = listed("ErrorList/*")
    return {
        "count": _int(root.findtext("Count")) or 0,
        "retmax": _int(root.findtext("RetMax")) or 0,
        "retstart": _int(root.findtext("RetStart")) or 0,
        "ids": [p for p in (_int(i.text) for i in root.iterfind("IdList/Id")) if p is not None],
        "webenv": (root.findtext("WebEnv") or "").strip() or None,
        "query_key": (root.findtext("QueryKey") or "").strip() or None,
        "query_translation": root.findtext("QueryTranslation"),
        "errors": [f"{tag}: {text}" for tag, text in error_items],
        "warnings": [f"{tag}: {text}" for tag, text in listed("WarningList/*")],
        "phrases_not_found": [text for tag, text in error_items if tag == "PhraseNotFound"],
    }
