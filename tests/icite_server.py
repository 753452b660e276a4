"""A fake NIH iCite API on 127.0.0.1 speaking /api/pubs?pmids=..., with faults (see fake_http).

`style` picks how fields are typed, since iCite's have varied: "current" (lists
of ints, numbers as numbers, "Yes"/"No" flags), "legacy" (space-separated PMID
strings, numbers as strings), "bool" (true/false flags). Unknown PMIDs are left
out of `data`, as iCite does.
"""

from __future__ import annotations

from fake_http import FakeJsonServer

ICITE_MAX_PMIDS = 1000


class FakeIciteServer(FakeJsonServer):
    prefix = "/api/"

    def __init__(self, style: str = "current"):
        super().__init__()
        self.style = style
        self.records: dict[int, dict] = {}

    def add(self, pmid: int, references=(), cited_by=(), *, citation_count=None, rcr=None,
            percentile=None, research=True, clinical=False, provisional=False, year=2020) -> dict:
        self.records[pmid] = record = {
            "pmid": pmid, "year": year, "references": list(references), "cited_by": list(cited_by),
            "citation_count": len(cited_by) if citation_count is None else citation_count,
            "relative_citation_ratio": rcr, "nih_percentile": percentile,
            "is_research_article": research, "is_clinical": clinical, "provisional": provisional,
            "doi": f"10.5555/icite.{pmid}", "title": f"iCite record {pmid}",
        }
        return record

    def _typed(self, record: dict) -> dict:
        out = dict(record)
        flags = ("is_research_article", "is_clinical", "provisional")
        if self.style == "bool":
            return out
        for flag in flags:
            out[flag] = "Yes" if record[flag] else "No"
        if self.style == "legacy":
            out["references"] = " ".join(map(str, record["references"]))
            out["cited_by"] = " ".join(map(str, record["cited_by"]))
            for key in ("pmid", "year", "citation_count", "relative_citation_ratio", "nih_percentile"):
                out[key] = "" if record[key] is None else str(record[key])
        return out

    def respond(self, endpoint: str, path: str, params: dict):
        if path.rstrip("/") != "pubs":
            return 404, {"error": f"no such endpoint {path}"}
        values = [v for v in params.get("pmids", "").split(",") if v.strip()]
        if not values or not all(v.strip().isdigit() for v in values):
            return 400, {"error": "pmids must be a comma-separated list of PMIDs"}
        if len(values) > ICITE_MAX_PMIDS:
            return 400, {"error": f"at most {ICITE_MAX_PMIDS} PMIDs"}
        asked = [int(v) for v in values]
        data = [self._typed(self.records[p]) for p in dict.fromkeys(asked) if p in self.records]
        fields = [f for f in params.get("fl", "").split(",") if f]
        if fields:
            data = [{k: v for k, v in r.items() if k in fields} for r in data]
        return 200, {"meta": {"pmids": params["pmids"], "limit": ICITE_MAX_PMIDS},
                     "links": {"self": f"/api/pubs?pmids={params['pmids']}"}, "data": data}


try:
    import pytest

    @pytest.fixture
    def icite_server(monkeypatch):
        """A running FakeIciteServer, named by LITBASE_ICITE_URL; tests add records."""
        with FakeIciteServer() as server:
            monkeypatch.setenv("LITBASE_ICITE_URL", server.base_url)
            yield server
except ImportError:
    pass
