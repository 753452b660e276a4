"""The mirror answering what a fetch asks of E-utilities: records by PMID, links by direction, searches.

``MirrorClient`` stands where ``EutilsClient`` stands in ``litbase.grow``:
``pubmed_records`` gives the parser's records (as efetch + the parser
would), ``linksets`` gives what ``parse_elink`` gives (references and citing
articles from the Open Citation Collection, newest PMID first as elink
lists them), ``search_pmids`` the PMIDs a query finds. Nothing is asked of
NCBI. What the mirror cannot say is said: it has no similar-article lists
(``similar`` is always empty), and a PMID newer than its last file, or
deleted, is missing with a reason that names the mirror.

Each answer is reported to ``on_answer`` as the HTTP client reports a
request (``litbase.sources.http``), so the ``fetches`` log says what the
mirror answered, where a fetch would have asked: endpoint ``mirror/efetch``,
``mirror/elink`` or ``mirror/esearch``, method ``MIRROR``, the mirror's folder
among the parameters, no HTTP status.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from litbase.mirror.catalog import connect
from litbase.mirror.files import references_of
from litbase.mirror.query import to_condition

def _in(pmids: list[int]) -> str:
    """IN (?, ?, ...): a literal list DuckDB pushes into the Parquet scans as row-group filters."""
    return "IN (" + ", ".join("?" * len(pmids)) + ")" if pmids else "IN (NULL)"


LACKS_SIMILAR = ("the mirror has no PubMed similar-article lists (elink pubmed_pubmed);"
                 " similar articles need the online path")


def _logged(endpoint: str, params: Callable[..., dict]):
    """Count and report each answer of the method, as a request to ``endpoint`` with these parameters."""
    def wrap(method):
        @functools.wraps(method)
        def answer(self, *args):
            started_at = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
            began = time.perf_counter()
            try:
                result = method(self, *args)
            except Exception as error:
                self._answered(endpoint, params(*args), started_at, began, error)
                raise
            self._answered(endpoint, params(*args), started_at, began)
            return result
        return answer
    return wrap


class MirrorClient:
    """Read-only answers from a mirror folder, in the shapes litbase's parsers produce."""

    def __init__(self, mirror, on_answer: Callable[[dict], None] | None = None):
        self.path = Path(mirror)
        self.on_answer = on_answer
        self.con = connect(self.path, read_only=True)
        self.questions = 0  # calls answered, the mirror's counterpart of requests sent
        last = self.con.execute("SELECT file FROM files ORDER BY rank DESC LIMIT 1").fetchall()
        self.last_file = last[0][0] if last else None
        self.has_citations = bool(self.con.execute(
            "SELECT count(*) FROM (SELECT 1 FROM citations LIMIT 1)").fetchall()[0][0])
        self.missing_detail = f"deleted, or newer than its last file {self.last_file}"
        self.missing_reason = f"not in the mirror {self.path} ({self.missing_detail})"

    def __repr__(self) -> str:
        return f"MirrorClient({str(self.path)!r})"

    def close(self) -> None:
        self.con.close()

    def lacks(self) -> list[str]:
        """What this mirror cannot answer that E-utilities could, one sentence each."""
        said = [LACKS_SIMILAR, f"records newer than its last file ({self.last_file}) are not in it"]
        if not self.has_citations:
            said.append("no citation links are loaded (litbase mirror add-citations), so no article"
                        " has citing articles and only deposited reference lists are known")
        return said

    def _answered(self, endpoint: str, params: dict, started_at: str, began: float, error=None) -> None:
        self.questions += 1
        if self.on_answer is not None:
            self.on_answer({
                "endpoint": f"mirror/{endpoint}", "method": "MIRROR", "params": {**params, "mirror": str(self.path)},
                "status": None, "bytes": None, "seconds": round(time.perf_counter() - began, 4), "attempt": 1,
                "outcome": "ok" if error is None else "error",
                "error": None if error is None else f"{type(error).__name__}: {error}", "started_at": started_at})

    @_logged("efetch", lambda pmids: {"db": "pubmed", "id": ",".join(str(p) for p in pmids)})
    def pubmed_records(self, pmids: list[int]) -> list[dict]:
        """The current record of each PMID the mirror holds, in the order asked."""
        asked = [int(p) for p in pmids]
        found = {pmid: json.loads(record) for pmid, record in self.con.execute(
            f"SELECT pmid, record FROM articles WHERE pmid {_in(asked)}", asked).fetchall()}
        references: dict[int, list] = {}
        columns = ["pmid", "list_index", "position", "citation", "ref_pmid", "doi", "pmcid", "source"]
        for row in self.con.execute(
                f"SELECT {', '.join(columns)} FROM \"references\" WHERE pmid {_in(list(found))}",
                list(found)).fetchall():
            references.setdefault(row[0], []).append(dict(zip(columns, row)))
        records = []
        for pmid in dict.fromkeys(asked):
            if pmid in found:
                record = found[pmid]
                record["references"] = references_of(references.get(pmid, []))
                records.append(record)
        return records

    @_logged("elink", lambda pmids: {"dbfrom": "pubmed", "id": ",".join(str(p) for p in pmids)})
    def linksets(self, pmids: list[int]) -> list[dict]:
        """parse_elink's shape for each PMID: refs and cited_by from the citation links, no similar."""
        asked = list(dict.fromkeys(int(p) for p in pmids))
        known = {p for (p,) in self.con.execute(
            f"SELECT pmid FROM live WHERE present AND pmid {_in(asked)}", asked).fetchall()}
        refs: dict[int, list] = {}
        cited_by: dict[int, list] = {}
        for citing, referenced in self.con.execute(
                f"SELECT citing, referenced FROM citations WHERE citing {_in(asked)} ORDER BY referenced DESC",
                asked).fetchall():
            refs.setdefault(citing, []).append(referenced)
        for citing, referenced in self.con.execute(
                f"SELECT citing, referenced FROM cited_by WHERE referenced {_in(asked)} ORDER BY citing DESC",
                asked).fetchall():
            cited_by.setdefault(referenced, []).append(citing)
        return [{"pmid": pmid, "pmids": [pmid], "refs": refs.get(pmid, []), "cited_by": cited_by.get(pmid, []),
                 "similar": [], "other": {},
                 "error": None if pmid in known else self.missing_reason} for pmid in asked]

    @_logged("esearch", lambda term: {"db": "pubmed", "term": term})
    def search_pmids(self, term: str) -> list[int]:
        """Every PMID of a current record the query finds, newest PMID first."""
        condition, params = to_condition(term)
        return [pmid for (pmid,) in self.con.execute(
            f"SELECT a.pmid FROM articles a WHERE {condition} ORDER BY a.pmid DESC", params).fetchall()]

    def metrics(self, pmids: list[int]) -> dict[int, dict]:
        """Whole-mirror citation counts and PageRank of these PMIDs (``litbase mirror rank``)."""
        rows = self.con.execute(
            "SELECT pmid, cited_by_count, references_count, pagerank FROM metrics"
            f" WHERE pmid {_in(list(pmids))}", [int(p) for p in pmids]).fetchall()
        return {r[0]: {"cited_by_count": r[1], "references_count": r[2], "pagerank": r[3]} for r in rows}
