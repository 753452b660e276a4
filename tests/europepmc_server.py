"""A fake Europe PMC REST API on 127.0.0.1: /{source}/{id}/references and /citations, paged.

An article with no list answers 404, as Europe PMC does for "no citations";
`empty_lists="200"` answers hitCount 0 instead. Faults: see fake_http.
"""

from __future__ import annotations

import math
import re

from fake_http import FakeJsonServer

MAX_PAGE_SIZE = 1000
_PATH = re.compile(r"(?P<source>[A-Z]{3})/(?P<id>[^/]+)/(?P<kind>references|citations)")


def work(ident, source="MED", **fields) -> dict:
    """An entry as Europe PMC prints one: id and source plus bibliographic fields."""
    entry = {"id": str(ident), "source": source} if ident is not None else {"source": source}
    entry.setdefault("title", fields.pop("title", f"Work {ident}"))
    entry.update(fields)
    return entry


class FakeEuropePmcServer(FakeJsonServer):
    prefix = "/europepmc/webservices/rest/"

    def __init__(self, empty_lists: str = "404"):
        super().__init__()
        self.empty_lists = empty_lists
        self.lists: dict[tuple[str, str, str], list[dict]] = {}

    def set_references(self, pmid: int, entries, source: str = "MED") -> None:
        """Entries: PMIDs (ints, MED works) or dicts made with `work`."""
        self.lists[(source, str(pmid), "references")] = [
            work(e, authorString="Doe J", journalAbbreviation="J Synth", pubYear="2010")
            if isinstance(e, int) else e for e in entries]

    def set_citations(self, pmid: int, entries, source: str = "MED") -> None:
        self.lists[(source, str(pmid), "citations")] = [
            work(e) if isinstance(e, int) else e for e in entries]

    def respond(self, endpoint: str, path: str, params: dict):
        match = _PATH.fullmatch(path.rstrip("/"))
        if not match or params.get("format") != "json":
            return 400, {"errCode": 400, "errMsg": f"bad request {path}"}
        items = self.lists.get((match["source"], match["id"], match["kind"]))
        if not items and self.empty_lists == "404":
            return 404, {"errCode": 404, "errMsg": f"No {match['kind']} found"}
        items = items or []
        page, size = int(params.get("page", 1)), min(int(params.get("pageSize", 25)), MAX_PAGE_SIZE)
        chunk = items[(page - 1) * size: page * size]
        outer, inner = (("referenceList", "reference") if match["kind"] == "references"
                        else ("citationList", "citation"))
        body = {"version": "6.9", "hitCount": len(items),
                "request": {"id": match["id"], "source": match["source"], "page": page,
                            "pageSize": size, "pages": math.ceil(len(items) / size)}}
        if chunk:
            body[outer] = {inner: chunk}
        return 200, body


try:
    import pytest

    @pytest.fixture
    def europepmc_server(monkeypatch):
        """A running FakeEuropePmcServer, named by LITBASE_EUROPEPMC_URL."""
        with FakeEuropePmcServer() as server:
            monkeypatch.setenv("LITBASE_EUROPEPMC_URL", server.base_url)
            yield server
except ImportError:
    pass
